package sfuclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/cau-gov/cau/sfu"
	"github.com/pion/webrtc/v4"
)

// Resource is a WHIP or WHEP session: one peer connection, negotiated by
// one HTTP POST, ended by DELETE on its Location.
type Resource struct {
	PC       *webrtc.PeerConnection
	Location string // absolute URL of the session
	// Links are the Link headers of the answer (ICE servers).
	Links []string

	token  string
	header http.Header // extra headers of the POST
	http   *http.Client
}

// HTTPError is a refusal from a WHIP/WHEP endpoint.
type HTTPError struct {
	Status  int
	Code    string
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// WHIPPublication says what a WHIP publisher sends: a video track with
// simulcast layers (rids, lowest first; none for one stream) and Opus
// audio.
type WHIPPublication struct {
	VideoMime string   // empty: no video
	RIDs      []string // simulcast layers
	Audio     bool
}

// Publisher is a WHIP session with its publications.
type Publisher struct {
	*Resource
	Video *Publication
	Audio *Publication
}

// PublishWHIP publishes over WHIP (RFC 9725) to endpoint (…/whip) with a
// room token, as a hardware encoder would: no signaling socket.
func PublishWHIP(ctx context.Context, endpoint, token string, o Options, what WHIPPublication) (*Publisher, error) {
	r, err := newResource(o, token)
	if err != nil {
		return nil, err
	}
	pub := &Publisher{Resource: r}
	var trs []*webrtc.RTPTransceiver
	if what.VideoMime != "" {
		v, tr, err := addPublication(r.PC, sfu.SourceCamera, webrtc.RTPCodecCapability{MimeType: what.VideoMime, ClockRate: 90000}, what.RIDs)
		if err != nil {
			return nil, r.abort(err)
		}
		pub.Video = v
		trs = append(trs, tr)
	}
	if what.Audio {
		a, tr, err := addPublication(r.PC, sfu.SourceMicrophone, audioCodec(o.RED), nil)
		if err != nil {
			return nil, r.abort(err)
		}
		pub.Audio = a
		trs = append(trs, tr)
	}
	if err := r.negotiate(ctx, endpoint); err != nil {
		return nil, r.abort(err)
	}
	if pub.Video != nil {
		pub.Video.start(trs[0])
	}
	if pub.Audio != nil {
		pub.Audio.start(trs[len(trs)-1])
	}
	return pub, nil
}

// PlayWHEP plays the floor over WHEP from endpoint (…/whep): one video
// section and audioSlots audio sections (the loudest halls, the floor's
// first). Tracks arrive through o.OnTrack.
func PlayWHEP(ctx context.Context, endpoint, token string, o Options, audioSlots int) (*Resource, error) {
	res, err := newResource(o, token)
	if err != nil {
		return nil, err
	}
	pc := res.PC
	recv := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, recv); err != nil {
		return nil, res.abort(err)
	}
	for range audioSlots {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, recv); err != nil {
			return nil, res.abort(err)
		}
	}
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		if o.OnTrack != nil {
			o.OnTrack(t, r)
			return
		}
		go ReadPackets(t, nil)
	})
	if err := res.negotiate(ctx, endpoint); err != nil {
		return nil, res.abort(err)
	}
	return res, nil
}

// newResource is the peer connection and HTTP client of one session.
func newResource(o Options, token string) (*Resource, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	api, err := newAPI(o)
	if err != nil {
		return nil, err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	if o.OnConnectionState != nil {
		pc.OnConnectionStateChange(o.OnConnectionState)
	}
	return &Resource{PC: pc, token: token, http: httpClient(o), header: o.Header}, nil
}

// abort closes a session that did not start and returns err.
func (r *Resource) abort(err error) error {
	r.http.CloseIdleConnections()
	_ = r.PC.Close()
	return err
}

// httpClient is a fresh client per session, so closing one never touches
// another's connections.
func httpClient(Options) *http.Client { return &http.Client{Transport: &http.Transport{}} }

// negotiate posts the complete offer (no trickle) and applies the answer.
func (r *Resource) negotiate(ctx context.Context, endpoint string) error {
	offer, err := r.PC.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(r.PC)
	if err := r.PC.SetLocalDescription(offer); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(r.PC.LocalDescription().SDP))
	if err != nil {
		return err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return decodeHTTPError(resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/sdp") {
		return fmt.Errorf("answer of type %q, want application/sdp", ct)
	}
	base, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	loc, err := base.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return fmt.Errorf("answer without a usable Location %q", resp.Header.Get("Location"))
	}
	r.Location = loc.String()
	r.Links = resp.Header.Values("Link")
	return r.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)})
}

func decodeHTTPError(status int, body []byte) error {
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(body, &e) != nil {
		e.Error.Message = string(bytes.TrimSpace(body))
	}
	return &HTTPError{Status: status, Code: e.Error.Code, Message: e.Error.Message}
}

// Close ends the session (DELETE on its Location) and closes the peer
// connection.
func (r *Resource) Close(ctx context.Context) error {
	defer r.http.CloseIdleConnections()
	defer r.PC.Close()
	if r.Location == "" {
		return nil
	}
	return r.Delete(ctx, r.token)
}

// Delete sends DELETE on the session's Location with token.
func (r *Resource) Delete(ctx context.Context, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, r.Location, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return decodeHTTPError(resp.StatusCode, body)
	}
	return nil
}
