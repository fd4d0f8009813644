package notify_test

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/mail/smtptest"
	"github.com/cau-gov/cau/internal/notify"
	"github.com/cau-gov/cau/internal/pgtest"
)

// TestSendRetriesAndNeverTwice: a refused send leaves the row pending with
// the error counted; the retry sends it; further runs of the job (a
// duplicate, a retry after a crash) send nothing more.
func TestSendRetriesAndNeverTwice(t *testing.T) {
	db := pgtest.New(t)
	sink := smtptest.New(t)
	ctx := context.Background()
	var id int64
	err := db.Pool.QueryRow(ctx, `INSERT INTO email_outbox (dedup_key, to_addr, subject, body, created_at)
		VALUES ('meeting:1:invited:2', 'dai-bieu@example.test', 'Giấy mời họp: Hội nghị trực tuyến', 'Thời gian: 08:00 24/11/2026', now()) RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	m := notify.NewMailer(db, nil, notify.SMTPConfig{Addr: sink.Addr, From: "Cầu <no-reply@cau.example>"}, slog.New(slog.DiscardHandler))
	run := func() error {
		return m.Handler().Func(ctx, asynq.NewTask(notify.TypeSendEmail, []byte(fmt.Sprintf(`{"outbox_id":%d}`, id))))
	}
	sink.SetFailing(true)
	if err := run(); err == nil {
		t.Fatal("a refused send reported success")
	}
	var attempts int
	var sent *time.Time
	var lastErr string
	_ = db.Pool.QueryRow(ctx, `SELECT attempts, sent_at, last_error FROM email_outbox WHERE id = $1`, id).Scan(&attempts, &sent, &lastErr)
	if attempts != 1 || sent != nil || !strings.Contains(lastErr, "451") || len(sink.Messages()) != 0 {
		t.Fatalf("after a refusal: attempts %d sent %v error %q messages %d", attempts, sent, lastErr, len(sink.Messages()))
	}
	sink.SetFailing(false)
	for range 3 {
		if err := run(); err != nil {
			t.Fatal(err)
		}
	}
	msgs := sink.WaitFor(1, 5*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("messages: %d, want 1", len(msgs))
	}
	msg, err := mail.ReadMessage(strings.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Giấy mời họp: Hội nghị trực tuyến" {
		t.Fatalf("subject %q %v", subject, err)
	}
	if msg.Header.Get("Message-Id") != "<meeting.1.invited.2@cau.example>" || msgs[0].To[0] != "dai-bieu@example.test" {
		t.Fatalf("headers: %v to %v", msg.Header, msgs[0].To)
	}
	// Bad payloads are not retried.
	if err := m.Handler().Func(ctx, asynq.NewTask(notify.TypeSendEmail, []byte(`{"outbox_id":"x"}`))); err == nil || !strings.Contains(err.Error(), asynq.SkipRetry.Error()) {
		t.Fatalf("bad payload: %v", err)
	}
}
