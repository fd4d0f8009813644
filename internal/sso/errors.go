package sso

import "github.com/cau-gov/cau/internal/fault"

// Errors of single sign-on, in the fault vocabulary. Each refusal of a
// callback leaves nothing created but its audit row.
var (
	// ErrDisabled: SSO is not configured on this server.
	ErrDisabled = fault.New(fault.NotFound, "sso_disabled", "single sign-on is not configured")
	// ErrBadState: the callback's state is unknown, used, expired, or was
	// started in another browser.
	ErrBadState = fault.New(fault.Unauthenticated, "sso_bad_state", "this sign-in did not start here or has expired; start again")
	// ErrBadNonce: the ID token was not issued for the login this browser started.
	ErrBadNonce = fault.New(fault.Unauthenticated, "sso_bad_nonce", "the provider's answer belongs to another sign-in")
	// ErrInvalidIDToken: the ID token is missing, unsigned, forged, expired,
	// for another client or from another issuer.
	ErrInvalidIDToken = fault.New(fault.Unauthenticated, "sso_invalid_token", "the provider's ID token was refused")
	// ErrDenied: the provider answered with an error (the user cancelled, or
	// the provider refused the client).
	ErrDenied = fault.New(fault.Unauthenticated, "sso_denied", "the sign-in was cancelled or refused at the provider")
	// ErrProvider: the provider could not be reached or refused the code.
	ErrProvider = fault.New(fault.Unavailable, "sso_provider_error", "the identity provider could not complete the sign-in")
	// ErrNoLinkClaim: the provider did not send the claim accounts are linked by.
	ErrNoLinkClaim = fault.New(fault.Forbidden, "sso_no_link_claim", "the provider did not say which account this is")
	// ErrUnknownAccount: no Cầu account is linked to the provider's user.
	// Accounts are never created from SSO: roles are granted in Cầu.
	ErrUnknownAccount = fault.New(fault.Forbidden, "sso_unknown_account", "no Cầu account is linked to this province account")
	// ErrAmbiguousAccount: the linking value names more than one account.
	ErrAmbiguousAccount = fault.New(fault.Forbidden, "sso_ambiguous_account", "this province account matches more than one Cầu account")
	// ErrPasswordsOff: CAU_LOCAL_PASSWORDS=off refuses username/password logins.
	ErrPasswordsOff = fault.New(fault.Forbidden, "password_login_disabled", "sign in with the province account")
	// ErrPasswordChangeOff: with CAU_LOCAL_PASSWORDS=off a Cầu password
	// opens nothing; the password to change is the province account's.
	ErrPasswordChangeOff = fault.New(fault.Forbidden, "password_change_disabled",
		"passwords are not used here: sign-in is through the province account, whose password is changed at the province's identity provider")
)
