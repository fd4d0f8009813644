package loadtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// LiveKit's side of the fan-out scenario (deploy/local/livekit.sh builds
// the server, v1.13.5). LiveKit's own WHIP endpoint takes the publisher
// as it takes any WHIP encoder. The players post there too: a WHIP offer
// of recvonly sections with X-LiveKit-ClientInfo naming the tracks to
// subscribe to ("one-shot signalling", LiveKit's pkg/service
// roommanager_service.go) is answered once those tracks are bound to
// the offered sections. So every peer is the same pion client, with the
// same codecs and one SDP exchange over HTTP, as against Cầu and pion;
// on the server, one-shot subscribers run its single-peer-connection
// transport with send-side bandwidth estimation and the stream allocator
// (congestion control) as its SDK clients do.

// liveKitWHIP is the path of LiveKit's WHIP endpoint.
const liveKitWHIP = "/whip/v1"

// liveKitWHIPTracks are the names LiveKit gives a WHIP publisher's video
// and audio (synthesizeAddTrackRequests in its pkg/rtc/participant.go).
var liveKitWHIPTracks = []string{"synthesized-camera", "synthesized-microphone"}

// LiveKitKeys are a LiveKit server's API key and secret, which sign its
// access tokens.
type LiveKitKeys struct {
	Key, Secret string
}

// ReadLiveKitKeys reads a LiveKit key file (`key: secret` lines, the
// format of the server's --key-file) and takes its first pair.
func ReadLiveKitKeys(path string) (*LiveKitKeys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("livekit key file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, secret, ok := strings.Cut(line, ":")
		key, secret = strings.TrimSpace(key), strings.TrimSpace(secret)
		if !ok || key == "" || secret == "" {
			return nil, fmt.Errorf("livekit key file %s: want a `key: secret` line", path)
		}
		return &LiveKitKeys{Key: key, Secret: secret}, nil
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("livekit key file: %w", err)
	}
	return nil, fmt.Errorf("livekit key file %s: no `key: secret` line", path)
}

// token signs a LiveKit access token (HS256 with the API secret, the
// grant under "video") for identity in room.
func (k *LiveKitKeys) token(room, identity string, publish bool) (string, error) {
	now := time.Now()
	claims := jwt.MapClaims{
		"iss":  k.Key,
		"sub":  identity,
		"name": identity,
		"nbf":  now.Add(-time.Minute).Unix(),
		"exp":  now.Add(time.Hour).Unix(),
		"video": map[string]any{
			"roomJoin": true, "room": room,
			"canPublish": publish, "canSubscribe": !publish, "canPublishData": false,
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(k.Secret))
}

// endpoint is where the publisher (player < 0) or a player posts its
// offer on the LiveKit server at base.
func (k *LiveKitKeys) endpoint(base, room string, player int) (endpoint, error) {
	e := endpoint{URL: base + liveKitWHIP}
	id := fanoutPublisherID
	if player >= 0 {
		id = fanoutPlayerID(player)
		info, err := json.Marshal(map[string]any{
			"subscribedParticipantTrackNames": map[string][]string{fanoutPublisherID: liveKitWHIPTracks},
		})
		if err != nil {
			return e, err
		}
		e.Header = http.Header{"X-Livekit-Clientinfo": {string(info)}}
	}
	tok, err := k.token(room, id, player < 0)
	if err != nil {
		return e, fmt.Errorf("livekit token: %w", err)
	}
	e.Token = tok
	return e, nil
}
