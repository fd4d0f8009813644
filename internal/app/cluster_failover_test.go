package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/document/doctest"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// callee is a hall's client that reconnects the way the web client does
// (web/static/js/signaling.js, socket.js): when its socket ends it asks the
// join API again, after 250 ms doubling to 8 s with jitter, and connects
// to the node named there (a fresh join: no node knows the session of a
// node that died).
type callee struct {
	t     *testing.T
	p     *province
	who   string
	hall  int64
	mu    sync.Mutex
	c     *sfuclient.Client
	cnt   *counter
	url   string    // node of the current connection
	since time.Time // current connection's join
	all   []*sfuclient.Client
	stop  chan struct{}
	done  chan struct{}
}

func newCallee(t *testing.T, p *province, who string, hall int64) *callee {
	k := &callee{t: t, p: p, who: who, hall: hall, stop: make(chan struct{}), done: make(chan struct{})}
	g := p.join(t, who, hall)
	c, cnt := hallClient(t, g)
	k.c, k.cnt, k.url, k.since = c, cnt, g.NodeURL, time.Now()
	go k.follow()
	t.Cleanup(func() {
		close(k.stop)
		<-k.done
		k.mu.Lock()
		defer k.mu.Unlock()
		for _, c := range k.all {
			_ = c.Close()
		}
	})
	return k
}

func (k *callee) client() (*sfuclient.Client, *counter, string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.c, k.cnt, k.url
}

func (k *callee) follow() {
	defer close(k.done)
	for {
		c, _, _ := k.client()
		select {
		case <-k.stop:
			return
		case <-c.Lost():
		}
		for attempt := 0; ; attempt++ {
			base := min(8*time.Second, 250*time.Millisecond<<attempt)
			select {
			case <-k.stop:
				return
			case <-time.After(base/2 + time.Duration(rand.Int64N(int64(base/2)))):
			}
			g, ok := k.tryJoin()
			if !ok {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			cnt := &counter{n: map[string]int{}}
			nc, err := sfuclient.Dial(ctx, sfuclient.Options{URL: g.SignalingURL, Token: g.Token, OnTrack: cnt.onTrack})
			cancel()
			if err != nil {
				continue
			}
			k.mu.Lock()
			k.c, k.cnt, k.url, k.since = nc, cnt, g.NodeURL, time.Now()
			k.all = append(k.all, nc)
			k.mu.Unlock()
			if err := publishSynthetic(nc); err != nil {
				k.t.Logf("%s: %v", k.who, err)
			}
			break
		}
	}
}

// tryJoin asks the join API, without failing the test (an outage answers
// 503 until a node is listed).
func (k *callee) tryJoin() (joinGrant, bool) {
	body, _ := json.Marshal(map[string]any{"hall_id": k.hall})
	req, _ := http.NewRequest("POST", k.p.api.URL+k.p.w.base+"/join", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+k.p.w.tokens[k.who])
	req.Header.Set("Content-Type", "application/json")
	resp, err := k.p.api.Client.Do(req)
	if err != nil {
		return joinGrant{}, false
	}
	defer resp.Body.Close()
	var g joinGrant
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&g) != nil {
		return joinGrant{}, false
	}
	return g, true
}

// backWithFloor waits until the hall is connected to a node other than
// dead and receives the floor from it (30 packets); it returns when.
func (k *callee) backWithFloor(dead string, within time.Duration) (time.Time, string) {
	k.t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, cnt, url := k.client()
		if url != dead && cnt.get(string(sfu.FloorTrack)) >= 30 {
			return time.Now(), url
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("%s: not back with the floor within %v (node %s, dead %s, floor packets %d)", k.who, within, url, dead, cnt.get(string(sfu.FloorTrack)))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// roster replays a client's view of the room: who is in it and the floor.
func roster(c *sfuclient.Client) (map[sfu.ParticipantID]sfu.Kind, sfu.ParticipantID) {
	j := c.Joined()
	in := map[sfu.ParticipantID]sfu.Kind{}
	for _, p := range j.Participants {
		in[p.Identity] = p.Kind
	}
	floor := j.Floor
	for _, ev := range c.Events() {
		switch ev.Type {
		case "joined":
			in = map[sfu.ParticipantID]sfu.Kind{}
			var jj sfu.Joined
			_ = json.Unmarshal(ev.Data, &jj)
			for _, p := range jj.Participants {
				in[p.Identity] = p.Kind
			}
			floor = jj.Floor
		case "participant_joined":
			var e sfu.ParticipantJoinedEvent
			_ = json.Unmarshal(ev.Data, &e)
			in[e.Participant.Identity] = e.Participant.Kind
		case "participant_left":
			var e sfu.ParticipantLeftEvent
			_ = json.Unmarshal(ev.Data, &e)
			delete(in, e.Identity)
		case "floor":
			var e sfu.FloorEvent
			_ = json.Unmarshal(ev.Data, &e)
			floor = e.Identity
		}
	}
	return in, floor
}

// sessionRecord is what PostgreSQL holds of the meeting: its session
// events in order, its votes' ballots and its documents.
type sessionRecord struct {
	events    []string
	seqGap    bool
	ballots   int
	documents int
}

func readRecord(t *testing.T, p *province) sessionRecord {
	t.Helper()
	ctx := context.Background()
	pool := p.api.App.DB.Pool
	var r sessionRecord
	rows, err := pool.Query(ctx, `SELECT seq, type FROM session_events WHERE meeting_id = $1 ORDER BY seq`, p.w.id)
	if err != nil {
		t.Fatal(err)
	}
	var want int64 = 1
	for rows.Next() {
		var seq int64
		var typ string
		if err := rows.Scan(&seq, &typ); err != nil {
			t.Fatal(err)
		}
		if seq != want {
			r.seqGap = true
		}
		want = seq + 1
		r.events = append(r.events, typ)
	}
	rows.Close()
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM vote_ballots b JOIN votes v ON v.id = b.vote_id WHERE v.meeting_id = $1`, p.w.id).Scan(&r.ballots); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM documents WHERE meeting_id = $1`, p.w.id).Scan(&r.documents); err != nil {
		t.Fatal(err)
	}
	return r
}

// upload attaches a PDF to the meeting through the api node.
func upload(t *testing.T, p *province, title string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("title", title)
	fw, _ := mw.CreateFormFile("file", title+".pdf")
	_, _ = fw.Write(doctest.PDF(title))
	mw.Close()
	req, _ := http.NewRequest("POST", p.api.URL+p.w.base+"/documents", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+p.w.tokens["secretary"])
	resp, err := p.api.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload %s: %d", title, resp.StatusCode)
	}
}

// vote opens a vote for the chair, casts the chair's ballot and closes it.
func vote(t *testing.T, p *province, question string) {
	t.Helper()
	var v struct {
		VoteID int64 `json:"vote_id"`
	}
	p.w.do(t, "chair", "POST", p.w.base+"/session/votes", map[string]any{"question": question, "voter_roles": []string{"chair"}}, 201, &v)
	p.w.do(t, "chair", "POST", fmt.Sprintf("%s/session/votes/%d/ballot", p.w.base, v.VoteID), map[string]any{"choice": "yes"}, 204, nil)
	p.w.do(t, "chair", "POST", fmt.Sprintf("%s/session/votes/%d/close", p.w.base, v.VoteID), nil, 204, nil)
}

// grantFloor gives the floor to a hall: its operator asks, the chair grants.
func grantFloor(t *testing.T, p *province, who string, hall int64) {
	t.Helper()
	var r struct {
		RequestID int64 `json:"request_id"`
	}
	p.w.do(t, who, "POST", p.w.base+"/session/speaking", map[string]any{"hall_id": hall}, 201, &r)
	p.w.do(t, "chair", "POST", fmt.Sprintf("%s/session/speaking/%d/grant", p.w.base, r.RequestID), nil, 204, nil)
}

// TestClusterFailover runs the SFU nodes as `cau serve` processes and
// kills them with SIGKILL. The edge (district) node dies: its communes'
// clients are back with the floor's picture on another node within 10 s,
// and the home room drops the relay's ghosts at once. The home (province)
// node dies: the room's lease lapses, the room is re-homed on a node that
// has its halls, the other node re-relays to it, the new home pins the
// floor the session in PostgreSQL names, and the session goes on. No
// session event, ballot or document is lost.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts `cau serve` processes")
	}
	var home, edge, spare *serveProc
	p := setupProvinceWith(t, func(p *province, db, rdb string, key apptest.Option) {
		home = startServe(t, p.api, "sfu-province", p.root)
		edge = startServe(t, p.api, "sfu-bao-lam", p.district)
		spare = startServe(t, p.api, "sfu-spare", p.root) // a standby for the province
	})
	room := fmt.Sprintf("meeting-%d", p.w.id)
	name := func(url string) string {
		for _, n := range []*serveProc{home, edge, spare} {
			if n.url == url {
				return n.id
			}
		}
		return url
	}
	provinceID := sfu.ParticipantID(fmt.Sprintf("hall-%d", p.provinceHall))
	communeID, commune2ID := sfu.ParticipantID(fmt.Sprintf("hall-%d", p.communeHall)), sfu.ParticipantID(fmt.Sprintf("hall-%d", p.communeHall2))

	province := newCallee(t, p, "op-province", p.provinceHall)
	if _, _, url := province.client(); url != home.url {
		t.Fatalf("the province hall is on %s, want the province node %s", url, home.url)
	}
	waitHome(t, p, room, home.id, 5*time.Second)
	commune := newCallee(t, p, "op-commune", p.communeHall)
	commune2 := newCallee(t, p, "op-commune2", p.communeHall2)
	for _, k := range []*callee{commune, commune2} {
		if _, _, url := k.client(); url != edge.url {
			t.Fatalf("%s is on %s, want the district node %s", k.who, url, edge.url)
		}
	}
	// The session before any failure: the province hall has the floor, a
	// document, a vote.
	grantFloor(t, p, "op-province", p.provinceHall)
	upload(t, p, "Báo cáo trước sự cố")
	vote(t, p, "Biểu quyết trước sự cố")
	for _, k := range []*callee{commune, commune2} {
		_, cnt, _ := k.client()
		cnt.waitPackets(t, string(sfu.FloorTrack), 30, k.who+" sees the floor over the relay")
	}
	pc, _, _ := province.client()
	waitRoster(t, pc, "the province hall sees the communes (ghosts of the relay)", func(in map[sfu.ParticipantID]sfu.Kind, _ sfu.ParticipantID) bool {
		_, a := in[communeID]
		_, b := in[commune2ID]
		return a && b
	})
	before := readRecord(t, p)

	// --- kill -9 of the edge node ---
	killed := time.Now()
	edge.kill()
	for _, k := range []*callee{commune, commune2} {
		at, url := k.backWithFloor(edge.url, 10*time.Second)
		t.Logf("edge kill -9: %s back with the floor on %s after %v", k.who, name(url), at.Sub(killed).Round(time.Millisecond))
	}
	// The home room dropped the relay and its ghosts (the province hall
	// saw them leave) before the communes came back as its own halls.
	relayID := sfu.ParticipantID("relay-" + edge.id)
	for _, id := range []sfu.ParticipantID{relayID, communeID, commune2ID} {
		at := leftAfter(pc, id, killed)
		if at.IsZero() {
			t.Fatalf("the home room never dropped %s after the edge died", id)
		}
		t.Logf("edge kill -9: the home room dropped %s after %v", id, at.Sub(killed).Round(time.Millisecond))
	}
	// They are back through the standby node's relay; nothing of the dead
	// node's is left in the strip.
	waitRoster(t, pc, "the communes are back in the home room through the standby's relay, nothing of the dead node left", func(in map[sfu.ParticipantID]sfu.Kind, _ sfu.ParticipantID) bool {
		for id := range in {
			if id != communeID && id != commune2ID && id != provinceID && id != sfu.ParticipantID("relay-"+spare.id) {
				return false
			}
		}
		return in[communeID] == sfu.KindHall && in[commune2ID] == sfu.KindHall && in[sfu.ParticipantID("relay-"+spare.id)] == sfu.KindRelay
	})

	// The district node comes back (its service restarts); a third commune
	// joins there and the node relays to the home again.
	edge.start(t)
	commune3 := newCallee(t, p, "op-commune3", p.communeHall3)
	if _, _, url := commune3.client(); url != edge.url {
		t.Fatalf("the third commune is on %s, want the restarted district node %s", url, edge.url)
	}
	_, c3cnt, _ := commune3.client()
	c3cnt.waitPackets(t, string(sfu.FloorTrack), 30, "the third commune sees the floor over the new relay")
	upload(t, p, "Báo cáo giữa hai sự cố")

	// --- kill -9 of the home node ---
	killed = time.Now()
	home.kill()
	newHome := waitHomeNot(t, p, room, home.id, 10*time.Second)
	t.Logf("home kill -9: the room re-homed on %s after %v", newHome, time.Since(killed).Round(time.Millisecond))
	if newHome != edge.id && newHome != spare.id {
		t.Fatalf("the room re-homed on %q", newHome)
	}
	for _, k := range []*callee{province} {
		at, url := k.backWithFloor(home.url, 10*time.Second)
		t.Logf("home kill -9: %s back with the floor on %s after %v", k.who, name(url), at.Sub(killed).Round(time.Millisecond))
	}
	// The floor is still the province hall's (the new home read it from
	// PostgreSQL), on every node.
	for _, k := range []*callee{province, commune, commune2, commune3} {
		c, _, _ := k.client()
		waitRoster(t, c, k.who+" sees the province hall's floor after the re-homing", func(_ map[sfu.ParticipantID]sfu.Kind, floor sfu.ParticipantID) bool {
			return floor == provinceID
		})
	}
	homeProc := spare
	if newHome == edge.id {
		homeProc = edge
	}
	if b, _ := os.ReadFile(homeProc.log); !bytes.Contains(b, []byte("floor restored from the session")) {
		t.Errorf("the new home %s did not pin the floor from the session in PostgreSQL (its log says nothing of it)", newHome)
	}
	_, c3cnt, _ = commune3.client()
	n0 := c3cnt.get(string(sfu.FloorTrack))
	c3cnt.waitPackets(t, string(sfu.FloorTrack), n0+30, "the third commune (its node survived) sees the floor again")
	// The node that is not the home re-relayed to the one that is: a
	// client on the new home sees the other node's relay.
	other := spare
	onHome := commune3
	if newHome == spare.id {
		other = edge
		onHome = province
	}
	hc, _, _ := onHome.client()
	waitRoster(t, hc, "the new home has the other node's relay", func(in map[sfu.ParticipantID]sfu.Kind, _ sfu.ParticipantID) bool {
		return in[sfu.ParticipantID("relay-"+other.id)] == sfu.KindRelay
	})

	// The session goes on: another document, another vote, the floor ends.
	upload(t, p, "Báo cáo sau sự cố")
	vote(t, p, "Biểu quyết sau sự cố")
	after := readRecord(t, p)
	if after.seqGap || len(after.events) < len(before.events) || strings.Join(after.events[:len(before.events)], ",") != strings.Join(before.events, ",") {
		t.Errorf("session events before the failures %v, after %v (gap %v)", before.events, after.events, after.seqGap)
	}
	if after.ballots != before.ballots+1 || after.documents != before.documents+2 {
		t.Errorf("ballots %d → %d (want +1), documents %d → %d (want +2)", before.ballots, after.ballots, before.documents, after.documents)
	}
	t.Logf("PostgreSQL: %d session events before, %d after (no gap); ballots %d → %d; documents %d → %d",
		len(before.events), len(after.events), before.ballots, after.ballots, before.documents, after.documents)

	// Bad input. A node started with another node key is refused at its
	// registration: it exits saying so and is never listed.
	rogue := &serveProc{id: "sfu-rogue", url: fmt.Sprintf("http://127.0.0.1:%d", freePort(t)), log: filepath.Join(t.TempDir(), "rogue.log")}
	rogue.env = append(append([]string(nil), spare.env...), "CAU_NODE_ID=sfu-rogue", "CAU_NODE_KEY_FILE="+filepath.Join(t.TempDir(), "rogue.pem"),
		"CAU_HTTP_ADDR="+strings.TrimPrefix(rogue.url, "http://"), "CAU_PUBLIC_URL="+rogue.url)
	bin, _ := cauBinary()
	cmd := exec.Command(bin, "serve")
	cmd.Env = rogue.env
	out, err := runWithin(cmd, 60*time.Second)
	if err == nil || !strings.Contains(string(out), "is not the cluster's") {
		t.Errorf("a node with a forged key: %v\n%s\nwant an exit saying its key is not the cluster's", err, out)
	}
	if n, _ := p.api.App.Redis.Exists(context.Background(), "cau:node:sfu-rogue").Result(); n != 0 {
		t.Errorf("the node with a forged key is in the directory")
	}
	// Every SFU node is gone (the room's home too): the join API says so
	// and hands out nothing.
	edge.kill()
	spare.kill()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, b := p.api.Do(t, "POST", p.w.base+"/join", p.w.tokens["op-commune"], map[string]any{"hall_id": p.communeHall})
		if st == http.StatusServiceUnavailable {
			if !bytes.Contains(b, []byte("no_media_node")) || bytes.Contains(b, []byte("token")) {
				t.Errorf("join with no SFU node left: %d %s, want no_media_node and no token", st, b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("join 5 s after every SFU node died: %d %s, want 503 no_media_node", st, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runWithin runs cmd and returns its output, killing it after d.
func runWithin(cmd *exec.Cmd, d time.Duration) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.Bytes(), err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return out.Bytes(), fmt.Errorf("still running after %v", d)
	}
}

// leftAfter is when a client heard id leave the room after since (zero if
// it did not).
func leftAfter(c *sfuclient.Client, id sfu.ParticipantID, since time.Time) time.Time {
	for _, ev := range c.Events() {
		if ev.Type != "participant_left" || ev.At.Before(since) {
			continue
		}
		var e sfu.ParticipantLeftEvent
		if json.Unmarshal(ev.Data, &e) == nil && e.Identity == id {
			return ev.At
		}
	}
	return time.Time{}
}

func waitHome(t *testing.T, p *province, room, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h, _ := p.api.App.Redis.Get(context.Background(), "cau:room:"+room+":home").Result()
		if h == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("room home %q after %v, want %s", h, within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitHomeNot(t *testing.T, p *province, room, dead string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h, _ := p.api.App.Redis.Get(context.Background(), "cau:room:"+room+":home").Result()
		if h != "" && h != dead {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("room home %q %v after its home died", h, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRoster waits up to 10 s for a client's view of the room to match.
func waitRoster(t *testing.T, c *sfuclient.Client, what string, ok func(map[sfu.ParticipantID]sfu.Kind, sfu.ParticipantID) bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		in, floor := roster(c)
		if ok(in, floor) {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s (participants %v, floor %q)", what, in, floor)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
