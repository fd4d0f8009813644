package httpapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/jobs"
	"github.com/cau-gov/cau/internal/mail/smtptest"
)

// Helpers of the meeting story (meetings_test.go).

// smtpTo sends the app's e-mail to sink.
func smtpTo(sink *smtptest.Server) apptest.Option {
	return func(c *config.Config) { c.SMTP.Addr = sink.Addr }
}

// assertSecretUnlinkable checks that nothing in the database ties a secret
// ballot's choice to its voter: no per-voter choice rows, no actor or voter
// on its log events.
func assertSecretUnlinkable(t *testing.T, env *apptest.Env, vote int64) {
	t.Helper()
	if n := env.Count(t, "vote_ballots", "vote_id = $1", vote); n != 0 {
		t.Fatalf("secret vote has %d per-voter choice rows", n)
	}
	if n := env.Count(t, "vote_voters", "vote_id = $1", vote); n != 3 {
		t.Fatalf("voters recorded: %d", n)
	}
	if n := env.Count(t, "session_events", "type = 'vote.ballot' AND (data->>'vote_id')::bigint = $1 AND (actor_id IS NOT NULL OR data ? 'voter_id' OR data ? 'choice')", vote); n != 0 {
		t.Fatalf("%d ballot events name a voter or a choice", n)
	}
	// The only tables holding both a voter and a choice are vote_ballots (open votes only).
	n := env.Count(t, "information_schema.columns c1 JOIN information_schema.columns c2 USING (table_schema, table_name)",
		"c1.table_schema = 'public' AND c1.column_name = 'voter_id' AND c2.column_name = 'choice' AND c1.table_name <> 'vote_ballots'")
	if n != 0 {
		t.Fatalf("%d other tables hold a voter and a choice", n)
	}
	var secret bool
	if err := env.App.DB.Pool.QueryRow(context.Background(), `SELECT secret FROM votes WHERE id = $1`, vote).Scan(&secret); err != nil || !secret {
		t.Fatalf("vote %d not secret: %v", vote, err)
	}
}

func waitQueueEmpty(t *testing.T, redisURL string) {
	t.Helper()
	opt, err := jobs.RedisOpt(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	in := asynq.NewInspector(opt)
	defer in.Close()
	deadline := time.Now().Add(20 * time.Second)
	// Other areas' jobs share the queue: count only e-mail jobs.
	emailJobs := func() int {
		n := 0
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){in.ListPendingTasks, in.ListActiveTasks, in.ListRetryTasks, in.ListScheduledTasks} {
			ts, err := list(jobs.QueueDefault)
			if err != nil {
				return -1
			}
			for _, ti := range ts {
				if ti.Type == "email:send" {
					n++
				}
			}
		}
		return n
	}
	for {
		n := emailJobs()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("e-mail jobs not drained: %d left", n)
		}
		time.Sleep(20 * time.Millisecond) // polling Redis; the deadline bounds it
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// recordingMedia stands in for the SFU (written concurrently): it records
// what the session asked of it.
type recordingMedia struct {
	mu    sync.Mutex
	calls []string
}

func (m *recordingMedia) record(call string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, call)
	return nil
}

func (m *recordingMedia) PinFloor(room, identity string) error {
	return m.record("pin " + room + " " + identity)
}

func (m *recordingMedia) SetMuted(room, identity string, muted bool) error {
	return m.record(fmt.Sprintf("mute %s %s %v", room, identity, muted))
}

func (m *recordingMedia) Remove(room, identity string, _ time.Time) error {
	return m.record("remove " + room + " " + identity)
}

func (m *recordingMedia) SetRoomState(room, state string, _ time.Time) error {
	return m.record("room " + room + " " + state)
}

func (m *recordingMedia) last() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.calls) == 0 {
		return ""
	}
	return m.calls[len(m.calls)-1]
}
