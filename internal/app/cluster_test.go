package app_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/pgtest"
	"github.com/cau-gov/cau/internal/redistest"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// province is a cluster of three `cau serve` nodes on one PostgreSQL and
// one Redis: an api node (no media), the province's SFU node and a
// district's SFU node serving its communes.
type province struct {
	api, home, edge *apptest.Env
	root, district  int64
	provinceHall    int64
	communeHall     int64
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
	t.Helper()
	db, rdb := pgtest.NewURL(t), redistest.NewURL(t)
	key := sharedKey(filepath.Join(t.TempDir(), "node.pem"))
	p := &province{}
	p.api = apptest.NewOn(t, db, rdb, key, nodeOpt("api-1", nil, config.RoleAPI, config.RoleWorker))
	p.root = p.api.Unit(t, 0, "province", "lam-dong", "UBND tỉnh Lâm Đồng")
	p.district = p.api.Unit(t, p.root, "district", "bao-lam", "UBND huyện Bảo Lâm")
	commune := p.api.Unit(t, p.district, "commune", "loc-thanh", "UBND xã Lộc Thành")
	p.home = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-province", []int64{p.root}, config.RoleSFU))
	p.edge = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-bao-lam", []int64{p.district}, config.RoleSFU))

	w := &modWorld{env: p.api, users: map[string]int64{}, tokens: map[string]string{}}
	p.provinceHall = p.api.Hall(t, p.root, "dc-tinh", "Điểm cầu tỉnh")
	p.communeHall = p.api.Hall(t, commune, "dc-loc-thanh", "Điểm cầu xã Lộc Thành")
	const pw = "mật-khẩu-thử-nghiệm-9"
	for name, g := range map[string]auth.RoleGrant{
		"chair": apptest.Grant(auth.RoleChair), "secretary": apptest.Grant(auth.RoleSecretary),
		"op-province": apptest.OperatorGrant(p.provinceHall), "op-commune": apptest.OperatorGrant(p.communeHall),
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
	w.do(t, "secretary", "POST", w.base+"/halls", map[string]any{"hall_ids": []int64{p.provinceHall, p.communeHall}}, 200, nil)
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
