package sfu_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/sfuclient"
	"github.com/cau-gov/cau/sfu/signal"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// bundle is one SFU behind an in-process signaling server.
type bundle struct {
	s      *sfu.SFU
	srv    *httptest.Server
	url    string
	tokens *sync.Map
	log    *slog.Logger
	reg    *prometheus.Registry
}

func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelError
	if os.Getenv("SFU_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("test", t.Name())
}

// setup starts an SFU on 127.0.0.1 (ICE-TCP off unless asked for).
func setup(t testing.TB, cfg sfu.Config) bundle {
	t.Helper()
	if cfg.TCPPort == 0 {
		cfg.TCPPort = -1
	}
	return setupRaw(t, cfg)
}

// setupTCP starts an SFU on ips with ICE-TCP on an ephemeral port.
func setupTCP(t *testing.T, ips []string) bundle {
	t.Helper()
	return setupRaw(t, sfu.Config{ListenIPs: ips})
}

func setupRaw(t testing.TB, cfg sfu.Config) bundle {
	t.Helper()
	tokens := &sync.Map{}
	if cfg.ListenIPs == nil {
		cfg.ListenIPs = []string{"127.0.0.1"}
	}
	log := testLogger(t)
	reg := prometheus.NewRegistry()
	s, err := sfu.New(cfg, log, reg)
	if err != nil {
		t.Fatalf("sfu.New: %v", err)
	}
	// The SFU never sees tokens: the caller decides the grant. Here a
	// token is an opaque string the bundle issued; anything else is refused.
	authorize := func(_ *http.Request, token string) (sfu.Grant, error) {
		g, ok := tokens.Load(token)
		if !ok {
			return sfu.Grant{}, errors.New("unknown token")
		}
		return g.(sfu.Grant), nil
	}
	srv := httptest.NewServer(signal.NewHandler(s, authorize, log))
	t.Cleanup(func() {
		srv.Close()
		if err := s.Close(); err != nil {
			t.Errorf("sfu.Close: %v", err)
		}
	})
	return bundle{s: s, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/rtc", tokens: tokens, log: log, reg: reg}
}

func (b bundle) token(t testing.TB, room, id string, perms ...string) string {
	t.Helper()
	g := sfu.Grant{Room: sfu.RoomID(room), Identity: sfu.ParticipantID(id), Name: "Điểm cầu " + id, Kind: sfu.KindHall,
		Publish: slices.Contains(perms, permPublish), Subscribe: slices.Contains(perms, permSubscribe),
		Screen: slices.Contains(perms, permScreen), Moderate: slices.Contains(perms, permModerate)}
	var b16 [16]byte
	if _, err := rand.Read(b16[:]); err != nil {
		t.Fatal(err)
	}
	tok := hex.EncodeToString(b16[:])
	b.tokens.Store(tok, g)
	return tok
}

// Permissions the test tokens carry (the wire names of room tokens).
const (
	permPublish   = "publish"
	permSubscribe = "subscribe"
	permScreen    = "screen"
	permModerate  = "moderate"
)

var hallPerms = []string{permPublish, permSubscribe}

// dial joins room as id; o.URL and o.Token are filled in.
func (b bundle) dial(t testing.TB, room, id string, o sfuclient.Options, perms ...string) *sfuclient.Client {
	t.Helper()
	if len(perms) == 0 {
		perms = hallPerms
	}
	o.URL, o.Token = b.url, b.token(t, room, id, perms...)
	if o.Logger == nil {
		o.Logger = b.log.With("client", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := sfuclient.Dial(ctx, o)
	if err != nil {
		t.Fatalf("dial %s: %v", id, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// recorder collects what a client receives, per track ID.
type recorder struct {
	mu       sync.Mutex
	packets  map[string]int
	layers   map[string][]int    // synthetic layer of each video packet
	pictures map[string][]uint16 // VP8 picture ID of each frame's first packet
	keys     map[string]int      // key frames seen
	first    map[string]time.Time
	firstKey map[string]time.Time
	lastSeq  map[string]uint16
	changed  chan struct{}
}

func newRecorder() *recorder {
	return &recorder{packets: map[string]int{}, layers: map[string][]int{}, pictures: map[string][]uint16{}, keys: map[string]int{},
		first: map[string]time.Time{}, firstKey: map[string]time.Time{}, lastSeq: map[string]uint16{},
		changed: make(chan struct{})}
}

func (r *recorder) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	go sfuclient.ReadPackets(t, func(p *rtp.Packet) {
		if len(p.Payload) == 0 {
			return // padding probes
		}
		r.mu.Lock()
		id := t.ID()
		r.packets[id]++
		r.lastSeq[id] = p.SequenceNumber
		if _, ok := r.first[id]; !ok {
			r.first[id] = time.Now()
		}
		if f, ok := sfuclient.ParseSynthetic(p.Payload); ok {
			r.layers[id] = append(r.layers[id], f.Layer)
			if f.Start && !f.H264 {
				r.pictures[id] = append(r.pictures[id], f.PictureID)
			}
			if f.Keyframe {
				r.keys[id]++
				if _, ok := r.firstKey[id]; !ok {
					r.firstKey[id] = time.Now()
				}
			}
		}
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
	})
}

// waitFor waits until cond (called under the recorder's lock) holds.
func (r *recorder) waitFor(t *testing.T, d time.Duration, what string, cond func(r *recorder) bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		ok := cond(r)
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out after %v waiting for %s; packets %v", d, what, r.packets)
		}
	}
}

// lastLayers returns the last n synthetic layers received on a track.
func (r *recorder) lastLayers(id string, n int) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	ls := r.layers[id]
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return append([]int(nil), ls...)
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// publishHall publishes synthetic audio and (simulcast) video until the
// test ends.
func publishHall(t *testing.T, c *sfuclient.Client, rids []string, spec sfuclient.VideoSpec) (*sfuclient.Publication, *sfuclient.Publication) {
	t.Helper()
	return publishHallLevel(t, c, rids, spec, 30)
}

// publishHallLevel is publishHall with the audio at level (-dBov).
func publishHallLevel(t *testing.T, c *sfuclient.Client, rids []string, spec sfuclient.VideoSpec, level int) (*sfuclient.Publication, *sfuclient.Publication) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	audio, err := c.PublishAudio(ctxT(t, 10*time.Second))
	if err != nil {
		cancel()
		t.Fatalf("publish audio: %v", err)
	}
	video, err := c.PublishVideo(ctxT(t, 10*time.Second), sfu.SourceCamera, webrtc.MimeTypeVP8, rids...)
	if err != nil {
		cancel()
		t.Fatalf("publish video: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sfuclient.SendAudio(ctx, audio, func() int { return level }) }()
	go func() { defer wg.Done(); sfuclient.SendVideo(ctx, video, spec) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return audio, video
}

func decode[T any](t *testing.T, ev sfuclient.Event) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		t.Fatalf("decode %s: %v", ev.Type, err)
	}
	return v
}
