package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/document"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/org"
	"github.com/cau-gov/cau/internal/recording"
	"github.com/cau-gov/cau/internal/store"
	"github.com/cau-gov/cau/internal/task"
)

// TestEveryKindHasOneStatus: each kind maps to its own status, and only
// Internal (and nothing undeclared) to 500.
func TestEveryKindHasOneStatus(t *testing.T) {
	byStatus := map[int]fault.Kind{}
	for _, k := range fault.Kinds() {
		st := statusOf(k)
		if st < 400 || st > 599 {
			t.Errorf("kind %v maps to %d, not an error status", k, st)
		}
		if other, dup := byStatus[st]; dup {
			t.Errorf("kinds %v and %v both map to %d", other, k, st)
		}
		byStatus[st] = k
	}
	if got := statusOf(fault.Internal); got != http.StatusInternalServerError {
		t.Errorf("internal maps to %d", got)
	}
}

// domainErrors are the errors clients handle, with the status and code
// they have always answered: the codes must not change.
var domainErrors = []struct {
	err    error
	status int
	code   string
}{
	{auth.ErrInvalidCredentials, 401, "invalid_credentials"},
	{auth.ErrLocked, 423, "account_locked"},
	{auth.ErrRateLimited, 429, "rate_limited"},
	{auth.ErrBusy, 503, "busy"},
	{auth.ErrTokenReused, 401, "token_reused"},
	{auth.ErrInvalidToken, 401, "invalid_token"},
	{auth.ErrInactive, 403, "account_inactive"},
	{auth.ErrWeakPassword, 422, "weak_password"},
	{auth.ErrWrongPassword, 422, "wrong_password"},
	{store.ErrNotFound, 404, "not_found"},
	{store.ErrConflict, 409, "conflict"},
	{store.ErrReferenced, 409, "reference_violated"},
	{store.ErrInvalid, 422, "invalid_value"},
	{org.ErrForbidden, 403, "forbidden"},
	{org.ErrCycle, 409, "unit_cycle"},
	{org.ErrLevel, 409, "unit_level"},
	{org.ErrInUse, 409, "unit_in_use"},
	{org.ErrRoot, 409, "unit_root"},
	{org.ErrSelf, 409, "own_account"},
	{org.ErrImportFormat, 415, "import_format"},
	{org.ErrImportEmpty, 422, "import_empty"},
	{org.ErrImportTooMany, 422, "import_too_many_rows"},
	{&fault.Invalid{Code: "import_columns", Fields: map[string]fault.Problem{"unit": fault.Required}}, 422, "import_columns"},
	{document.ErrNotFound, 404, "not_found"},
	{document.ErrForbidden, 403, "forbidden"},
	{document.ErrTooLarge, 413, "file_too_large"},
	{document.ErrUnsupportedType, 415, "unsupported_type"},
	{document.ErrNoPDF, 409, "no_pdf_view"},
	{document.ErrConversionPending, 409, "conversion_pending"},
	{document.ErrConversionFailed, 409, "conversion_failed"},
	{document.ErrOriginalRestricted, 403, "original_restricted"},
	{blob.ErrCorrupt, 500, "document_corrupt"},
	{meeting.ErrNotFound, 404, "not_found"},
	{meeting.ErrForbidden, 403, "forbidden"},
	{meeting.ErrInvalidState, 409, "invalid_state"},
	{meeting.ErrAlreadyVoted, 409, "already_voted"},
	{meeting.ErrChairRequired, 409, "chair_required"},
	{meeting.ErrMediaUnavailable, 503, "media_unavailable"},
	{minutes.ErrNotFound, 404, "not_found"},
	{minutes.ErrForbidden, 403, "forbidden"},
	{minutes.ErrExists, 409, "minutes_exist"},
	{minutes.ErrVersionConflict, 409, "version_conflict"},
	{minutes.ErrLocked, 409, "minutes_locked"},
	{minutes.ErrNotApproved, 409, "minutes_not_approved"},
	{minutes.ErrPending, 503, "pdf_pending"},
	{task.ErrNotFound, 404, "not_found"},
	{task.ErrForbidden, 403, "forbidden"},
	{task.ErrState, 409, "invalid_state"},
	{errUnauthenticated, 401, "unauthenticated"},
	{errForbidden, 403, "forbidden"},
	{errNotFound, 404, "not_found"},
	{errLiveUnavailable, 503, "live_unavailable"},
	{recording.ErrNotFound, 404, "not_found"},
	{recording.ErrAlreadyRecording, 409, "already_recording"},
	{recording.ErrNotRecording, 409, "not_recording"},
	{recording.ErrNotInSession, 409, "not_in_session"},
	{recording.ErrNoRoom, 409, "no_call"},
	{recording.ErrElsewhere, 409, "recording_elsewhere"},
	{recording.ErrUnavailable, 503, "recording_unavailable"},
	{recording.ErrNotReady, 409, "recording_not_ready"},
	{recording.ErrLinkExpired, 403, "link_expired"},
	{recording.ErrNoHold, 409, "no_hold"},
	{context.Canceled, 499, "client_closed"},
	{context.DeadlineExceeded, 503, "timeout"},
	{fault.Field("title", fault.Required), 422, "validation_failed"},
	{errors.New("connection reset"), 500, "internal"},
}

func TestDomainErrorsKeepTheirCodes(t *testing.T) {
	for _, tc := range domainErrors {
		e := errorFor(fmt.Errorf("doing something: %w", tc.err))
		if e.Status != tc.status || e.Code != tc.code {
			t.Errorf("%v: got %d %s, want %d %s", tc.err, e.Status, e.Code, tc.status, tc.code)
		}
	}
	if e := errorFor(fmt.Errorf("query users: %w", errors.New("password=secret"))); strings.Contains(e.Message, "secret") {
		t.Errorf("an internal error's cause reached the client: %q", e.Message)
	}
	hidden, missing := errorFor(document.ErrNotFound), errorFor(fmt.Errorf("document 7: %w", store.ErrNotFound))
	if hidden.Status != missing.Status || hidden.Code != missing.Code || hidden.Message != missing.Message {
		t.Errorf("a hidden document answers %+v, a missing one %+v: the difference reveals it", hidden, missing)
	}
	e := errorFor(fmt.Errorf("save: %w", fault.Field("title", fault.TooLong)))
	if e.Fields["title"] != fault.TooLong {
		t.Errorf("fields = %v, want title: too_long", e.Fields)
	}
}

// TestClientTranslatesEveryCode: the web client has a sentence for every
// error code and field problem, in both languages.
func TestClientTranslatesEveryCode(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		b, err := os.ReadFile("../../web/static/js/i18n/" + lang + ".js")
		if err != nil {
			t.Fatal(err)
		}
		table := string(b)
		for _, tc := range domainErrors {
			if tc.status == 499 {
				continue // the client went away: nobody reads it
			}
			if !strings.Contains(table, "'err."+tc.code+"'") {
				t.Errorf("%s.js has no 'err.%s'", lang, tc.code)
			}
		}
		for _, p := range fault.Problems() {
			if !strings.Contains(table, "'field."+p.String()+"'") {
				t.Errorf("%s.js has no 'field.%s'", lang, p)
			}
		}
	}
}
