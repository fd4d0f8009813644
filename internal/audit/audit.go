// Package audit defines Cầu's append-only audit log: what an entry holds
// and how entries are chained by SHA-256 so that changing or removing any
// row breaks verification from that row on. internal/store writes and
// reads the rows; this package owns the hash.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Actions recorded by the foundation; later packages add their own
// (document.read, minutes.approve, task.update …) as plain strings.
const (
	ActionLoginSucceeded = "auth.login"
	ActionLoginFailed    = "auth.login_failed"
	ActionLoginLocked    = "auth.locked"
	ActionLogout         = "auth.logout"
	ActionTokenReused    = "auth.refresh_reused"
	ActionPasswordChange = "auth.password_changed"
)

// Entry is what a caller records.
type Entry struct {
	ActorID    *int64         // nil for the system or an unknown user
	ActorName  string         // the username at the time (kept even if the user is renamed)
	Action     string         // dotted verb, e.g. "unit.create"
	ObjectType string         // "unit", "user", "document", …
	ObjectID   string         // the object's ID as text
	Detail     map[string]any // what changed; never secrets
	IP         string
}

// Record is a stored entry with its place in the chain.
type Record struct {
	ID         int64
	At         time.Time
	ActorID    *int64
	ActorName  string
	Action     string
	ObjectType string
	ObjectID   string
	Detail     []byte // the JSON exactly as stored
	IP         string
	PrevHash   []byte
	Hash       []byte
}

// GenesisHash is the previous hash of the first row.
var GenesisHash = make([]byte, sha256.Size)

// Hash computes a record's hash from the previous hash and its fields.
// Each field is length-prefixed so that no two different records encode
// alike. Time is in microseconds (PostgreSQL's resolution), UTC.
func Hash(prev []byte, r Record) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	binary.BigEndian.PutUint64(n[:], uint64(r.ID))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(r.At.UTC().UnixMicro()))
	h.Write(n[:])
	actor := []byte{}
	if r.ActorID != nil {
		actor = fmt.Appendf(nil, "%d", *r.ActorID)
	}
	field(actor)
	field([]byte(r.ActorName))
	field([]byte(r.Action))
	field([]byte(r.ObjectType))
	field([]byte(r.ObjectID))
	field(r.Detail)
	field([]byte(r.IP))
	return h.Sum(nil)
}

// CanonicalDetail encodes detail deterministically (encoding/json sorts map
// keys). The column is json, not jsonb, so PostgreSQL keeps these exact
// bytes and the hash recomputed from the stored row matches.
func CanonicalDetail(detail map[string]any) ([]byte, error) {
	if detail == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return nil, fmt.Errorf("encode audit detail: %w", err)
	}
	return b, nil
}

// Breach describes where verification failed.
type Breach struct {
	ID     int64  // the first row whose hash does not hold
	Reason string // "hash mismatch", "previous hash mismatch", "gap in ids"…
}

// Verifier checks records in id order.
type Verifier struct {
	prev   []byte
	lastID int64
	count  int64
}

// NewVerifier starts at the genesis hash.
func NewVerifier() *Verifier { return &Verifier{prev: GenesisHash} }

// Check verifies the next record; it returns a Breach for the first bad one.
func (v *Verifier) Check(r Record) *Breach {
	if !bytes.Equal(r.PrevHash, v.prev) {
		return &Breach{ID: r.ID, Reason: "previous hash does not match the row before it (a row was changed or removed)"}
	}
	if got := Hash(r.PrevHash, r); !bytes.Equal(got, r.Hash) {
		return &Breach{ID: r.ID, Reason: "hash does not match the row's contents (the row was changed)"}
	}
	v.prev, v.lastID = r.Hash, r.ID
	v.count++
	return nil
}

// Count is how many records verified.
func (v *Verifier) Count() int64 { return v.count }

// Last is the hash of the last verified record.
func (v *Verifier) Last() []byte { return v.prev }
