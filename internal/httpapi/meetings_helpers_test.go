package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/live"
	"github.com/cau-gov/cau/internal/mail/smtptest"
	"github.com/cau-gov/cau/internal/meeting"
)

// province is the reference province: a province unit with its hall, 12
// districts with a hall each, and 147 communes (12 or 13 per district)
// with a hall each: 160 halls. People: a secretary, a chair, two
// delegates, a presenter, an observer, the operator of district 1's hall,
// an outsider delegate and an admin.
type province struct {
	env       *apptest.Env
	sink      *smtptest.Server
	root      int64
	districts []int64
	halls     map[string]int64 // "province", "d1", "c1-1", …
	users     map[string]int64
	tokens    map[string]string
}

const pw = "mật-khẩu-thử-nghiệm-9"

func setupProvince(t *testing.T, opts ...apptest.Option) *province {
	t.Helper()
	sink := smtptest.New(t)
	opts = append([]apptest.Option{smtpTo(sink)}, opts...)
	env := apptest.New(t, opts...)
	w := &province{env: env, sink: sink, halls: map[string]int64{}, users: map[string]int64{}, tokens: map[string]string{}}
	ctx := context.Background()
	w.root = env.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng")
	w.halls["province"] = env.Hall(t, w.root, "dc-tinh", "Điểm cầu tỉnh")
	// 147 communes over 12 districts: 3 districts of 13, 9 of 12.
	n := 0
	for d := 1; d <= 12; d++ {
		du := env.Unit(t, w.root, "district", fmt.Sprintf("huyen-%d", d), fmt.Sprintf("UBND huyện %d", d))
		w.districts = append(w.districts, du)
		w.halls[fmt.Sprintf("d%d", d)] = env.Hall(t, du, fmt.Sprintf("dc-huyen-%d", d), fmt.Sprintf("Điểm cầu huyện %d", d))
		per := 12
		if d <= 3 {
			per = 13
		}
		_, err := env.App.DB.Pool.Exec(ctx, `WITH u AS (
				INSERT INTO units (parent_id, level, code, name)
				SELECT $1, 'commune', format('xa-%s-%s', $2::int, g), format('UBND xã %s-%s', $2::int, g) FROM generate_series(1, $3::int) g
				RETURNING id, code)
			INSERT INTO halls (unit_id, code, name) SELECT id, 'dc-' || code, 'Điểm cầu ' || code FROM u`, du, d, per)
		if err != nil {
			t.Fatal(err)
		}
		n += per
	}
	if n != 147 {
		t.Fatalf("communes: %d", n)
	}
	d1 := w.districts[0]
	people := map[string][]auth.RoleGrant{
		"secretary": {apptest.Grant(auth.RoleSecretary)},
		"chair":     {apptest.Grant(auth.RoleChair)},
		"delegate1": {apptest.Grant(auth.RoleDelegate)},
		"delegate2": {apptest.Grant(auth.RoleDelegate)},
		"presenter": {apptest.Grant(auth.RoleDelegate)},
		"observer":  {apptest.Grant(auth.RoleObserver)},
		"operator":  {apptest.OperatorGrant(w.halls["d1"])},
		"outsider":  {apptest.Grant(auth.RoleDelegate)},
		"admin":     {apptest.Grant(auth.RoleAdmin)},
	}
	for name, grants := range people {
		unit := w.root
		if name == "operator" || name == "delegate2" {
			unit = d1
		}
		w.users[name] = env.User(t, unit, name, pw, grants...)
		w.tokens[name], _ = env.Login(t, name, pw)
	}
	return w
}

// relogin refreshes tokens after a restart (the keys survive it; this only
// makes the test independent of access token lifetimes).
func (w *province) do(t *testing.T, who, method, path string, body any, want int, out any) {
	t.Helper()
	w.env.DoJSON(t, method, path, w.tokens[who], body, want, out)
}

// status sends a request and returns its status and error code.
func (w *province) status(t *testing.T, who, method, path string, body any) (int, string) {
	t.Helper()
	st, b := w.env.Do(t, method, path, w.tokens[who], body)
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	return st, e.Error.Code
}

func (w *province) createMeeting(t *testing.T) int64 {
	t.Helper()
	var m struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	start := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	w.do(t, "secretary", "POST", "/api/v1/meetings", map[string]any{
		"kind": "province_online", "title": "Hội nghị trực tuyến toàn tỉnh về chuyển đổi số", "place": "Hội trường UBND tỉnh",
		"starts_at": start, "ends_at": start.Add(3 * time.Hour), "chair_id": w.users["chair"],
	}, http.StatusCreated, &m)
	if m.Status != "draft" {
		t.Fatalf("new meeting status %q", m.Status)
	}
	return m.ID
}

// socket is a live-session WebSocket client.
type socket struct {
	t    *testing.T
	conn *websocket.Conn
	ch   chan live.Frame
	// organizer: may receive organizer-only events.
	organizer bool
}

func (w *province) connect(t *testing.T, env *apptest.Env, who string, meetingID int64, since string) *socket {
	t.Helper()
	u, _ := url.Parse(env.URL)
	u.Scheme = "ws"
	u.Path = fmt.Sprintf("/api/v1/meetings/%d/live", meetingID)
	q := url.Values{"access_token": {w.tokens[who]}}
	if since != "" {
		q.Set("since", since)
	}
	u.RawQuery = q.Encode()
	conn, resp, err := websocket.DefaultDialer.Dial(u.String(), nil)
	if err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		t.Fatalf("dial live as %s: %v (status %d)", who, err, st)
	}
	s := &socket{t: t, conn: conn, ch: make(chan live.Frame, 1024), organizer: who == "chair" || who == "secretary" || who == "admin"}
	go func() {
		defer close(s.ch)
		for {
			var f live.Frame
			if err := conn.ReadJSON(&f); err != nil {
				return
			}
			s.ch <- f
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return s
}

// next returns the next frame, failing after 5 s.
func (s *socket) next() live.Frame {
	s.t.Helper()
	select {
	case f, ok := <-s.ch:
		if !ok {
			s.t.Fatal("live socket closed")
		}
		if f.Type == "event" && f.Event.Type == "vote.tally" && !s.organizer {
			s.t.Fatal("a non-organizer's socket received the chair's live count")
		}
		return f
	case <-time.After(5 * time.Second):
		s.t.Fatal("no live frame within 5s")
	}
	return live.Frame{}
}

// waitEvent skips frames until an event of type typ arrives and returns its data.
func (s *socket) waitEvent(typ string) map[string]any {
	s.t.Helper()
	for {
		f := s.next()
		if f.Type == "event" && f.Event.Type == typ {
			var d map[string]any
			_ = json.Unmarshal(f.Event.Data, &d)
			d["_seq"] = f.Event.Seq
			return d
		}
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func meetingID(id int64) meeting.ID { return meeting.ID(id) }
func hallID(id int64) auth.HallID   { return auth.HallID(id) }
func userID(id int64) auth.UserID   { return auth.UserID(id) }
