package minutes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/pdfdoc"
	"github.com/cau-gov/cau/internal/vntime"
	"github.com/cau-gov/cau/internal/wording"
)

// hm formats a time as offices write it: "08 giờ 05 phút".
func hm(t *time.Time) string {
	if t == nil {
		return "…"
	}
	l := vntime.In(*t)
	return wording.T(wording.MinutesHourMin, l.Hour(), l.Minute())
}

func clock(t *time.Time) string {
	if t == nil {
		return "…"
	}
	return vntime.In(*t).Format("15:04")
}

// Document lays the minutes out as a Decree 30 document. Every sentence
// comes from internal/wording.
func (s *Service) Document(m Minutes) pdfdoc.Document {
	b := m.Body
	date := s.now()
	if m.ApprovedAt != nil {
		date = *m.ApprovedAt
	} else if b.OpenedAt != nil {
		date = *b.OpenedAt
	}
	var blocks []pdfdoc.Block
	add := func(heading bool, text string) { blocks = append(blocks, pdfdoc.Block{Heading: heading, Text: text}) }

	add(true, wording.T(wording.MinutesHeadWhen))
	when := wording.T(wording.MinutesWhen, hm(b.OpenedAt), hm(b.ClosedAt), vntime.In(date).Format("02/01/2006"))
	if b.Place != "" {
		when += wording.T(wording.MinutesPlace, b.Place)
	}
	add(false, when)
	add(false, wording.T(wording.MinutesChairs, orDots(b.Chair), orDots(b.Secretary)))

	present, absentNotice, absentNone := []string{}, []string{}, []string{}
	for _, p := range b.People {
		name := p.Name
		if p.Position != "" {
			name += " (" + p.Position + ")"
		}
		switch p.Attendance {
		case Present:
			if p.Joined != nil {
				until := p.Left // present at the end: until the closing
				if until == nil {
					until = b.ClosedAt
				}
				name = wording.T(wording.MinutesPersonAt, name, clock(p.Joined), clock(until))
			}
			present = append(present, name)
		case AbsentNotice:
			absentNotice = append(absentNotice, name)
		default:
			absentNone = append(absentNone, name)
		}
	}
	att := wording.T(wording.MinutesPresent, len(present), len(b.People))
	if len(present) > 0 {
		att += ": " + strings.Join(present, "; ")
	}
	att += "."
	if len(absentNotice) > 0 {
		att += "\n" + wording.T(wording.MinutesNotice, strings.Join(absentNotice, "; "))
	}
	if len(absentNone) > 0 {
		att += "\n" + wording.T(wording.MinutesNoCause, strings.Join(absentNone, "; "))
	}
	add(false, att)

	on, off := []string{}, []string{}
	for _, h := range b.Halls {
		if h.Present {
			s := wording.T(wording.MinutesHallAt, h.Name, clock(h.Joined))
			if h.Left != nil {
				s += wording.T(wording.MinutesHallLeft, clock(h.Left))
			}
			on = append(on, s+")")
		} else {
			off = append(off, h.Name)
		}
	}
	halls := wording.T(wording.MinutesHalls, len(on), len(b.Halls))
	if len(on) > 0 {
		halls += ": " + strings.Join(on, "; ")
	}
	halls += "."
	if len(off) > 0 {
		halls += "\n" + wording.T(wording.MinutesHallsOff, strings.Join(off, "; "))
	}
	add(false, halls)

	add(true, wording.T(wording.MinutesContent))
	hallWord := strings.TrimSpace(wording.T(wording.MinutesHallName, ""))
	for _, it := range b.Items {
		add(true, fmt.Sprintf("%d. %s", it.Position, it.Title))
		var lines []string
		line := wording.T(wording.MinutesItemTime, clock(it.StartedAt), clock(it.EndedAt))
		if it.Presenter != "" {
			line += wording.T(wording.MinutesPresenter, it.Presenter)
		}
		lines = append(lines, line)
		for i, sp := range it.Speakers {
			who := sp.Name
			if who == "" {
				who = sp.Hall
				if !strings.HasPrefix(who, hallWord) {
					who = wording.T(wording.MinutesHallName, who)
				}
			} else if sp.Hall != "" {
				who += " (" + sp.Hall + ")"
			}
			lines = append(lines, wording.T(wording.MinutesSpeaker, i+1, who, clock(&sp.From), clock(sp.Until)))
		}
		for _, v := range it.Votes {
			lines = append(lines, voteLines(v)...)
		}
		if d := strings.TrimSpace(it.Discussion); d != "" {
			lines = append(lines, d)
		}
		add(false, strings.Join(lines, "\n"))
	}
	if len(b.Conclusions) > 0 {
		add(true, wording.T(wording.MinutesConclude))
		var cs []string
		for _, c := range b.Conclusions {
			cs = append(cs, fmt.Sprintf("%d. %s", c.Number, c.Text))
		}
		add(false, strings.Join(cs, "\n"))
	}
	if n := strings.TrimSpace(b.Notes); n != "" {
		add(false, n)
	}
	add(false, wording.T(wording.MinutesClosing, hm(b.ClosedAt)))

	return pdfdoc.Document{
		Issuer: s.cfg.IssuerName, Symbol: m.Symbol, Place: s.cfg.Place, Date: date,
		Kind: wording.T(wording.MinutesKind), Title: b.Title, Body: blocks, Draft: m.Status != StatusApproved,
		Signers: []pdfdoc.Signer{{Role: wording.T(wording.SignerSecretary), Name: b.Secretary},
			{Role: wording.T(wording.SignerChair), Name: b.Chair}},
		Recipients: []string{wording.T(wording.MinutesAttendees), wording.T(wording.RecipientFiling)},
	}
}

// VoteLines is how the minutes record a vote: the question, the counts in
// words, the turnout, and (for votes with a result) passed or not by its
// rule and base: "Kết quả: không thông qua (cần ít nhất hai phần ba số đại
// biểu có mặt; Tán thành 1/3)."
func voteLines(v Vote) []string {
	lines := []string{wording.T(wording.VoteLine, wording.VoteKind(v.Secret), v.Question, wording.Counts(v.Options, v.Counts), v.Ballots, v.Eligible)}
	if v.Passed != nil && v.BaseCount != nil && len(v.Options) > 0 {
		lines = append(lines, wording.T(wording.VoteResultLine, wording.Result(*v.Passed), wording.Rule(v.Rule), wording.Base(v.Base),
			wording.Option(v.Options[0]), v.Counts[v.Options[0]], *v.BaseCount))
	}
	return lines
}

// Signature is the block a notice is signed with, set per issuing unit on
// the admin screens ("TL. CHỦ TỊCH" / "CHÁNH VĂN PHÒNG" / the name).
type Signature struct {
	Authority string
	Title     string
	Name      string
}

// NoticeDocument is the conclusion notice (Thông báo kết luận) of the
// minutes, addressed to units; for a draft it is a preview (no number,
// marked DỰ THẢO). sig is the issuing unit's signature block; without one
// the chair signs, as the meeting's minutes do.
func (s *Service) NoticeDocument(m Minutes, units []NoticeUnit, sig *Signature) (pdfdoc.Document, error) {
	if len(m.Body.Conclusions) == 0 {
		return pdfdoc.Document{}, fmt.Errorf("meeting %d has no conclusions: %w", m.MeetingID, ErrNotFound)
	}
	b := m.Body
	draft := m.Status != StatusApproved || m.ApprovedAt == nil
	date, symbol := s.now(), "      /TB-"+s.cfg.Issuer
	if !draft {
		date, symbol = *m.ApprovedAt, m.NoticeSymbol
	}
	intro := wording.T(wording.NoticeIntro, lowerFirst(b.Title))
	if b.OpenedAt != nil {
		intro = wording.T(wording.NoticeIntroDated, vntime.In(*b.OpenedAt).Format("02/01/2006"), orDots(b.Chair), lowerFirst(b.Title), orDots(b.Chair))
	}
	blocks := []pdfdoc.Block{{Text: intro}}
	for _, c := range b.Conclusions {
		blocks = append(blocks, pdfdoc.Block{Text: fmt.Sprintf("%d. %s", c.Number, c.Text)})
	}
	blocks = append(blocks, pdfdoc.Block{Text: wording.T(wording.NoticeClosing)})
	recipients := make([]string, 0, len(units)+1)
	for _, u := range units {
		recipients = append(recipients, u.Name)
	}
	recipients = append(recipients, wording.T(wording.RecipientFiling))
	signer := pdfdoc.Signer{Role: wording.T(wording.SignerChair), Name: b.Chair}
	if sig != nil {
		signer = pdfdoc.Signer{Role: upper(sig.Authority), Title: upper(sig.Title), Name: sig.Name}
	}
	return pdfdoc.Document{
		Issuer: s.cfg.IssuerName, Symbol: symbol, Place: s.cfg.Place, Date: date, Draft: draft,
		Kind: wording.T(wording.NoticeKind), Title: wording.T(wording.NoticeTitle, orDots(b.Chair), lowerFirst(b.Title)),
		Body: blocks, Signers: []pdfdoc.Signer{signer}, Recipients: recipients,
	}, nil
}

// documentOf lays out one kind of document of m. A draft's notice lists
// the units an approval would resolve now; approved minutes use the units
// fixed at approval.
func (s *Service) documentOf(ctx context.Context, m Minutes, kind string) (pdfdoc.Document, error) {
	if kind == FileMinutes {
		return s.Document(m), nil
	}
	units := m.NoticeUnits
	if m.Status != StatusApproved {
		var err error
		if units, err = s.store.ConcernedUnits(ctx, m.MeetingID, m.Body); err != nil {
			return pdfdoc.Document{}, err
		}
	}
	sig, ok, err := s.store.NoticeSignature(ctx, m.UnitID)
	if err != nil {
		return pdfdoc.Document{}, err
	}
	if !ok {
		return s.NoticeDocument(m, units, nil)
	}
	return s.NoticeDocument(m, units, &sig)
}

// upper puts a signature line in capitals as the decree prints it
// (Vietnamese letters included: "tl. chủ tịch" → "TL. CHỦ TỊCH").
func upper(s string) string { return strings.ToUpper(s) }

// PDF is a document as served: the stored bytes of approved minutes, or a
// draft rendered on the fly.
type PDF struct {
	Bytes  []byte
	SHA256 string // hex
	Draft  bool
	Signed bool
}

// PDF returns the minutes (notice=false) or the conclusion notice. After
// approval it serves the bytes the distribution job stored, checked
// against their SHA-256, so every reader gets exactly what was approved
// and signed; before, it renders a draft marked DỰ THẢO. Each read is
// audited.
func (s *Service) PDF(ctx context.Context, p *auth.Principal, id MeetingID, notice bool) (PDF, error) {
	kind := FileMinutes
	if notice {
		kind = FileNotice
	}
	m, err := s.readable(ctx, p, id, notice)
	if err != nil {
		return PDF{}, err
	}
	if notice && len(m.Body.Conclusions) == 0 {
		return PDF{}, fmt.Errorf("meeting %d has no conclusions: %w", id, ErrNotFound)
	}
	var out PDF
	if m.Status != StatusApproved {
		doc, err := s.documentOf(ctx, m, kind)
		if err != nil {
			return PDF{}, err
		}
		b, err := pdfdoc.Render(doc)
		if err != nil {
			return PDF{}, err
		}
		sum := sha256.Sum256(b)
		out = PDF{Bytes: b, SHA256: hex.EncodeToString(sum[:]), Draft: true}
	} else {
		f, ok := m.File(kind)
		if !ok {
			if s.cfg.Enqueue != nil {
				if err := s.cfg.Enqueue(ctx, id); err != nil {
					s.log.WarnContext(ctx, "queue minutes distribution", "meeting_id", id, "error", err)
				}
			}
			return PDF{}, fmt.Errorf("%s PDF of meeting %d: %w", kind, id, ErrPending)
		}
		b, err := s.readFile(f)
		if err != nil {
			return PDF{}, err
		}
		out = PDF{Bytes: b, SHA256: f.SHA256, Signed: f.Signed}
	}
	err = s.store.Audit(ctx, entry(p, "minutes.read", id, map[string]any{
		"what": kind + "_pdf", "version": m.Version, "draft": out.Draft, "sha256": out.SHA256}), s.now())
	if err != nil {
		return PDF{}, err
	}
	return out, nil
}

// readFile reads a stored PDF and checks it against its recorded hash: a
// blob changed at rest is an error, never served.
func (s *Service) readFile(f File) ([]byte, error) {
	if s.cfg.Blobs == nil {
		return nil, errors.New("no blob store configured")
	}
	r, err := s.cfg.Blobs.Open(f.BlobID)
	if err != nil {
		return nil, fmt.Errorf("open stored %s PDF: %w", f.Kind, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, f.Size+1))
	if err != nil {
		return nil, fmt.Errorf("read stored %s PDF: %w", f.Kind, err)
	}
	sum := sha256.Sum256(b)
	if int64(len(b)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
		return nil, fmt.Errorf("stored %s PDF of minutes %d does not match its SHA-256", f.Kind, f.MinutesID)
	}
	return b, nil
}

// readable returns the minutes if p may read them: the meeting's
// participants and province-wide observers read everything; the users of
// a unit the approved notice is addressed to read the notice.
func (s *Service) readable(ctx context.Context, p *auth.Principal, id MeetingID, notice bool) (Minutes, error) {
	r, err := s.role(ctx, p, id)
	if err != nil {
		return Minutes{}, err
	}
	if r != "" || p.HasGlobal(auth.RoleObserver) {
		return s.store.Minutes(ctx, id)
	}
	if notice {
		m, err := s.store.Minutes(ctx, id)
		if err != nil {
			return Minutes{}, err
		}
		if m.Status == StatusApproved && slices.ContainsFunc(m.NoticeUnits, func(u NoticeUnit) bool { return u.UnitID == p.UnitID }) {
			return m, nil
		}
	}
	return Minutes{}, fmt.Errorf("minutes of meeting %d: %w", id, ErrNotFound)
}

func orDots(s string) string {
	if s == "" {
		return "…"
	}
	return s
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToLower(string(r[0])) + string(r[1:])
}
