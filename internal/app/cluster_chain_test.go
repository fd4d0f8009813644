package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/cluster"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/sfu"
)

func parentOpt(id string) apptest.Option {
	return func(c *config.Config) { c.Node.Parent = id }
}

// TestClusterChain: a commune node whose parent is the district node,
// whose parent is the province node, the room's home. The commune's hall
// relays to the district node, which relays on to the home: the province
// hall's floor comes down H → D → C once per link, the commune hall's
// microphone and camera go up C → D → H, and the home has no relay from
// the commune node.
func TestClusterChain(t *testing.T) {
	var communeNode *apptest.Env
	p := setupProvinceWith(t, func(p *province, db, rdb string, key apptest.Option) {
		p.home = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-province", []int64{p.root}, config.RoleSFU))
		p.edge = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-bao-lam", []int64{p.district}, config.RoleSFU), parentOpt("sfu-province"))
		communeNode = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-loc-thanh", []int64{p.commune}, config.RoleSFU), parentOpt("sfu-bao-lam"))
	})
	room := sfu.RoomID(fmt.Sprintf("meeting-%d", p.w.id))
	provinceID := sfu.ParticipantID(fmt.Sprintf("hall-%d", p.provinceHall))
	communeID := sfu.ParticipantID(fmt.Sprintf("hall-%d", p.communeHall))
	// Simulcast, as browsers send: the thumbnail asked below is the low
	// layer (150 kbit/s), which fits a commune's line.
	simulcast := []int{150_000, 500_000, 1_500_000}
	_, provinceCnt := hallClient(t, p.join(t, "op-province", p.provinceHall), simulcast...)
	waitHome(t, p, string(room), "sfu-province", 5*time.Second)
	if err := p.home.App.SFU.PinFloor(room, provinceID); err != nil {
		t.Fatal(err)
	}
	g := p.join(t, "op-commune", p.communeHall)
	if g.NodeURL != communeNode.URL {
		t.Fatalf("the commune's hall was placed on %s, want its commune node %s", g.NodeURL, communeNode.URL)
	}
	communeC, communeCnt := hallClient(t, g)
	_, commune2Cnt := hallClient(t, p.join(t, "op-commune2", p.communeHall2)) // on the district node

	communeCnt.waitPackets(t, string(sfu.FloorTrack), 30, "the commune hall sees the province hall's floor over two links")
	communeCnt.waitPackets(t, string(provinceID)+"/microphone", 25, "the commune hall hears the province hall")
	provinceCnt.waitPackets(t, string(communeID)+"/microphone", 25, "the province hall hears the commune hall over two links")
	commune2Cnt.waitPackets(t, string(communeID)+"/microphone", 25, "the district node's hall hears the commune node's")

	// The relays form the chain: C → D → H, and nothing C → H.
	for _, c := range []struct {
		env  *apptest.Env
		id   sfu.ParticipantID
		want bool
	}{{p.edge, "relay-sfu-loc-thanh", true}, {p.home, "relay-sfu-bao-lam", true}, {p.home, "relay-sfu-loc-thanh", false}} {
		if _, ok := c.env.App.SFU.Participant(room, c.id); ok != c.want {
			t.Errorf("%s on %s: %v, want %v", c.id, c.env.Config.Node.ID, ok, c.want)
		}
	}
	// Each link carries the floor's camera once: the home sends it to one
	// subscriber (the district node's relay), the district node to one
	// (the commune node's relay) beside its own hall's floor.
	camera := sfu.TrackID(string(provinceID) + "/camera")
	subs := func(env *apptest.Env) (n int) {
		for _, m := range env.App.SFU.Egress(room) {
			if _, ok := m[camera]; ok {
				n++
			}
		}
		return n
	}
	if h, d := subs(p.home), subs(p.edge); h != 1 || d != 1 {
		t.Errorf("the province camera leaves the home to %d subscribers and the district node to %d: want 1 and 1 (the next relay of the chain)", h, d)
	}
	// Streams per link, both directions. Down, what flows from the
	// sender to the next relay (a subscription turned off stays listed:
	// the district node's floor was its own hall's for a moment before
	// its relay pinned the home's): H → D the province camera and
	// microphone; D → C those and the district node's own hall's
	// microphone. Up, the streams each relay carries: C → D the commune's
	// camera and microphone; D → H those and the district hall's.
	flowing := func(env *apptest.Env, relay sfu.ParticipantID) (n int) {
		for _, v := range env.App.SFU.Egress(room)[relay] {
			if v > 0 {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		env   *apptest.Env
		relay sfu.ParticipantID
		want  int
	}{{p.home, "relay-sfu-bao-lam", 2}, {p.edge, "relay-sfu-loc-thanh", 3}} {
		waitFor(t, fmt.Sprintf("%d streams flowing from %s to %s", c.want, c.env.Config.Node.ID, c.relay), func() bool { return flowing(c.env, c.relay) == c.want })
	}
	for _, c := range []struct {
		env  *apptest.Env
		link string
		want float64
	}{{communeNode, "sfu-bao-lam", 2}, {p.edge, "sfu-province", 4}} {
		waitFor(t, fmt.Sprintf("%s carries %v streams up to %s", c.env.Config.Node.ID, c.want, c.link), func() bool {
			return relayMetric(t, c.env, "cau_sfu_relay_streams", c.link, "out") == c.want
		})
	}

	// The commune hall gets the floor: its camera goes up both links in
	// high and the province hall sees it.
	if err := p.home.App.SFU.PinFloor(room, communeID); err != nil {
		t.Fatal(err)
	}
	n0 := provinceCnt.get(string(sfu.FloorTrack))
	provinceCnt.waitPackets(t, string(sfu.FloorTrack), n0+30, "the province hall sees the commune node's hall as the floor")
	n0 = commune2Cnt.get(string(sfu.FloorTrack))
	commune2Cnt.waitPackets(t, string(sfu.FloorTrack), n0+30, "the district node's hall sees the commune node's hall as the floor")

	// Now the province hall is nobody's floor: the commune hall asks for
	// its thumbnail, and the ask goes up the chain (C asks D, which asks
	// H), the low layer down it.
	if err := communeC.Subscribe(camera, sfu.QualityLow); err != nil {
		t.Fatal(err)
	}
	n0 = communeCnt.get(string(camera))
	communeCnt.waitPackets(t, string(camera), n0+30, "the commune node's hall gets the province hall's thumbnail over two links")
	if h, d := subs(p.home), subs(p.edge); h != 1 || d != 1 {
		t.Errorf("the province thumbnail leaves the home to %d subscribers and the district node to %d: want 1 and 1", h, d)
	}
}

// TestClusterChainParentGone: a commune node whose parent is listed in
// the directory but does not answer (it died a moment ago: its record
// lives until the TTL) relays straight to the home after its first
// attempt fails, rather than trying the dead parent until its record
// lapses; its hall sees the floor.
func TestClusterChainParentGone(t *testing.T) {
	p := setupProvinceWith(t, func(p *province, db, rdb string, key apptest.Option) {
		p.home = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-province", []int64{p.root}, config.RoleSFU))
		p.edge = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-loc-thanh", []int64{p.commune}, config.RoleSFU), parentOpt("sfu-gone"))
	})
	// The dead parent's record, kept fresh: nothing listens at its URL.
	dir := cluster.NewDirectory(p.api.App.Redis, p.api.App.NodeKey, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gone := cluster.Node{ID: "sfu-gone", URL: fmt.Sprintf("http://127.0.0.1:%d", freePort(t))}
	if err := dir.Put(ctx, gone); err != nil {
		t.Fatal(err)
	}
	go func() {
		for ctx.Err() == nil {
			_ = dir.Put(ctx, gone)
			time.Sleep(200 * time.Millisecond)
		}
	}()
	room := sfu.RoomID(fmt.Sprintf("meeting-%d", p.w.id))
	provinceID := sfu.ParticipantID(fmt.Sprintf("hall-%d", p.provinceHall))
	hallClient(t, p.join(t, "op-province", p.provinceHall))
	waitHome(t, p, string(room), "sfu-province", 5*time.Second)
	if err := p.home.App.SFU.PinFloor(room, provinceID); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, communeCnt := hallClient(t, p.join(t, "op-commune", p.communeHall))
	communeCnt.waitPackets(t, string(sfu.FloorTrack), 30, "the commune node's hall sees the floor though its parent is dead")
	t.Logf("the commune node's parent dead but listed: the floor at its hall %v after it joined (heartbeat 100 ms)", time.Since(began).Round(time.Millisecond))
	r, ok := p.home.App.SFU.Participant(room, "relay-sfu-loc-thanh")
	if !ok {
		t.Fatalf("the home has no relay from the commune node")
	}
	// The dead parent heartbeats on (its record is kept fresh): the relay
	// round it stays open, not closed to try the parent every heartbeat.
	n0 := communeCnt.get(string(sfu.FloorTrack))
	time.Sleep(10 * p.home.Config.Node.Heartbeat)
	if now, ok := p.home.App.SFU.Participant(room, "relay-sfu-loc-thanh"); !ok || now != r {
		t.Errorf("the commune node's relay to the home was re-opened while its parent stayed unreachable")
	}
	communeCnt.waitPackets(t, string(sfu.FloorTrack), n0+30, "the commune node's hall keeps the floor")
}
