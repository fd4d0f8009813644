-- Single sign-on through the province's OpenID Connect provider (internal/sso).

-- personal_id is the citizen identity number (số định danh cá nhân / CCCD,
-- 12 digits) an administrator records, for a provider that links accounts by
-- it (CAU_OIDC_LINK_FIELD=personal_id). NULL: not recorded.
ALTER TABLE users ADD COLUMN personal_id text CHECK (personal_id ~ '^[0-9A-Za-z-]{6,32}$');
CREATE UNIQUE INDEX users_personal_id_idx ON users (personal_id) WHERE personal_id IS NOT NULL;
-- E-mail links only when it names one account: looked up case-insensitively.
CREATE INDEX users_email_lower_idx ON users (lower(email)) WHERE email <> '';

-- sso_logins: a login started at the provider and not yet back. state_hash
-- is SHA-256 of the state sent to the provider; browser_hash of the random
-- value in the starting browser's cookie (a callback from another browser
-- is refused). Each row is taken once (DELETE … RETURNING) before expiry.
CREATE TABLE sso_logins (
    state_hash    bytea       PRIMARY KEY CHECK (length(state_hash) = 32),
    browser_hash  bytea       NOT NULL CHECK (length(browser_hash) = 32),
    nonce         text        NOT NULL CHECK (length(nonce) BETWEEN 22 AND 128),
    pkce_verifier text        NOT NULL CHECK (length(pkce_verifier) BETWEEN 43 AND 128),
    return_to     text        NOT NULL CHECK (length(return_to) <= 1000),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sso_logins_expires_idx ON sso_logins (expires_at);

-- sso_sessions: the provider's ID token of a sign-in (a refresh family),
-- kept for logout at the provider (end_session_endpoint's id_token_hint).
CREATE TABLE sso_sessions (
    family_id  uuid        PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject    text        NOT NULL,
    id_token   text        NOT NULL CHECK (length(id_token) <= 16384),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sso_sessions_expires_idx ON sso_sessions (expires_at);
