// Package recording holds the rules of a session's recordings around the
// recorder in the SFU: who starts and stops one (the meeting's chair or
// secretary, while the session is open), the chapters (every agenda move,
// floor grant and vote opening, at its time in the file), the archive (a
// job remuxes the file so browsers can seek, then stores it encrypted with
// its length and SHA-256), who may play it (the meeting's participants and
// the office; to anyone else it does not exist), read receipts, retention
// and legal holds. It declares the recorder, store and session watcher it
// needs; the SFU, internal/store and internal/app provide them.
package recording

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/blob"
	"github.com/cau-gov/cau/internal/meeting"
)

// ID identifies a recording (one part of a session's recording).
type ID int64

// Status is where a recording is in its life: recording → processing →
// ready, or failed when its file could not be finished.
type Status string

// Recording statuses.
const (
	StatusRecording  Status = "recording"
	StatusProcessing Status = "processing"
	StatusReady      Status = "ready"
	StatusFailed     Status = "failed"
)

// Why a recording stopped.
const (
	StopByPerson      = "stopped"
	StopSessionClosed = "session_closed"
	StopRoomEnded     = "room_ended"
	StopShutdown      = "shutdown"
	StopInterrupted   = "interrupted" // found running after a restart
)

// Session events (docs/meeting-events.md).
const (
	EventStarted = "recording.started"
	EventStopped = "recording.stopped"
)

// Recording is one part of a session's recording.
type Recording struct {
	ID         ID           `json:"id"`
	MeetingID  meeting.ID   `json:"meeting_id"`
	Part       int          `json:"part"`
	Status     Status       `json:"status"`
	NodeID     string       `json:"-"`
	Dir        string       `json:"-"`
	StartedAt  time.Time    `json:"started_at"`
	StoppedAt  *time.Time   `json:"stopped_at"`
	StartedBy  *auth.UserID `json:"started_by"`
	StoppedBy  *auth.UserID `json:"stopped_by"`
	StopReason string       `json:"stop_reason"`
	MainPath   string       `json:"-"`
	Codec      string       `json:"codec"`
	Container  string       `json:"container"`
	BlobID     string       `json:"-"`
	Size       *int64       `json:"size_bytes"`
	SHA256     []byte       `json:"-"`
	// SHA256Hex is SHA256 for clients.
	SHA256Hex  string     `json:"sha256"`
	DurationMS *int64     `json:"duration_ms"`
	Chapters   []Chapter  `json:"chapters"`
	Error      string     `json:"error"`
	ArchivedAt *time.Time `json:"archived_at"`
	// Tracks are the separate audio of those who spoke.
	Tracks []Track `json:"tracks"`
}

// Track is the separate audio of one hall or person that spoke.
type Track struct {
	Identity string     `json:"identity"`
	Name     string     `json:"name"`
	Path     string     `json:"-"`
	BlobID   string     `json:"-"`
	Size     *int64     `json:"size_bytes"`
	SHA256   []byte     `json:"-"`
	FirstAt  *time.Time `json:"first_at"`
	LastAt   *time.Time `json:"last_at"`
}

// End is what a stop records.
type End struct {
	At     time.Time
	By     *auth.UserID
	Reason string
	// Result is the recorder's (zero when the recording was cut by a
	// crash: the job then finishes what is in Dir).
	Result Result
}

// Archive is what the finishing job records.
type Archive struct {
	BlobID      string
	Size        int64
	SHA256      []byte
	DurationMS  int64
	Chapters    []Chapter
	ChaptersVTT string
	Tracks      []Track
	At          time.Time
	source      string // the recorder's file it was made from
	seekable    string // the remuxed file stored, removed once archived
}

// ReadKind says how a recording was read.
type ReadKind string

// Read kinds.
const (
	ReadPlay     ReadKind = "play"     // a signed media link minted for the player
	ReadDownload ReadKind = "download" // the file fetched with a bearer token
)

// Read is a read receipt.
type Read struct {
	RecordingID ID          `json:"recording_id"`
	UserID      auth.UserID `json:"user_id"`
	FullName    string      `json:"full_name"`
	Kind        ReadKind    `json:"kind"`
	At          time.Time   `json:"at"`
}

// Hold is a meeting's legal hold.
type Hold struct {
	MeetingID meeting.ID  `json:"meeting_id"`
	Reason    string      `json:"reason"`
	SetBy     auth.UserID `json:"set_by"`
	SetAt     time.Time   `json:"set_at"`
}

// Store is the persistence the service needs (internal/store implements
// it). Methods taking an audit entry write it in the same transaction.
type Store interface {
	// BeginRecording stores r as the meeting's running part (numbered
	// after the last) under the meeting's row lock when the session is
	// open and nothing runs (else ErrNotInSession / ErrAlreadyRecording),
	// and appends recording.started.
	BeginRecording(ctx context.Context, r Recording, e audit.Entry) (Recording, []meeting.Event, error)
	// EndRecording marks a running part processing and appends
	// recording.stopped; ErrNotRecording when it no longer runs. The
	// result's Next files become parts of their own (processing), whose
	// IDs it returns with the part's.
	EndRecording(ctx context.Context, id ID, end End, e *audit.Entry) ([]meeting.Event, []ID, error)
	Recording(ctx context.Context, id ID) (Recording, error)
	// RunningRecording is the meeting's running part, or ErrNotRecording.
	RunningRecording(ctx context.Context, id meeting.ID) (Recording, error)
	MeetingRecordings(ctx context.Context, id meeting.ID) ([]Recording, error)
	// RunningOn lists the parts running on node (after a restart: cut).
	RecordingsRunningOn(ctx context.Context, node string) ([]Recording, error)
	// Processing lists the parts waiting for the finishing job.
	ProcessingRecordings(ctx context.Context) ([]ID, error)
	// SessionEvents lists a meeting's events up to until, in order.
	SessionEvents(ctx context.Context, id meeting.ID, until time.Time) ([]meeting.Event, error)
	// SpeakerNames names the meeting's participants and invited halls.
	SpeakerNames(ctx context.Context, id meeting.ID) (Names, error)
	RecordingArchived(ctx context.Context, id ID, a Archive, e audit.Entry) error
	RecordingFailed(ctx context.Context, id ID, reason string, at time.Time) error
	RecordRecordingRead(ctx context.Context, r Read, e audit.Entry) error
	RecordingReads(ctx context.Context, id ID) ([]Read, error)
	LegalHold(ctx context.Context, id meeting.ID) (Hold, bool, error)
	SetLegalHold(ctx context.Context, h Hold, e audit.Entry) error
	// ClearHold removes a hold; ErrNoHold when there is none.
	ClearLegalHold(ctx context.Context, id meeting.ID, e audit.Entry) error
	// Expired lists finished parts stopped before cutoff whose meeting has
	// no legal hold.
	ExpiredRecordings(ctx context.Context, cutoff time.Time) ([]Recording, error)
	// DeleteRecording deletes a part unless its meeting is under a hold
	// (checked again in its transaction); it reports whether it did.
	DeleteRecording(ctx context.Context, id ID, e audit.Entry) (bool, error)
	// MeetingInSession reports whether the meeting's session is open
	// (ErrNotFound when there is no such meeting).
	MeetingInSession(ctx context.Context, id meeting.ID) (bool, error)
}

// Recorder starts recordings in this node's SFU (the app adapts
// sfu.SFU.StartRecording). Start fails with an error matching
// ErrAlreadyRecording, ErrNoRoom or ErrElsewhere when it cannot record.
type Recorder interface {
	Start(room, dir string) (Capture, error)
}

// Capture is one running recording in the SFU.
type Capture interface {
	// StartedAt is the wall time of the file's time zero.
	StartedAt() time.Time
	// Stop ends the recording and closes its files (idempotent).
	Stop() (Result, error)
	// Ended is closed when the recording stopped by itself (the room
	// ended, the server shuts down); reason says why (StopRoomEnded,
	// StopShutdown).
	Ended() <-chan string
}

// Result is what the recorder wrote.
type Result struct {
	Main     string // .webm (VP8 + Opus) or .mkv (H.264 + Opus)
	Codec    string
	Duration time.Duration
	Speakers []Track
	// Next are the files after Main when the floor switched codec (VP8 ↔
	// H.264 cannot share a file without re-encoding): each is stored as
	// the next part, from its Start.
	Next []Segment
}

// Segment is one more file of a recording.
type Segment struct {
	Path  string
	Codec string
	Start time.Time
}

// Meetings answers a caller's standing in a meeting (meeting.Service).
type Meetings interface {
	Access(ctx context.Context, id meeting.ID, p *auth.Principal) (meeting.Access, error)
}

// Publisher fans session events out (internal/live).
type Publisher interface {
	Publish(ctx context.Context, evs []meeting.Event)
}

// Watcher tells this node when a meeting's session closes, whichever
// node closed it (the app watches the live hub).
type Watcher interface {
	WatchClose(ctx context.Context, id meeting.ID) <-chan struct{}
}

// Enqueuer queues the finishing job of a stopped part after its commit.
type Enqueuer interface {
	EnqueueFinish(ctx context.Context, id ID) error
}

// Config is what New needs.
type Config struct {
	Store    Store
	Meetings Meetings
	Blobs    *blob.Store
	// Recorder is nil on a node without an SFU: starting answers ErrUnavailable.
	Recorder  Recorder
	Publisher Publisher
	Watcher   Watcher
	Enqueue   Enqueuer
	// Dir holds the recorder's files until they are archived
	// ($CAU_DATA_DIR/recordings).
	Dir string
	// Forward carries a start or stop this node cannot do to the node
	// that can (forward.go); nil outside a cluster.
	Forward Forwarder
	// Node is this node's ID ('' outside a cluster).
	Node string
	// Retention is how long a finished recording is kept (CAU_RECORDING_RETENTION_DAYS).
	Retention time.Duration
	// LinkKey signs the short-lived media links (32 bytes).
	LinkKey []byte
	// FFmpeg and FFprobe name the binaries ("ffmpeg", "ffprobe" by default).
	FFmpeg, FFprobe string
	Log             *slog.Logger
	Now             func() time.Time
}

// Service is the recordings domain.
type Service struct {
	Config
	links links

	mu sync.Mutex
	// running are this node's captures by recording ID.
	running map[ID]*run
	// resume are meetings whose recording a restart cut: a new part
	// starts when their call is back (resume.go).
	resume map[meeting.ID]bool
}

// run is one capture of this node and what ends its watch.
type run struct {
	rec     Recording
	capture Capture
	cancel  context.CancelFunc
	once    sync.Once
}

// New builds the service.
func New(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.FFmpeg == "" {
		c.FFmpeg = "ffmpeg"
	}
	if c.FFprobe == "" {
		c.FFprobe = "ffprobe"
	}
	return &Service{Config: c, links: links{key: c.LinkKey, now: c.Now}, running: map[ID]*run{}}
}

func (s *Service) publish(ctx context.Context, evs []meeting.Event) {
	if s.Publisher != nil && len(evs) > 0 {
		s.Publisher.Publish(ctx, evs)
	}
}

// partDir is where part n of a meeting's recording is written.
func (s *Service) partDir(id meeting.ID, started time.Time) string {
	return filepath.Join(s.Dir, fmt.Sprint(id), started.UTC().Format("20060102T150405.000000000"))
}

// entry is the audit row of p's action on a recording (or meeting).
func entry(p *auth.Principal, action, objectType string, id int64, detail map[string]any) audit.Entry {
	e := audit.Entry{Action: action, ObjectType: objectType, ObjectID: fmt.Sprint(id), Detail: detail}
	if p != nil {
		uid := int64(p.UserID)
		e.ActorID, e.ActorName, e.IP = &uid, p.Username, p.IP
	}
	return e
}

// MarshalChapters is the JSON stored for chapters.
func MarshalChapters(cs []Chapter) []byte {
	if cs == nil {
		cs = []Chapter{}
	}
	b, _ := json.Marshal(cs)
	return b
}
