package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
)

// player counts what a WHEP player decodes: video packets whose synthetic
// VP8 frame parses, whether the first of them starts a key frame, audio
// packets.
type player struct {
	mu           sync.Mutex
	video, audio int
	firstKey     bool      // the first video packet starts a key frame
	firstVideo   time.Time // when it arrived
}

func (pl *player) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	go sfuclient.ReadPackets(t, func(p *rtp.Packet) {
		if len(p.Payload) == 0 {
			return
		}
		pl.mu.Lock()
		if t.Kind() == webrtc.RTPCodecTypeAudio {
			pl.audio++
		} else if f, ok := sfuclient.ParseSynthetic(p.Payload); ok {
			if pl.firstVideo.IsZero() {
				pl.firstVideo, pl.firstKey = time.Now(), f.Keyframe
			}
			pl.video++
		}
		pl.mu.Unlock()
	})
}

func (pl *player) counts() (video, audio int, firstKey bool) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.video, pl.audio, pl.firstKey
}

func (pl *player) first() time.Time {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.firstVideo
}

// roomToken signs a room token as the join API does, for WHIP and WHEP.
func roomToken(t *testing.T, env *apptest.Env, room, identity, kind string, perms ...string) string {
	t.Helper()
	tok, err := roomtoken.NewSigner(env.App.RoomKey).Sign(roomtoken.Claims{Room: room, Identity: identity, Kind: kind, Perms: perms}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestClusterWHEPWHIPOnEdge: a lobby screen in the district plays from the
// district node the floor of a room homed on the province node (the edge
// opens the relay for it: the floor's picture, from a key frame, and its
// audio), and a hall's encoder publishing over WHIP to the district node is
// seen and heard by the province hall on the home. A WHEP token for a room
// whose home node is gone is refused with a clear error, and nothing joins.
// The SFU nodes beat every 2 s, the default: the district node opens the
// relay when the player joins, not at its next heartbeat.
func TestClusterWHEPWHIPOnEdge(t *testing.T) {
	defaultBeat := func(c *config.Config) { c.Node.Heartbeat, c.Node.TTL = 2*time.Second, 6*time.Second }
	p := setupProvinceWith(t, func(p *province, db, rdb string, key apptest.Option) {
		p.home = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-province", []int64{p.root}, config.RoleSFU), defaultBeat)
		p.edge = apptest.NewOn(t, db, rdb, key, nodeOpt("sfu-bao-lam", []int64{p.district}, config.RoleSFU), defaultBeat)
	})
	room := fmt.Sprintf("meeting-%d", p.w.id)
	provinceID := fmt.Sprintf("hall-%d", p.provinceHall)
	provinceC, provinceCnt := hallClient(t, p.join(t, "op-province", p.provinceHall))
	waitHome(t, p, room, "sfu-province", 5*time.Second)
	if err := p.home.App.SFU.PinFloor(sfu.RoomID(room), sfu.ParticipantID(provinceID)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The lobby screen, alone on the district node.
	lobby := &player{}
	began := time.Now()
	res, err := sfuclient.PlayWHEP(ctx, p.edge.URL+"/whep/"+room, roomToken(t, p.home, room, "lobby-bao-lam", "whep", roomtoken.PermSubscribe),
		sfuclient.Options{OnTrack: lobby.onTrack}, 1)
	if err != nil {
		t.Fatalf("WHEP on the district node for a room homed on the province node: %v", err)
	}
	defer res.Close(context.Background())
	for v, a, _ := lobby.counts(); v < 30 || a < 25; v, a, _ = lobby.counts() {
		if time.Since(began) > 10*time.Second {
			t.Fatalf("the lobby screen on the district node: %d video and %d audio packets in 10 s, want the province hall's floor (30) and audio (25)", v, a)
		}
		time.Sleep(20 * time.Millisecond)
	}
	v, a, key := lobby.counts()
	t.Logf("WHEP on the edge (heartbeat 2 s): the first video packet %v after the POST, a key frame: %v; %d video and %d audio packets after %v",
		lobby.first().Sub(began).Round(time.Millisecond), key, v, a, time.Since(began).Round(time.Millisecond))
	if !key {
		t.Errorf("the lobby screen's first video packet does not start a key frame")
	}
	// 80–192 ms measured; waiting for the heartbeat, 0–2 s (2.0 s twice in
	// three runs).
	if d := lobby.first().Sub(began); d > 1500*time.Millisecond {
		t.Errorf("the lobby screen's first picture came %v after the POST: the relay waited for the heartbeat (2 s)?", d)
	}
	if got := relayMetric(t, p.edge, "cau_sfu_relay_streams", "sfu-province", "in"); got != 2 {
		t.Errorf("the district node receives %v streams from the home for its lobby screen, want 2 (the floor's camera and microphone)", got)
	}

	// A commune hall's encoder publishes over WHIP to the district node.
	encID := fmt.Sprintf("hall-%d", p.communeHall)
	enc, err := sfuclient.PublishWHIP(ctx, p.edge.URL+"/whip/"+room, roomToken(t, p.home, room, encID, "whip", roomtoken.PermPublish),
		sfuclient.Options{}, sfuclient.WHIPPublication{VideoMime: webrtc.MimeTypeVP8, RIDs: []string{"q", "h", "f"}, Audio: true})
	if err != nil {
		t.Fatalf("WHIP on the district node: %v", err)
	}
	defer enc.Close(context.Background())
	mctx, stop := context.WithCancel(context.Background())
	defer stop()
	go sfuclient.SendVideo(mctx, enc.Video, sfuclient.VideoSpec{Bitrates: []int{150_000, 500_000, 1_500_000}, FPS: 15})
	go sfuclient.SendAudio(mctx, enc.Audio, func() int { return 30 })
	if _, err := provinceC.WaitFor(ctx, sfuclient.IsType("track_published", func(e sfu.TrackPublished) bool {
		return e.Track.ID == sfu.TrackID(encID+"/camera")
	})); err != nil {
		t.Fatalf("the province hall never saw the encoder's camera: %v", err)
	}
	provinceCnt.waitPackets(t, encID+"/microphone", 25, "the province hall hears the encoder on the district node")
	if p.home.App.SFU.IsLocal(sfu.RoomID(room), sfu.ParticipantID(encID)) {
		t.Errorf("the encoder is local on the home node, want a ghost of the relay")
	}
	// The encoder's hall gets the floor: the province hall sees its camera.
	if err := p.home.App.SFU.PinFloor(sfu.RoomID(room), sfu.ParticipantID(encID)); err != nil {
		t.Fatal(err)
	}
	n0 := provinceCnt.get(string(sfu.FloorTrack))
	provinceCnt.waitPackets(t, string(sfu.FloorTrack), n0+30, "the province hall sees the encoder's camera as the floor")

	// A room whose home node is gone (its lease names a node no longer in
	// the directory): the district node refuses the player and nothing
	// joins.
	gone := fmt.Sprintf("meeting-%d", p.w.id+1000)
	if err := p.home.App.Redis.Set(ctx, "cau:room:"+gone+":home", "sfu-gone", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	_, err = sfuclient.PlayWHEP(ctx, p.edge.URL+"/whep/"+gone, roomToken(t, p.home, gone, "lobby-bao-lam", "whep", roomtoken.PermSubscribe), sfuclient.Options{}, 1)
	var he *sfuclient.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusServiceUnavailable || he.Code != "home_unavailable" {
		t.Errorf("WHEP for a room whose home node is gone: %v, want 503 home_unavailable", err)
	}
	if loads := p.edge.App.SFU.RoomLoads(); loads[sfu.RoomID(gone)] != 0 {
		t.Errorf("the refused player joined the district node: %v", loads)
	}
}
