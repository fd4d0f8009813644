package whip_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/cau-gov/cau/sfu/signal"
	"github.com/cau-gov/cau/sfu/whip"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// server is an SFU behind /rtc, /whip and /whep, with opaque test tokens
// standing for grants (the SFU never sees tokens).
type server struct {
	s      *sfu.SFU
	h      *whip.Handler
	srv    *httptest.Server
	tokens sync.Map
	log    *slog.Logger
}

func start(t *testing.T, cfg sfu.Config) *server {
	t.Helper()
	level := slog.LevelError
	if os.Getenv("SFU_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("test", t.Name())
	cfg.ListenIPs, cfg.TCPPort = []string{"127.0.0.1"}, -1
	cfg.ICEServers = []sfu.ICEServer{{URLs: []string{"turn:127.0.0.1:3478?transport=udp"}, Username: "u", Credential: "p"}}
	s, err := sfu.New(cfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	sv := &server{s: s, log: log}
	authorize := func(_ *http.Request, tok string) (sfu.Grant, error) {
		g, ok := sv.tokens.Load(tok)
		if !ok {
			return sfu.Grant{}, errors.New("unknown token")
		}
		return g.(sfu.Grant), nil
	}
	sv.h = whip.NewHandler(s, authorize, log)
	mux := http.NewServeMux()
	mux.Handle("/rtc", signal.NewHandler(s, authorize, log))
	mux.Handle("/whip", sv.h)
	mux.Handle("/whip/", sv.h)
	mux.Handle("/whep", sv.h)
	mux.Handle("/whep/", sv.h)
	sv.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		sv.srv.Close()
		if err := s.Close(); err != nil {
			t.Errorf("sfu.Close: %v", err)
		}
	})
	return sv
}

func (sv *server) token(room, id string, publish, subscribe, moderate bool) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	sv.tokens.Store(tok, sfu.Grant{Room: sfu.RoomID(room), Identity: sfu.ParticipantID(id), Name: id, Kind: sfu.KindHall,
		Publish: publish, Subscribe: subscribe, Moderate: moderate})
	return tok
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// tracks counts what a client receives per track: packets, and the
// synthetic layer of the last video packet.
type tracks struct {
	mu      sync.Mutex
	packets map[string]int
	layer   map[string]int
	kinds   map[string]webrtc.RTPCodecType
}

func newTracks() *tracks {
	return &tracks{packets: map[string]int{}, layer: map[string]int{}, kinds: map[string]webrtc.RTPCodecType{}}
}

func (tr *tracks) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	go sfuclient.ReadPackets(t, func(p *rtp.Packet) {
		if len(p.Payload) == 0 {
			return
		}
		tr.mu.Lock()
		key := t.Kind().String() + ":" + t.ID()
		tr.packets[key]++
		tr.kinds[key] = t.Kind()
		if f, ok := sfuclient.ParseSynthetic(p.Payload); ok {
			tr.layer[key] = f.Layer
		}
		tr.mu.Unlock()
	})
}

func (tr *tracks) snapshot() map[string]int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make(map[string]int, len(tr.packets))
	for k, v := range tr.packets {
		out[k] = v
	}
	return out
}

func (tr *tracks) waitFor(t *testing.T, d time.Duration, what string, cond func(packets, layer map[string]int) bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		tr.mu.Lock()
		ok := cond(tr.packets, tr.layer)
		tr.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; received %v", d, what, tr.snapshot())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sendUntilDone feeds a WHIP publisher synthetic media until the test ends.
func sendUntilDone(t *testing.T, p *sfuclient.Publisher, level int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if p.Video != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sfuclient.SendVideo(ctx, p.Video, sfuclient.VideoSpec{Bitrates: []int{150_000, 500_000, 1_500_000}})
		}()
	}
	if p.Audio != nil {
		wg.Add(1)
		go func() { defer wg.Done(); sfuclient.SendAudio(ctx, p.Audio, func() int { return level }) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func TestWHIPPublishAndWHEPPlay(t *testing.T) {
	sv := start(t, sfu.Config{InitialBitrate: 4_000_000})
	const room = "meeting-21"
	ctx := ctxT(t, 30*time.Second)

	// A hall in the browser, subscribing over signaling.
	rec := newTracks()
	browser, err := sfuclient.Dial(ctx, sfuclient.Options{URL: "ws" + strings.TrimPrefix(sv.srv.URL, "http") + "/rtc",
		Token: sv.token(room, "hall-2", true, true, false), OnTrack: rec.onTrack, Logger: sv.log})
	if err != nil {
		t.Fatal(err)
	}
	defer browser.Close()
	audio2, err := browser.PublishAudio(ctx)
	if err != nil {
		t.Fatal(err)
	}
	actx, acancel := context.WithCancel(context.Background())
	var awg sync.WaitGroup
	awg.Add(1)
	go func() { defer awg.Done(); sfuclient.SendAudio(actx, audio2, func() int { return 35 }) }()
	defer func() { acancel(); awg.Wait() }()

	// The district hall's encoder publishes simulcast over WHIP, into the
	// meeting named in the URL.
	encTok := sv.token(room, "hall-1", true, false, false)
	enc, err := sfuclient.PublishWHIP(ctx, sv.srv.URL+"/whip/"+room, encTok, sfuclient.Options{Logger: sv.log},
		sfuclient.WHIPPublication{VideoMime: webrtc.MimeTypeVP8, RIDs: []string{"q", "h", "f"}, Audio: true})
	if err != nil {
		t.Fatalf("WHIP publish: %v", err)
	}
	if !strings.Contains(enc.Location, "/whip/sessions/") || len(enc.Links) != 1 || !strings.Contains(enc.Links[0], `rel="ice-server"`) {
		t.Fatalf("location %q, links %q", enc.Location, enc.Links)
	}
	sendUntilDone(t, enc, 20)

	if _, err := browser.WaitFor(ctx, sfuclient.IsType("track_published", func(e sfu.TrackPublished) bool {
		return e.Track.ID == "hall-1/camera" && len(e.Track.Layers) == 3
	})); err != nil {
		t.Fatalf("the browser never saw the encoder's simulcast camera: %v", err)
	}
	if err := browser.Subscribe("hall-1/camera", sfu.QualityLow); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, 5*time.Second, "the encoder's low layer and audio in the browser", func(p, l map[string]int) bool {
		return p["video:hall-1/camera"] > 30 && l["video:hall-1/camera"] == 0 && p["audio:hall-1/microphone"] > 20
	})

	// A lobby screen plays the floor: the encoder's hall, pinned.
	if err := sv.s.PinFloor(room, "hall-1"); err != nil {
		t.Fatal(err)
	}
	lobby := newTracks()
	viewerTok := sv.token(room, "lobby", false, true, false)
	viewer, err := sfuclient.PlayWHEP(ctx, sv.srv.URL+"/whep", viewerTok, sfuclient.Options{Logger: sv.log, OnTrack: lobby.onTrack}, 2)
	if err != nil {
		t.Fatalf("WHEP play: %v", err)
	}
	lobby.waitFor(t, 5*time.Second, "the floor in high and both halls' audio on the lobby screen", func(p, l map[string]int) bool {
		audio := 0
		for k, n := range p {
			if strings.HasPrefix(k, "audio:") && n > 20 {
				audio++
			}
		}
		return p["video:floor"] > 60 && l["video:floor"] == 2 && audio == 2
	})
	// Each slot carries one hall: about 50 packets a second, not 100.
	before := lobby.snapshot()
	time.Sleep(time.Second)
	for k, n := range lobby.snapshot() {
		if rate := n - before[k]; strings.HasPrefix(k, "audio:") && (rate < 35 || rate > 65) {
			t.Errorf("audio slot %s: %d packets in a second, want about 50", k, rate)
		}
	}
	if sv.h.Sessions() != 2 {
		t.Errorf("%d sessions, want 2", sv.h.Sessions())
	}

	// Someone else's token cannot end the encoder's session.
	err = enc.Delete(ctx, sv.token(room, "hall-9", true, true, false))
	var he *sfuclient.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusForbidden {
		t.Fatalf("DELETE with another hall's token: %v, want 403", err)
	}
	// Ending the encoder's session: the browser sees the hall leave.
	mark := browser.Mark()
	if err := enc.Close(ctx); err != nil {
		t.Fatalf("WHIP DELETE: %v", err)
	}
	if _, err := browser.WaitFrom(ctx, mark, sfuclient.IsType("participant_left", func(e sfu.ParticipantLeftEvent) bool { return e.Identity == "hall-1" })); err != nil {
		t.Fatalf("no leave after DELETE: %v", err)
	}
	if err := enc.Close(ctx); err == nil {
		t.Error("a second DELETE succeeded, want 404")
	}
	if err := viewer.Close(ctx); err != nil {
		t.Fatalf("WHEP DELETE: %v", err)
	}
	waitSessions(t, sv, 0)
}

func waitSessions(t *testing.T, sv *server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for sv.h.Sessions() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions, want %d", sv.h.Sessions(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A session whose player went away before connecting ends by itself.
func TestWHEPSessionWithoutMediaEnds(t *testing.T) {
	sv := start(t, sfu.Config{ReconnectGrace: 500 * time.Millisecond})
	ctx := ctxT(t, 10*time.Second)
	v, err := sfuclient.PlayWHEP(ctx, sv.srv.URL+"/whep", sv.token("meeting-3", "lobby", false, true, false), sfuclient.Options{Logger: sv.log}, 1)
	if err != nil {
		t.Fatal(err)
	}
	_ = v.PC.Close() // gone without DELETE, before ICE could connect
	waitSessions(t, sv, 0)
}

func TestWHIPWHEPRefuseBadRequests(t *testing.T) {
	sv := start(t, sfu.Config{})
	const room = "meeting-4"
	// A real offer to send where only the request around it is wrong.
	offer := func(kind webrtc.RTPTransceiverDirection) string {
		pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if kind == webrtc.RTPTransceiverDirectionSendonly {
			tr, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "camera", "cau")
			if _, err := pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: kind}); err != nil {
				t.Fatal(err)
			}
		} else if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: kind}); err != nil {
			t.Fatal(err)
		}
		o, err := pc.CreateOffer(nil)
		if err != nil {
			t.Fatal(err)
		}
		return o.SDP
	}
	send, recv := offer(webrtc.RTPTransceiverDirectionSendonly), offer(webrtc.RTPTransceiverDirectionRecvonly)
	// The floor is VP8 or H.264; an offer with neither cannot show it.
	neither := strings.NewReplacer("VP8/90000", "VP9/90000", "H264/90000", "VP9/90000").Replace(recv)
	pub := sv.token(room, "hall-1", true, false, false)
	sub := sv.token(room, "lobby", false, true, false)

	cases := []struct {
		name, method, path, token, ctype, body string
		status                                 int
		code                                   string
	}{
		{"no token", "POST", "/whip", "", "application/sdp", send, 401, "unauthorized"},
		{"unknown token", "POST", "/whip", "forged", "application/sdp", send, 401, "unauthorized"},
		{"wrong room", "POST", "/whip/meeting-5", pub, "application/sdp", send, 403, "wrong_room"},
		{"publish without the permission", "POST", "/whip", sub, "application/sdp", send, 403, "not_allowed"},
		{"play without the permission", "POST", "/whep", pub, "application/sdp", recv, 403, "not_allowed"},
		{"not SDP", "POST", "/whip", pub, "application/json", `{"sdp":"v=0"}`, 415, "bad_content_type"},
		{"malformed SDP", "POST", "/whip", pub, "application/sdp", "v=0\r\nthis is not sdp\r\n", 400, "bad_sdp"},
		{"empty offer", "POST", "/whep", sub, "application/sdp", "", 400, "bad_sdp"},
		{"publishing an offer that only receives", "POST", "/whip", pub, "application/sdp", recv, 400, "bad_sdp"},
		{"playing an offer that only sends", "POST", "/whep", sub, "application/sdp", send, 400, "bad_sdp"},
		{"playing without VP8 or H.264", "POST", "/whep", sub, "application/sdp", neither, 400, "bad_sdp"},
		{"too large", "POST", "/whip", pub, "application/sdp", send + strings.Repeat("a=x-pad:0\r\n", 7000), 413, "too_large"},
		{"unknown session", "DELETE", "/whip/sessions/0123456789abcdef", pub, "", "", 404, "not_found"},
		{"trickle", "PATCH", "/whip/sessions/0123456789abcdef", pub, "application/trickle-ice-sdpfrag", "a=ice-ufrag:x", 405, "not_supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, sv.srv.URL+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || !strings.Contains(string(body), `"code":"`+c.code+`"`) {
				t.Fatalf("%s %s: %d %s, want %d %s", c.method, c.path, resp.StatusCode, body, c.status, c.code)
			}
			if c.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// Nothing happened: no session, nobody in the room.
	if n := sv.h.Sessions(); n != 0 {
		t.Errorf("%d sessions after refused requests", n)
	}
	if _, ok := sv.s.Participant(room, "hall-1"); ok {
		t.Error("a refused publisher is in the room")
	}
	if st := sv.s.RoomStats(room); len(st) != 0 {
		t.Errorf("room has participants after refused requests: %v", st)
	}
	http.DefaultClient.CloseIdleConnections()
}

// The preflight of a player in a web page of another origin.
func TestWHEPPreflight(t *testing.T) {
	sv := start(t, sfu.Config{})
	req, _ := http.NewRequest(http.MethodOptions, sv.srv.URL+"/whep", nil)
	req.Header.Set("Origin", "https://sanh.example.gov.vn")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") || resp.Header.Get("Accept-Post") != "application/sdp" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// An encoder without audio levels (OBS's WHIP output publishes video and
// audio with no RFC 6464 extension; here video only) is the room's only
// publisher: nobody speaks and nothing is pinned, yet a lobby screen plays
// its picture, because the first camera in a room takes the floor.
func TestWHEPFloorWithoutSpeakerOrPin(t *testing.T) {
	sv := start(t, sfu.Config{InitialBitrate: 4_000_000})
	const room = "meeting-22"
	ctx := ctxT(t, 30*time.Second)
	enc, err := sfuclient.PublishWHIP(ctx, sv.srv.URL+"/whip/"+room, sv.token(room, "hall-1", true, false, false),
		sfuclient.Options{Logger: sv.log}, sfuclient.WHIPPublication{VideoMime: webrtc.MimeTypeVP8})
	if err != nil {
		t.Fatalf("WHIP publish: %v", err)
	}
	sendUntilDone(t, enc, 127)
	lobby := newTracks()
	viewer, err := sfuclient.PlayWHEP(ctx, sv.srv.URL+"/whep", sv.token(room, "lobby", false, true, false),
		sfuclient.Options{Logger: sv.log, OnTrack: lobby.onTrack}, 1)
	if err != nil {
		t.Fatalf("WHEP play: %v", err)
	}
	lobby.waitFor(t, 10*time.Second, "the encoder's picture on the lobby screen", func(p, _ map[string]int) bool {
		return p["video:floor"] > 30
	})
	if err := viewer.Close(ctx); err != nil {
		t.Fatalf("WHEP DELETE: %v", err)
	}
	if err := enc.Close(ctx); err != nil {
		t.Fatalf("WHIP DELETE: %v", err)
	}
}
