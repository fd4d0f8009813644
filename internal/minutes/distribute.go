package minutes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/audit"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/jobs"
	"github.com/cau-gov/cau/internal/pdfdoc"
	"github.com/cau-gov/cau/internal/pdfsign"
	"github.com/cau-gov/cau/internal/vntime"
	"github.com/cau-gov/cau/internal/wording"
)

// TypeDistribute is the asynq task that issues approved minutes: it
// renders the minutes and the conclusion notice once, signs them when the
// unit's certificate is configured, stores them encrypted, and sends the
// notice to the users of every unit concerned (in the app and by e-mail).
const TypeDistribute = "minutes:distribute"

// DistributePayload names the meeting whose minutes were approved.
type DistributePayload struct {
	MeetingID MeetingID `json:"meeting_id"`
}

// NewDistributeTask builds the task, unique per meeting: queueing it again
// (after a lost enqueue, at start, on a read of a missing PDF) is harmless.
func NewDistributeTask(id MeetingID) *asynq.Task {
	b, _ := json.Marshal(DistributePayload{MeetingID: id})
	return asynq.NewTask(TypeDistribute, b,
		asynq.Queue(jobs.QueueDefault),
		asynq.TaskID(fmt.Sprintf("%s:%d", TypeDistribute, id)),
		asynq.MaxRetry(12),
		asynq.Timeout(2*time.Minute),
		asynq.Retention(24*time.Hour),
	)
}

// AsynqEnqueue returns a Config.Enqueue that queues with client.
func AsynqEnqueue(client *asynq.Client) func(ctx context.Context, id MeetingID) error {
	return func(ctx context.Context, id MeetingID) error {
		_, err := client.EnqueueContext(ctx, NewDistributeTask(id))
		if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
			return nil // queued, running or done: it is idempotent anyway
		}
		return err
	}
}

// DistributeHandler is the job handler to register on the worker.
func (s *Service) DistributeHandler() jobs.Handler {
	return jobs.Handler{Type: TypeDistribute, Func: func(ctx context.Context, t *asynq.Task) error {
		var p DistributePayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || p.MeetingID <= 0 {
			return fmt.Errorf("%w: bad payload %q", asynq.SkipRetry, t.Payload())
		}
		err := s.Distribute(ctx, p.MeetingID)
		if fault.Is(err, fault.NotFound) || errors.Is(err, ErrNotApproved) {
			return fmt.Errorf("%w: %v", asynq.SkipRetry, err)
		}
		return err
	}}
}

// ResumeDistributions queues the job of every approved minutes not yet
// distributed (a process that died between the approval's commit and the
// enqueue); the app calls it at start.
func (s *Service) ResumeDistributions(ctx context.Context) (int, error) {
	if s.cfg.Enqueue == nil {
		return 0, nil
	}
	ids, err := s.store.UndistributedMinutes(ctx)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, s.cfg.Enqueue(ctx, id))
	}
	return len(ids), errors.Join(errs...)
}

// Distribute issues approved minutes; it is idempotent. Each PDF is stored
// once (a second run finds it; a concurrent run loses the insert and
// removes its blob), and the notices and the audit row are written once in
// the transaction that marks the minutes distributed.
func (s *Service) Distribute(ctx context.Context, id MeetingID) error {
	m, err := s.store.Minutes(ctx, id)
	if err != nil {
		return err
	}
	if m.Status != StatusApproved {
		return fmt.Errorf("distribute minutes of meeting %d: %w", id, ErrNotApproved)
	}
	if m.DistributedAt != nil {
		return nil
	}
	log := s.log.With("meeting_id", id)
	kinds := []string{FileMinutes}
	if len(m.Body.Conclusions) > 0 {
		kinds = append(kinds, FileNotice)
	}
	for _, k := range kinds {
		if _, ok := m.File(k); ok {
			continue
		}
		if err := s.storeFile(ctx, m, k); err != nil {
			return fmt.Errorf("store the %s PDF of meeting %d: %w", k, id, err)
		}
	}
	if m, err = s.store.Minutes(ctx, id); err != nil {
		return err
	}
	files := map[string]string{}
	for _, f := range m.Files {
		files[f.Kind] = f.SHA256
	}
	units := make([]int64, len(m.NoticeUnits))
	for i, u := range m.NoticeUnits {
		units[i] = int64(u.UnitID)
	}
	e := audit.Entry{ActorName: "system", Action: "minutes.distribute", ObjectType: "minutes",
		ObjectID: strconv.FormatInt(id, 10), Detail: map[string]any{
			"symbol": m.Symbol, "notice_symbol": m.NoticeSymbol, "notice_unit_ids": units, "files_sha256": files}}
	done, err := s.store.DistributeMinutes(ctx, id, s.unitNotices(m), e, s.now())
	if err != nil {
		return err
	}
	if done {
		log.InfoContext(ctx, "minutes distributed", "symbol", m.Symbol, "notice_symbol", m.NoticeSymbol, "notice_units", len(units))
	}
	s.sendMail(ctx, id)
	return nil
}

// storeFile renders, signs and stores one approved document.
func (s *Service) storeFile(ctx context.Context, m Minutes, kind string) error {
	if s.cfg.Blobs == nil {
		return errors.New("no blob store configured")
	}
	doc, err := s.documentOf(ctx, m, kind)
	if err != nil {
		return err
	}
	pdf, err := pdfdoc.Render(doc)
	if err != nil {
		return err
	}
	signed := s.cfg.Signer != nil
	if signed {
		pdf, err = pdfsign.Sign(pdf, *s.cfg.Signer, pdfsign.Info{Name: s.cfg.Signer.Cert.Subject.CommonName,
			Reason: doc.Kind + " " + doc.Symbol, Location: s.cfg.Place, Time: s.now()})
		if err != nil {
			return err
		}
	}
	w, err := s.cfg.Blobs.Create()
	if err != nil {
		return err
	}
	if _, err := w.Write(pdf); err != nil {
		w.Abort()
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	sum := sha256.Sum256(pdf)
	f := File{MinutesID: m.ID, Kind: kind, BlobID: w.ID(), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(pdf)),
		Signed: signed, CreatedAt: s.now()}
	stored, err := s.store.AddMinutesFile(ctx, f)
	if err != nil || !stored {
		if rerr := s.cfg.Blobs.Remove(w.ID()); rerr != nil {
			s.log.WarnContext(ctx, "remove unused blob", "blob_id", w.ID(), "error", rerr)
		}
	}
	if stored {
		s.log.InfoContext(ctx, "approved PDF stored", "meeting_id", m.MeetingID, "kind", kind, "sha256", f.SHA256, "signed", signed)
	}
	return err
}

// NoticeLink is the page where a concerned unit's user reads the notice:
// a full link when the server's public URL is known (an e-mail is read
// outside the app), else the path.
func (s *Service) NoticeLink(id MeetingID) string {
	return fmt.Sprintf("%s/meetings/%d/minutes", s.cfg.PublicURL, id)
}

// UnitNotice is the notice one concerned unit's users receive.
type UnitNotice struct {
	UnitID auth.UnitID
	Title  string
	Body   string
}

// unitNotices writes each concerned unit's notice: the conclusions that
// concern it in full, and where to read the signed notice.
func (s *Service) unitNotices(m Minutes) []UnitNotice {
	b := m.Body
	date := vntime.In(*m.ApprovedAt).Format("02/01/2006")
	out := make([]UnitNotice, 0, len(m.NoticeUnits))
	for _, u := range m.NoticeUnits {
		var lines []string
		lines = append(lines, wording.T(wording.UnitNoticeIntro, m.NoticeSymbol, date, orDots(b.Chair), lowerFirst(b.Title)), "",
			wording.T(wording.UnitNoticeConcerned, u.Name))
		for _, n := range u.Conclusions {
			if n >= 1 && n <= len(b.Conclusions) {
				lines = append(lines, fmt.Sprintf("%d. %s", n, b.Conclusions[n-1].Text))
			}
		}
		lines = append(lines, "", wording.T(wording.UnitNoticeLink, s.NoticeLink(m.MeetingID)))
		out = append(out, UnitNotice{UnitID: u.UnitID, Title: wording.T(wording.UnitNoticeTitle, m.NoticeSymbol), Body: strings.Join(lines, "\n")})
	}
	return out
}
