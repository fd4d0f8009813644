package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/jobs"
)

// TypeSendEmail is the asynq task that sends one outbox row.
const TypeSendEmail = "email:send"

// Outbox is the storage the mailer needs (internal/store implements it).
type Outbox interface {
	SendEmail(ctx context.Context, id int64, now func() time.Time, send func(Email) error) (bool, error)
	PendingEmails(ctx context.Context, limit int) ([]int64, error)
}

// SMTPConfig is where and as whom e-mail is sent (CAU_SMTP_*).
type SMTPConfig struct {
	Addr     string // host:port; empty: e-mail is not sent (rows stay pending)
	From     string // "Cầu <no-reply@example>"
	Username string
	Password string
}

// Mailer enqueues and sends outbox e-mails.
type Mailer struct {
	outbox Outbox
	jobs   *asynq.Client
	smtp   SMTPConfig
	log    *slog.Logger
	now    func() time.Time
}

// NewMailer builds the mailer.
func NewMailer(o Outbox, c *asynq.Client, cfg SMTPConfig, log *slog.Logger) *Mailer {
	return &Mailer{outbox: o, jobs: c, smtp: cfg, log: log, now: time.Now}
}

type sendPayload struct {
	OutboxID int64 `json:"outbox_id"`
}

// Enqueue schedules one job per outbox row. The task ID is the row's, so
// enqueueing a row twice (publish, then Resume) is one job while it waits.
func (m *Mailer) Enqueue(ctx context.Context, ids []int64) error {
	if m.smtp.Addr == "" {
		return nil
	}
	var errs []error
	for _, id := range ids {
		b, _ := json.Marshal(sendPayload{OutboxID: id})
		_, err := m.jobs.EnqueueContext(ctx, asynq.NewTask(TypeSendEmail, b), asynq.TaskID(fmt.Sprintf("email-%d", id)),
			asynq.Queue(jobs.QueueDefault), asynq.MaxRetry(12), asynq.Timeout(time.Minute))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Resume enqueues every pending row: those whose job was lost when a
// process died between commit and enqueue. The app calls it at start.
func (m *Mailer) Resume(ctx context.Context) error {
	if m.smtp.Addr == "" {
		return nil
	}
	ids, err := m.outbox.PendingEmails(ctx, 10000)
	if err != nil {
		return err
	}
	return m.Enqueue(ctx, ids)
}

// Handler is the job handler sending one row.
func (m *Mailer) Handler() jobs.Handler {
	return jobs.Handler{Type: TypeSendEmail, Func: func(ctx context.Context, t *asynq.Task) error {
		var p sendPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || p.OutboxID <= 0 {
			return fmt.Errorf("bad e-mail payload: %w", asynq.SkipRetry)
		}
		sent, err := m.outbox.SendEmail(ctx, p.OutboxID, m.now, m.send)
		if err != nil {
			return err
		}
		if sent {
			m.log.InfoContext(ctx, "e-mail sent", "outbox_id", p.OutboxID)
		}
		return nil
	}}
}

// send delivers one message over SMTP. The Message-ID is derived from the
// dedup key, so in the one case we cannot rule out (the process dies after
// the server accepted the message and before the row is marked sent) the
// repeat carries the same Message-ID and mail clients show it once.
func (m *Mailer) send(e Email) error {
	from, err := mail.ParseAddress(m.smtp.From)
	if err != nil {
		return fmt.Errorf("CAU_SMTP_FROM: %w", asynq.SkipRetry)
	}
	if _, err := mail.ParseAddress(e.To); err != nil {
		return fmt.Errorf("bad recipient %q: %w", e.To, asynq.SkipRetry)
	}
	var a smtp.Auth
	if m.smtp.Username != "" {
		host, _, _ := strings.Cut(m.smtp.Addr, ":")
		a = smtp.PlainAuth("", m.smtp.Username, m.smtp.Password, host)
	}
	return smtp.SendMail(m.smtp.Addr, a, from.Address, []string{e.To}, Message(from, e, m.now()))
}

// Message renders an e-mail as UTF-8 quoted-printable text.
func Message(from *mail.Address, e Email, at time.Time) []byte {
	var b strings.Builder
	_, domain, _ := strings.Cut(from.Address, "@")
	fmt.Fprintf(&b, "From: %s\r\n", from.String())
	fmt.Fprintf(&b, "To: %s\r\n", e.To)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", e.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", at.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", strings.NewReplacer(":", ".", " ", "").Replace(e.DedupKey), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(strings.ReplaceAll(e.Body, "\n", "\r\n")))
	w.Close()
	return []byte(b.String())
}
