package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/redistest"
	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// province is a cluster of three `cau serve` nodes on one PostgreSQL and
// one Redis: an api node (no media), the province's SFU node and a
// district's SFU node serving its communes.
type province struct {
	api, home, edge *apptest.Env
	root, district  int64
	commune         int64 // the first commune's unit (its hall is communeHall)
	provinceHall    int64
	communeHall     int64
	communeHall2    int64     // another commune of the district
	communeHall3    int64     // a third, joined late by the failure test
	w               *modWorld // the meeting, through the api node
}

func nodeOpt(id string, units []int64, roles ...string) apptest.Option {
	return func(c *config.Config) {
		c.Node.ID, c.Node.Roles, c.Node.Units = id, roles, units
		c.Node.Heartbeat, c.Node.TTL = 100*time.Millisecond, time.Second
	}
}

func sharedKey(path string) apptest.Option {
	return func(c *config.Config) { c.Node.KeyFile = path }
}

func setupProvince(t *testing.T) *province {
	return setupProvinceWith(t, func(p *province, db, rdb string, key apptest.Option) {
		p.home = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-province", []int64{p.root}, config.RoleSFU))
		p.edge = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-bao-lam", []int64{p.district}, config.RoleSFU))
	})
}

// setupProvinceWith builds the province with startNodes starting its SFU
// nodes (in this process, or `cau serve` processes) once the units exist.
func setupProvinceWith(t *testing.T, startNodes func(p *province, db, rdb string, key apptest.Option)) *province {
	t.Helper()
	db, rdb := pgtest.NewURL(t), redistest.NewURL(t)
	key := sharedKey(filepath.Join(t.TempDir(), "node.pem"))
	p := &province{}
	p.api = apptest.NewOn(t, db, rdb, key, nodeOpt("api-1", nil, config.RoleAPI, config.RoleWorker))
	p.root = p.api.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng")
	p.district = p.api.Unit(t, p.root, "district", "bao-lam", "UBND huyện Bảo Lâm")
	commune := p.api.Unit(t, p.district, "commune", "loc-thanh", "UBND xã Lộc Thành")
	p.commune = commune
	startNodes(p, db, rdb, key)

	w := &modWorld{env: p.api, users: map[string]int64{}, tokens: map[string]string{}}
	p.provinceHall = p.api.Hall(t, p.root, "dc-tinh", "Điểm cầu tỉnh")
	p.communeHall = p.api.Hall(t, commune, "dc-loc-thanh", "Điểm cầu xã Lộc Thành")
	commune2 := p.api.Unit(t, p.district, "commune", "loc-ngai", "UBND xã Lộc Ngãi")
	p.communeHall2 = p.api.Hall(t, commune2, "dc-loc-ngai", "Điểm cầu xã Lộc Ngãi")
	commune3 := p.api.Unit(t, p.district, "commune", "loc-an", "UBND xã Lộc An")
	p.communeHall3 = p.api.Hall(t, commune3, "dc-loc-an", "Điểm cầu xã Lộc An")
	const pw = "mật-khẩu-thử-nghiệm-9"
	for name, g := range map[string]auth.RoleGrant{
		"chair": apptest.Grant(auth.RoleChair), "secretary": apptest.Grant(auth.RoleSecretary),
		"op-province": apptest.OperatorGrant(p.provinceHall), "op-commune": apptest.OperatorGrant(p.communeHall),
		"op-commune2": apptest.OperatorGrant(p.communeHall2), "op-commune3": apptest.OperatorGrant(p.communeHall3),
	} {
		w.users[name] = p.api.User(t, p.root, name, pw, g)
		w.tokens[name], _ = p.api.Login(t, name, pw)
	}
	var m struct {
		ID int64 `json:"id"`
	}
	start := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	w.do(t, "secretary", "POST", "/api/v1/meetings", map[string]any{"kind": "province_online", "title": "Hội nghị trực tuyến toàn tỉnh",
		"place": "Hội trường UBND tỉnh", "starts_at": start, "ends_at": start.Add(2 * time.Hour), "chair_id": w.users["chair"]}, 201, &m)
	w.id, w.base = m.ID, fmt.Sprintf("/api/v1/meetings/%d", m.ID)
	w.do(t, "secretary", "POST", w.base+"/halls", map[string]any{"hall_ids": []int64{p.provinceHall, p.communeHall, p.communeHall2, p.communeHall3}}, 200, nil)
	w.do(t, "secretary", "POST", w.base+"/publish", nil, 200, nil)
	w.do(t, "chair", "POST", w.base+"/session/open", nil, 204, nil)
	p.w = w
	return p
}

// joinGrant is what the api node's join answers.
type joinGrant struct {
	Token        string `json:"token"`
	SignalingURL string `json:"signaling_url"`
	NodeURL      string `json:"node_url"`
}

func (p *province) join(t *testing.T, who string, hall int64) joinGrant {
	t.Helper()
	body := map[string]any{}
	if hall != 0 {
		body["hall_id"] = hall
	}
	var g joinGrant
	p.w.do(t, who, "POST", p.w.base+"/join", body, 200, &g)
	return g
}

func dialGrant(t *testing.T, g joinGrant) *sfuclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := sfuclient.Dial(ctx, sfuclient.Options{URL: g.SignalingURL, Token: g.Token})
	if err != nil {
		t.Fatalf("dial %s: %v", g.SignalingURL, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestClusterPlacementAndCommands: the api node hands the commune's hall
// the district node and the province hall the province node; an SFU-only
// node serves media and operations only; the chair's mute taken by the
// api node reaches the hall on the district node through Redis; a node
// that drains moves its calls, and the hall's next join lands on a live
// node.
func TestClusterPlacementAndCommands(t *testing.T) {
	p := setupProvince(t)

	if g := p.join(t, "op-commune", p.communeHall); g.NodeURL != p.edge.URL || g.SignalingURL != "ws"+p.edge.URL[4:]+"/rtc" {
		t.Fatalf("the commune's hall was placed on %s (%s), want the district node %s", g.NodeURL, g.SignalingURL, p.edge.URL)
	}
	if g := p.join(t, "op-province", p.provinceHall); g.NodeURL != p.home.URL {
		t.Fatalf("the province hall was placed on %s, want the province node %s", g.NodeURL, p.home.URL)
	}

	// The web client may connect to every SFU node's /rtc (its CSP).
	resp, err := p.api.Client.Get(p.api.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, n := range []*apptest.Env{p.home, p.edge} {
		if origin := "ws" + n.URL[4:]; !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, origin) {
			t.Errorf("the web client's CSP does not let it reach the SFU node %s: %s", origin, csp)
		}
	}

	// An SFU-only node: no API, no web client; operations answer.
	for path, want := range map[string]int{"/api/v1/me": http.StatusNotFound, "/": http.StatusNotFound, "/healthz": http.StatusOK, "/readyz": http.StatusOK} {
		if st, b := p.edge.Do(t, "GET", path, p.w.tokens["chair"], nil); st != want {
			t.Errorf("GET %s on the SFU-only node: %d %s, want %d", path, st, b, want)
		}
	}
	// The api node has no media of its own.
	if p.api.App.SFU != nil {
		t.Errorf("the api node runs an SFU")
	}

	hall := dialGrant(t, p.join(t, "op-commune", p.communeHall))
	room := sfu.RoomID(fmt.Sprintf("meeting-%d", p.w.id))
	id := sfu.ParticipantID(fmt.Sprintf("hall-%d", p.communeHall))
	if _, ok := p.edge.App.SFU.Participant(room, id); !ok {
		t.Fatal("the commune's hall is not on the district node")
	}

	// Mute from the api node: the hall on the district node is told.
	p.w.do(t, "chair", "POST", p.w.base+"/session/moderation", map[string]any{"action": "mute", "hall_id": p.communeHall}, 204, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := hall.WaitFor(ctx, sfuclient.IsType("server_muted", func(e sfu.ServerMuted) bool { return e.Muted })); err != nil {
		t.Fatalf("the chair's mute (api node) did not reach the hall on the district node: %v", err)
	}

	// The district node drains: its hall is asked to move; the join API
	// no longer sends anyone there, and the mute holds on the new node
	// (its policy came with the command to every node).
	p.edge.Stop()
	waitClosed(t, hall, sfu.ReasonMoved)
	g := p.join(t, "op-commune", p.communeHall)
	if g.NodeURL != p.home.URL {
		t.Fatalf("after the district node left, the commune's hall was placed on %s, want %s", g.NodeURL, p.home.URL)
	}
	moved := dialGrant(t, g)
	if !moved.Joined().Self.Muted {
		t.Errorf("the muted hall joined the province node unmuted")
	}
}

// counter counts the packets a client receives per track ID.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	go sfuclient.ReadPackets(t, func(*rtp.Packet) {
		c.mu.Lock()
		c.n[t.ID()]++
		c.mu.Unlock()
	})
}

func (c *counter) get(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}

// waitPackets waits up to 10 s for at least n packets of track id.
func (c *counter) waitPackets(t *testing.T, id string, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.get(id) < n {
		if time.Now().After(deadline) {
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("%s: %d packets of %s in 10 s (want %d); received %v", what, c.n[id], id, n, c.n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hallClient dials a hall with a packet counter and publishes synthetic
// camera and microphone until the test ends.
func hallClient(t *testing.T, g joinGrant, layers ...int) (*sfuclient.Client, *counter) {
	t.Helper()
	cnt := &counter{n: map[string]int{}}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := sfuclient.Dial(ctx, sfuclient.Options{URL: g.SignalingURL, Token: g.Token, OnTrack: cnt.onTrack})
	if err != nil {
		t.Fatalf("dial %s: %v", g.SignalingURL, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := publishSynthetic(c, layers...); err != nil {
		t.Fatal(err)
	}
	return c, cnt
}

// publishSynthetic publishes a synthetic camera (one layer of 300 kbit/s,
// or simulcast layers of these bit rates, lowest first) and microphone
// until the client closes, and subscribes to the floor.
func publishSynthetic(c *sfuclient.Client, layers ...int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var rids []string
	if len(layers) == 3 {
		rids = []string{"q", "h", "f"}
	} else {
		layers = []int{300_000}
	}
	cam, err := c.PublishVideo(ctx, sfu.SourceCamera, webrtc.MimeTypeVP8, rids...)
	if err != nil {
		return fmt.Errorf("publish camera: %w", err)
	}
	mic, err := c.PublishAudio(ctx)
	if err != nil {
		return fmt.Errorf("publish microphone: %w", err)
	}
	mctx, stop := context.WithCancel(context.Background())
	go func() { // the media stops with the client's socket
		<-c.Lost()
		stop()
	}()
	go sfuclient.SendVideo(mctx, cam, sfuclient.VideoSpec{Bitrates: layers, FPS: 15})
	go sfuclient.SendAudio(mctx, mic, func() int { return 30 })
	return c.Subscribe(sfu.FloorTrack, sfu.QualityHigh)
}

// TestClusterRelay: the province hall on the home node and two commune
// halls on the district node hear each other and the communes see the
// floor, over one relay from the district node to the home node; a relay
// grant forged with another key, or a room token claiming the relay kind,
// is refused; a relay grant is no room token.
func TestClusterRelay(t *testing.T) {
	p := setupProvince(t)
	room := fmt.Sprintf("meeting-%d", p.w.id)
	provinceC, provinceCnt := hallClient(t, p.join(t, "op-province", p.provinceHall))
	provinceID := fmt.Sprintf("hall-%d", p.provinceHall)
	// The province node homes the room before the communes join.
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, _ := p.home.App.Redis.Get(context.Background(), "cau:room:"+room+":home").Result()
		if h == "sfu-province" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("room home %q after 5 s, want sfu-province", h)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The province hall has the floor (pinned: unpinned, the floor follows
	// the loudest, and the synthetic halls are all as loud, so a commune
	// could take it and see no floor of its own).
	if err := p.home.App.SFU.PinFloor(sfu.RoomID(room), sfu.ParticipantID(provinceID)); err != nil {
		t.Fatal(err)
	}
	// The communes send simulcast, as browsers do.
	simulcast := []int{150_000, 500_000, 1_500_000}
	communeC, communeCnt := hallClient(t, p.join(t, "op-commune", p.communeHall), simulcast...)
	commune2, commune2Cnt := hallClient(t, p.join(t, "op-commune2", p.communeHall2), simulcast...)
	communeID := fmt.Sprintf("hall-%d", p.communeHall)

	// Hearing each other across the relay, and the province's floor.
	communeCnt.waitPackets(t, provinceID+"/microphone", 25, "the commune hears the province hall")
	provinceCnt.waitPackets(t, communeID+"/microphone", 25, "the province hall hears the commune")
	communeCnt.waitPackets(t, string(sfu.FloorTrack), 30, "the commune sees the floor (the province hall) over the relay")
	commune2Cnt.waitPackets(t, string(sfu.FloorTrack), 30, "the second commune sees the floor over the relay")
	commune2Cnt.waitPackets(t, communeID+"/microphone", 25, "the communes of one node hear each other")

	// The floor leaves the home node once for the district node, whatever
	// the halls behind it: over 3 s, the province camera's packets sent by
	// the home node (to the relay alone) against the floor packets the
	// district node sends its two halls.
	camera := sfu.TrackID(provinceID + "/camera")
	sum := func(eg map[sfu.ParticipantID]map[sfu.TrackID]uint64, id sfu.TrackID) (n uint64, subs int) {
		for _, m := range eg {
			if v, ok := m[id]; ok {
				n += v
				subs++
			}
		}
		return n, subs
	}
	h0, _ := sum(p.home.App.SFU.Egress(sfu.RoomID(room)), camera)
	e0, _ := sum(p.edge.App.SFU.Egress(sfu.RoomID(room)), sfu.FloorTrack)
	time.Sleep(3 * time.Second)
	h1, homeSubs := sum(p.home.App.SFU.Egress(sfu.RoomID(room)), camera)
	e1, edgeSubs := sum(p.edge.App.SFU.Egress(sfu.RoomID(room)), sfu.FloorTrack)
	t.Logf("floor over 3 s: home node sent the province camera to %d subscriber(s), %d packets; the district node sent the floor to %d halls, %d packets",
		homeSubs, h1-h0, edgeSubs, e1-e0)
	for _, n := range []struct {
		name string
		env  *apptest.Env
	}{{"home", p.home}, {"district", p.edge}} {
		p50, p99, count := forwardDelay(t, n.env)
		t.Logf("%s node forward delay (reader to send, every packet it forwarded, relayed ones included): p50 ≤ %v, p99 ≤ %v over %d packets", n.name, p50, p99, count)
	}
	if homeSubs != 1 || edgeSubs != 2 {
		t.Errorf("the province camera leaves the home node to %d subscribers (want 1: the relay); the district node sends the floor to %d halls (want 2)", homeSubs, edgeSubs)
	}
	if h1-h0 == 0 || float64(e1-e0) < 1.5*float64(h1-h0) {
		t.Errorf("home sent %d packets of the floor, the district node %d to its two halls: want about twice as many on the district node", h1-h0, e1-e0)
	}

	// The counters of the link, on both ends: one stream per track whatever
	// the halls behind it. Down (home → district): the province hall's
	// camera (the floor both communes watch) and microphone, 2 streams;
	// up: the communes' cameras and microphones, 4.
	for _, c := range []struct {
		env        *apptest.Env
		link, dir  string
		want       float64
		whatStream string
	}{
		{p.home, "sfu-bao-lam", "out", 2, "home → district (the floor's camera and microphone, once for two communes)"},
		{p.edge, "sfu-province", "in", 2, "district ← home"},
		{p.edge, "sfu-province", "out", 4, "district → home (two communes' camera and microphone)"},
		{p.home, "sfu-bao-lam", "in", 4, "home ← district"},
	} {
		if got := relayMetric(t, c.env, "cau_sfu_relay_streams", c.link, c.dir); got != c.want {
			t.Errorf("cau_sfu_relay_streams{link=%q,direction=%q} = %v, want %v: %s", c.link, c.dir, got, c.want, c.whatStream)
		}
	}
	sent := relayMetric(t, p.home, "cau_sfu_relay_packets_total", "sfu-bao-lam", "out")
	got := relayMetric(t, p.edge, "cau_sfu_relay_packets_total", "sfu-province", "in")
	up := relayMetric(t, p.edge, "cau_sfu_relay_packets_total", "sfu-province", "out")
	upGot := relayMetric(t, p.home, "cau_sfu_relay_packets_total", "sfu-bao-lam", "in")
	t.Logf("link counters: home sent %v packets (%v bytes) down, the district node received %v; the district node sent %v up (%v bytes), home received %v",
		sent, relayMetric(t, p.home, "cau_sfu_relay_bytes_total", "sfu-bao-lam", "out"), got,
		up, relayMetric(t, p.edge, "cau_sfu_relay_bytes_total", "sfu-province", "out"), upGot)
	// Read one after the other while media flows: within 10 % (+20).
	near := func(a, b float64) bool { return a > 0 && b > 0 && math.Abs(a-b) <= 0.1*a+20 }
	if !near(sent, got) || !near(up, upGot) {
		t.Errorf("the two ends of the link disagree: down %v sent, %v received; up %v sent, %v received", sent, got, up, upGot)
	}

	// The layers the home wants go up, nothing else: the communes' cameras
	// in low while the province hall has the floor (thumbnails, the
	// console), the first commune's in high once it has the floor.
	upRate := func() float64 { // kbit/s up the link over 2 s
		b0 := relayMetric(t, p.edge, "cau_sfu_relay_bytes_total", "sfu-province", "out")
		time.Sleep(2 * time.Second)
		return (relayMetric(t, p.edge, "cau_sfu_relay_bytes_total", "sfu-province", "out") - b0) * 8 / 2 / 1000
	}
	// The floor pinned to the province hall (unpinned, it follows the
	// loudest, and the synthetic halls are all as loud).
	if err := p.home.App.SFU.PinFloor(sfu.RoomID(room), sfu.ParticipantID(provinceID)); err != nil {
		t.Fatal(err)
	}
	var low float64
	waitFor(t, "the communes' cameras in low while the province hall has the floor", func() bool { low = upRate(); return low < 600 })
	if err := p.home.App.SFU.PinFloor(sfu.RoomID(room), sfu.ParticipantID(communeID)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first commune's camera goes up in high once it has the floor", func() bool { return upRate() > 1000 })
	floorUp := upRate()
	n0 := provinceCnt.get(string(sfu.FloorTrack))
	provinceCnt.waitPackets(t, string(sfu.FloorTrack), n0+30, "the province hall sees the commune's camera as the floor")
	if err := p.home.App.SFU.PinFloor(sfu.RoomID(room), sfu.ParticipantID(provinceID)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the commune's camera back to low once the floor is the province's again", func() bool { return upRate() < 600 })
	t.Logf("up the link: %.0f kbit/s with the province hall as the floor (two communes' cameras in low, their microphones), %.0f kbit/s with the first commune as the floor (its camera in high)", low, floorUp)

	// One relay participant on the home node, with the commune as its ghost.
	relayID := sfu.ParticipantID("relay-sfu-bao-lam")
	rp, ok := p.home.App.SFU.Participant(sfu.RoomID(room), relayID)
	if !ok || rp.Grant().Kind != sfu.KindRelay {
		t.Fatalf("no relay participant %s on the home node", relayID)
	}
	if p.home.App.SFU.IsLocal(sfu.RoomID(room), sfu.ParticipantID(communeID)) {
		t.Errorf("the commune hall is local on the home node, want a ghost")
	}
	if _, ok := p.home.App.SFU.Participant(sfu.RoomID(room), sfu.ParticipantID(communeID)); !ok {
		t.Errorf("the commune hall is not in the home room")
	}

	// A camera muted on the edge is shown muted at home, and unmuted again.
	for _, muted := range []bool{true, false} {
		mark := provinceC.Mark()
		if err := communeC.Mute(sfu.SourceCamera, muted); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := provinceC.WaitFrom(ctx, mark, sfuclient.IsType("track_published", func(e sfu.TrackPublished) bool {
			return e.Track.ID == sfu.TrackID(communeID+"/camera") && e.Track.Muted == muted
		}))
		cancel()
		if err != nil {
			t.Fatalf("the commune's camera muted=%v on the edge: the province hall was not told (%v)", muted, err)
		}
	}
	// A hall cannot speak for a ghost.
	mark := provinceC.Mark()
	if err := provinceC.Send("mute", map[string]any{"source": "camera", "muted": true, "identity": communeID}); err != nil {
		t.Fatal(err)
	}
	mctx, mcancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err := provinceC.WaitFrom(mctx, mark, sfuclient.IsType("error", func(e sfu.ErrorEvent) bool { return e.Code == "not_allowed" }))
	mcancel()
	if err != nil {
		t.Errorf("a hall muting another's camera through the relay's message: no not_allowed (%v)", err)
	}

	// Leaving crosses the relay both ways. The chair joins the home node
	// in person (her microphone reaches the district node as a ghost's)
	// and leaves: the ghost leaves the district room. The second commune
	// leaves the district node: its ghost leaves the home room, and its two
	// streams stop crossing the link.
	chairID := sfu.ParticipantID(fmt.Sprintf("user-%d", p.w.users["chair"]))
	chair, _ := hallClient(t, p.join(t, "chair", 0))
	waitFor(t, "the chair's ghost on the district node", func() bool {
		_, ok := p.edge.App.SFU.Participant(sfu.RoomID(room), chairID)
		return ok && !p.edge.App.SFU.IsLocal(sfu.RoomID(room), chairID)
	})
	_ = chair.Close()
	waitFor(t, "the chair's ghost leaves the district node after she left the home node", func() bool {
		_, ok := p.edge.App.SFU.Participant(sfu.RoomID(room), chairID)
		return !ok
	})
	commune2ID := sfu.ParticipantID(fmt.Sprintf("hall-%d", p.communeHall2))
	_ = commune2.Close()
	waitFor(t, "the second commune's ghost leaves the home node after it left the district node", func() bool {
		_, ok := p.home.App.SFU.Participant(sfu.RoomID(room), commune2ID)
		return !ok
	})
	waitFor(t, "two streams up the link, not four, once the second commune left", func() bool {
		return relayMetric(t, p.edge, "cau_sfu_relay_streams", "sfu-province", "out") == 2 &&
			relayMetric(t, p.home, "cau_sfu_relay_streams", "sfu-bao-lam", "in") == 2
	})
	if _, ok := p.home.App.SFU.Participant(sfu.RoomID(room), sfu.ParticipantID(communeID)); !ok {
		t.Errorf("the first commune's ghost left the home node with the second")
	}

	// Bad relay grants.
	_, rogue, _ := ed25519.GenerateKey(rand.Reader)
	forged, err := roomtoken.NewRelaySigner(rogue).SignRelay(room, "rogue", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	homeWS := "ws" + p.home.URL[4:] + "/rtc"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := sfuclient.Dial(ctx, sfuclient.Options{URL: homeWS, Token: forged}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a relay grant signed with another key: %v, want 401", err)
	}
	roomKind, err := roomtoken.NewSigner(p.home.App.RoomKey).Sign(roomtoken.Claims{Room: room, Identity: "relay-x", Kind: roomtoken.KindRelay,
		Perms: []string{roomtoken.PermPublish, roomtoken.PermSubscribe}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sfuclient.Dial(ctx, sfuclient.Options{URL: homeWS, Token: roomKind}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a room token claiming the relay kind: %v, want 401", err)
	}
	real, err := roomtoken.NewRelaySigner(p.home.App.NodeKey).SignRelay(room, "x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sfuclient.PublishWHIP(ctx, p.home.URL+"/whip", real, sfuclient.Options{}, sfuclient.WHIPPublication{Audio: true}); err == nil {
		t.Errorf("a relay grant admitted by WHIP")
	}
	if _, err := sfuclient.PlayWHEP(ctx, p.home.URL+"/whep/"+room, real, sfuclient.Options{}, 1); err == nil {
		t.Errorf("a relay grant admitted by WHEP")
	}
	// Nor is it anything to the API (the join API, a hall's session).
	if st, b := p.api.Do(t, "POST", p.w.base+"/join", real, map[string]any{"hall_id": p.communeHall}); st != http.StatusUnauthorized {
		t.Errorf("a relay grant as the bearer of a join: %d %s, want 401", st, b)
	}
	for _, id := range []sfu.ParticipantID{"x", "relay-x", "rogue", "relay-rogue"} {
		if _, ok := p.home.App.SFU.Participant(sfu.RoomID(room), id); ok {
			t.Errorf("a refused grant joined as %s", id)
		}
	}
}

// waitFor waits up to 10 s for ok.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// relayMetric reads one series of a node's relay counters.
func relayMetric(t *testing.T, env *apptest.Env, name, link, dir string) float64 {
	t.Helper()
	mfs, err := env.App.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["link"] != link || labels["direction"] != dir {
				continue
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// forwardDelay reads a node's cau_sfu_forward_delay_seconds histogram: the
// upper bounds of the buckets holding its median and 99th percentile.
func forwardDelay(t *testing.T, env *apptest.Env) (p50, p99 time.Duration, count uint64) {
	t.Helper()
	mfs, err := env.App.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "cau_sfu_forward_delay_seconds" || len(mf.GetMetric()) == 0 {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		count = h.GetSampleCount()
		for _, b := range h.GetBucket() {
			le := time.Duration(b.GetUpperBound() * float64(time.Second))
			if p50 == 0 && float64(b.GetCumulativeCount()) >= 0.5*float64(count) {
				p50 = le
			}
			if p99 == 0 && float64(b.GetCumulativeCount()) >= 0.99*float64(count) {
				p99 = le
			}
		}
	}
	return p50, p99, count
}
