// Package minutes drafts a meeting's minutes (biên bản) from what happened
// in the session, lets the secretary and chair edit them with versioned
// saves (a save names the version it started from; a stale one gets
// ErrVersionConflict, nothing is overwritten), and approves them: the
// approval allocates the document number in the same transaction, stores a
// SHA-256 of the approved content and locks the record for good.
package minutes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
)

// MeetingID identifies a meeting (internal/meeting's ID, kept as int64 so
// this package does not depend on the meetings service).
type MeetingID = int64

// Status of a minutes record.
const (
	StatusDraft    = "draft"
	StatusApproved = "approved"
)

// Attendance of a person in the minutes.
const (
	Present       = "present"        // có mặt (in a hall or online)
	AbsentNotice  = "absent_notice"  // vắng có lý do (marked absent)
	AbsentNoCause = "absent_unknown" // vắng không rõ lý do (never seen)
)

// Body is the content of the minutes: facts drafted from the session and
// the text the secretary writes. It is stored as JSON; the approved bytes
// are hashed.
type Body struct {
	Title       string       `json:"title"`
	Place       string       `json:"place"`
	OpenedAt    *time.Time   `json:"opened_at"`
	ClosedAt    *time.Time   `json:"closed_at"`
	Chair       string       `json:"chair"`
	Secretary   string       `json:"secretary"`
	Halls       []Hall       `json:"halls"`
	People      []Person     `json:"people"`
	Items       []Item       `json:"items"`
	Conclusions []Conclusion `json:"conclusions"`
	Notes       string       `json:"notes"`
}

// Hall is a hall's roll call: when it first joined and last left.
type Hall struct {
	HallID  auth.HallID `json:"hall_id"`
	Name    string      `json:"name"`
	Present bool        `json:"present"`
	Joined  *time.Time  `json:"joined_at"`
	Left    *time.Time  `json:"left_at"` // nil while connected at the end
}

// Person is an invited person's attendance.
type Person struct {
	UserID     auth.UserID `json:"user_id"`
	Name       string      `json:"name"`
	Position   string      `json:"position"`
	Role       string      `json:"role"`
	Attendance string      `json:"attendance"`
	// Joined and Left are the person's first arrival and last departure
	// (Left nil while present at the end); omitempty keeps the hash of
	// minutes approved before they existed.
	Joined *time.Time `json:"joined_at,omitempty"`
	Left   *time.Time `json:"left_at,omitempty"`
}

// Item is an agenda item as it ran.
type Item struct {
	ItemID     int64      `json:"item_id"`
	Position   int        `json:"position"`
	Title      string     `json:"title"`
	Presenter  string     `json:"presenter"`
	StartedAt  *time.Time `json:"started_at"`
	EndedAt    *time.Time `json:"ended_at"`
	Speakers   []Speaker  `json:"speakers"`
	Votes      []Vote     `json:"votes"`
	Discussion string     `json:"discussion"` // written by the secretary
}

// Speaker is one granted floor, in order.
type Speaker struct {
	Name  string     `json:"name"`
	Hall  string     `json:"hall"`
	From  time.Time  `json:"from"`
	Until *time.Time `json:"until"`
}

// Vote is a question and its result.
type Vote struct {
	Question string         `json:"question"`
	Secret   bool           `json:"secret"`
	Options  []string       `json:"options"`
	Counts   map[string]int `json:"counts"`
	Ballots  int            `json:"ballots"`
	Eligible int            `json:"eligible"`
	// Base, Rule, BaseCount and Passed: the result by the vote's rule
	// (internal/meeting.Decide at the close); omitempty keeps the hash of
	// minutes approved before votes had a rule.
	Base      string `json:"base,omitempty"`
	Rule      string `json:"rule,omitempty"`
	BaseCount *int   `json:"base_count,omitempty"`
	Passed    *bool  `json:"passed,omitempty"`
}

// Conclusion is a decision; it can become tasks.
type Conclusion struct {
	Number int    `json:"number"` // 1-based, stable: tasks refer to it
	Text   string `json:"text"`
	// UnitIDs are the units the secretary names as concerned by the
	// conclusion; with the units of the tasks it gives, they receive the
	// conclusion notice. omitempty keeps the hash of minutes approved
	// before the field existed.
	UnitIDs []auth.UnitID `json:"unit_ids,omitempty"`
}

// maxConclusionUnits bounds the units named on one conclusion (a province
// has about 180 units; a conclusion naming more goes to "all units" in text).
const maxConclusionUnits = 200

// NoticeUnit is a unit concerned by the conclusions: it is listed under
// "Nơi nhận" of the conclusion notice and its users receive the notice.
type NoticeUnit struct {
	UnitID      auth.UnitID `json:"unit_id"`
	Name        string      `json:"name"`
	Conclusions []int       `json:"conclusions"` // numbers of the conclusions that concern it
}

// Kinds of stored files of approved minutes.
const (
	FileMinutes = "minutes" // the biên bản
	FileNotice  = "notice"  // the thông báo kết luận
)

// File is an approved document as rendered, signed and stored once by the
// distribution job; it is served byte for byte afterwards.
type File struct {
	MinutesID int64     `json:"-"`
	Kind      string    `json:"kind"`
	BlobID    string    `json:"-"`
	SHA256    string    `json:"sha256"` // hex, of the stored (signed) PDF
	Size      int64     `json:"size"`
	Signed    bool      `json:"signed"`
	CreatedAt time.Time `json:"created_at"`
}

// Minutes is the stored record.
type Minutes struct {
	ID           int64        `json:"id"`
	MeetingID    MeetingID    `json:"meeting_id"`
	UnitID       auth.UnitID  `json:"unit_id"`
	Body         Body         `json:"body"`
	Version      int          `json:"version"`
	Status       string       `json:"status"`
	ApprovedBy   *auth.UserID `json:"approved_by"`
	ApprovedAt   *time.Time   `json:"approved_at"`
	ContentHash  string       `json:"content_hash,omitempty"` // hex SHA-256
	Symbol       string       `json:"symbol,omitempty"`       // "12/BB-UBND"
	NoticeSymbol string       `json:"notice_symbol,omitempty"`
	UpdatedAt    time.Time    `json:"updated_at"`
	UpdatedBy    *auth.UserID `json:"updated_by"`
	// NoticeUnits are the notice's recipients fixed at approval (empty
	// for a draft, whose preview resolves them from the current body).
	NoticeUnits []NoticeUnit `json:"notice_units"`
	// Files are the stored PDFs of approved minutes, once distributed.
	Files []File `json:"files"`
	// DistributedAt is when the distribution job sent the notices.
	DistributedAt *time.Time `json:"distributed_at"`
}

// File returns the stored file of a kind.
func (m Minutes) File(kind string) (File, bool) {
	for _, f := range m.Files {
		if f.Kind == kind {
			return f, true
		}
	}
	return File{}, false
}

// Validate checks what an editor may change: text lengths and conclusion
// numbers (1..n in order, so tasks keep pointing at the right one).
func (b *Body) Validate() map[string]fault.Problem {
	bad := map[string]fault.Problem{}
	if utf8.RuneCountInString(b.Title) > 500 {
		bad["title"] = fault.TooLong
	}
	if utf8.RuneCountInString(b.Notes) > 100000 {
		bad["notes"] = fault.TooLong
	}
	for i := range b.Items {
		if utf8.RuneCountInString(b.Items[i].Discussion) > 100000 {
			bad[fmt.Sprintf("items[%d].discussion", i)] = fault.TooLong
		}
	}
	for i := range b.Conclusions {
		c := &b.Conclusions[i]
		c.Text = strings.TrimSpace(c.Text)
		if c.Number != i+1 {
			bad[fmt.Sprintf("conclusions[%d].number", i)] = fault.OutOfOrder
		}
		if p := fault.Length(utf8.RuneCountInString(c.Text), 1, 5000); !p.IsZero() {
			bad[fmt.Sprintf("conclusions[%d].text", i)] = p
		}
		if p := checkUnits(c.UnitIDs); !p.IsZero() {
			bad[fmt.Sprintf("conclusions[%d].unit_ids", i)] = p
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return bad
}

// checkUnits says what is wrong with a conclusion's unit list (zero if nothing).
func checkUnits(ids []auth.UnitID) fault.Problem {
	if len(ids) > maxConclusionUnits {
		return fault.OutOfRange
	}
	seen := make(map[auth.UnitID]bool, len(ids))
	for _, u := range ids {
		if u <= 0 {
			return fault.WrongFormat
		}
		if seen[u] {
			return fault.Duplicate
		}
		seen[u] = true
	}
	return fault.Problem{}
}

// Hash is the SHA-256 of the approved content: the canonical JSON of the
// body (encoding/json sorts map keys) followed by the document number.
func Hash(b Body, symbol string) (string, error) {
	j, err := json.Marshal(b)
	if err != nil {
		return "", fmt.Errorf("hash minutes: %w", err)
	}
	h := sha256.New()
	h.Write(j)
	h.Write([]byte{0})
	h.Write([]byte(symbol))
	return hex.EncodeToString(h.Sum(nil)), nil
}
