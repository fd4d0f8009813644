// Package notify delivers notices to people: in the app (a row per person
// in notifications) and by e-mail (a row per message in email_outbox, sent
// by one asynq job per row). Both are written in the transaction of the
// change that causes them, keyed by a dedup key, so a notice exists once per
// person and event however often the change is retried; the e-mail job
// marks the row sent under its lock, so a retried or duplicated job never
// sends it twice.
package notify

import "time"

// Template is a notice to write for a set of recipients the store resolves
// (for a meeting: its invitees). DedupKey is a prefix; the store appends
// ":<user id>", so each person gets it once.
type Template struct {
	Kind      string
	MeetingID *int64
	Title     string
	Body      string
	DedupKey  string
	// Link is a path under CAU_PUBLIC_URL shown in the e-mail.
	Link string
	// Path is the web client's page of the notice's subject ("/meetings/12",
	// "/documents/40"): where the bell's list leads.
	Path string
}

// Notification is an in-app notice.
type Notification struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	MeetingID *int64     `json:"meeting_id"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
	// Link is the page the notice leads to ('' for notices older than links).
	Link string `json:"link"`
}

// Email is an outbox row to send.
type Email struct {
	ID       int64
	DedupKey string
	To       string
	Subject  string
	Body     string
}
