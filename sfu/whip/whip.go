// Package whip serves WHIP ingest (RFC 9725) and WHEP playback over HTTP
// for participants without a signaling socket: a hall's hardware encoder,
// OBS or GStreamer publishing; a lobby screen or a stream encoder playing
// the floor.
//
//	POST /whip[/{room}]            Authorization: Bearer <room token>, body: SDP offer
//	  → 201, body: SDP answer (every candidate in it), Location: /whip/sessions/{id}
//	DELETE /whip/sessions/{id}     the same token → 204, the session ends
//	POST /whep[/{room}], DELETE /whep/sessions/{id}   the same for playback
//
// The room comes from the token; a room in the path must match it, so an
// encoder configured with a meeting's URL cannot publish into another with
// a stray token. On a node of a cluster the room may be homed on another
// node: the session joins the room here and the node's relay carries it
// (sfu/relay); a RoomCheck refuses a room the node cannot serve now (its
// home node is gone), with 503 and Retry-After. Trickle ICE and ICE restarts (PATCH) are not supported:
// answers hold every candidate, and a player that loses its connection
// starts a new session. A session whose media fails or never connects
// ends by itself.
package whip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/pion/sdp/v3"
)

// maxOffer bounds an offer's size; a simulcast offer with every codec is
// under 10 KiB.
const maxOffer = 64 << 10

// Authorize turns the request and its room token into a grant, or refuses.
type Authorize func(r *http.Request, token string) (sfu.Grant, error)

// RoomCheck is asked, before a session joins, whether this node can serve
// the room now; an *Unavailable refuses it (any other error is a 500).
type RoomCheck func(ctx context.Context, room sfu.RoomID) error

// Unavailable is a RoomCheck's refusal: answered 503 with its code,
// message and Retry-After.
type Unavailable struct {
	Code, Message string
	RetryAfter    time.Duration
}

func (u *Unavailable) Error() string { return u.Message }

// Handler serves /whip and /whep.
type Handler struct {
	s         *sfu.SFU
	authorize Authorize
	log       *slog.Logger
	mux       *http.ServeMux
	check     RoomCheck // nil: every room

	mu       sync.Mutex
	sessions map[string]*session
}

// session is one WHIP or WHEP resource.
type session struct {
	id   string
	kind sfu.Kind
	p    *sfu.Participant
	room sfu.RoomID
	who  sfu.ParticipantID // the token's identity (a WHEP participant's is suffixed)
}

// NewHandler returns the WHIP/WHEP handler.
func NewHandler(s *sfu.SFU, authorize func(r *http.Request, token string) (sfu.Grant, error), logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{s: s, authorize: authorize, log: logger, mux: http.NewServeMux(), sessions: map[string]*session{}}
	for _, k := range []struct {
		prefix string
		kind   sfu.Kind
	}{{"/whip", sfu.KindWHIP}, {"/whep", sfu.KindWHEP}} {
		h.mux.HandleFunc("POST "+k.prefix, h.post(k.kind))
		h.mux.HandleFunc("POST "+k.prefix+"/{room}", h.post(k.kind))
		h.mux.HandleFunc("DELETE "+k.prefix+"/sessions/{id}", h.delete(k.kind))
		h.mux.HandleFunc("PATCH "+k.prefix+"/sessions/{id}", h.patch)
		h.mux.HandleFunc("OPTIONS "+k.prefix+"/", h.options)
		h.mux.HandleFunc("OPTIONS "+k.prefix, h.options)
	}
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Players in web pages of other origins (a lobby screen's page) post
	// offers too; tokens, not cookies, authenticate, so any origin may.
	hd := w.Header()
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Access-Control-Expose-Headers", "Location, Link, ETag")
	h.mux.ServeHTTP(w, r)
}

// SetRoomCheck sets the check every new session's room passes (a node of a
// cluster: the room's home is alive). Call before serving.
func (h *Handler) SetRoomCheck(c RoomCheck) { h.check = c }

// Sessions is the number of live WHIP and WHEP sessions.
func (h *Handler) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

// problem answers an error: a JSON body with a code and a reason a person
// configuring an encoder can act on.
func problem(w http.ResponseWriter, status int, code, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cau"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func bearer(r *http.Request) string {
	if v := r.Header.Get("Authorization"); len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// grant authenticates the request: a valid room token, and the room in
// the path (if any) the token's.
func (h *Handler) grant(w http.ResponseWriter, r *http.Request) (sfu.Grant, bool) {
	tok := bearer(r)
	if tok == "" {
		problem(w, http.StatusUnauthorized, "unauthorized", "a room token is required as Authorization: Bearer <token>")
		return sfu.Grant{}, false
	}
	g, err := h.authorize(r, tok)
	if err != nil {
		problem(w, http.StatusUnauthorized, "unauthorized", "room token refused: "+err.Error())
		return sfu.Grant{}, false
	}
	if room := r.PathValue("room"); room != "" && sfu.RoomID(room) != g.Room {
		problem(w, http.StatusForbidden, "wrong_room", fmt.Sprintf("the token is for room %q, not %q", g.Room, room))
		return sfu.Grant{}, false
	}
	return g, true
}

func (h *Handler) post(kind sfu.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, ok := h.grant(w, r)
		if !ok {
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/sdp" {
			problem(w, http.StatusUnsupportedMediaType, "bad_content_type", "the offer must be sent as Content-Type: application/sdp")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxOffer+1))
		if err != nil {
			problem(w, http.StatusBadRequest, "bad_request", "reading the offer: "+err.Error())
			return
		}
		if len(body) > maxOffer {
			problem(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the offer is over %d bytes", maxOffer))
			return
		}
		offer := string(body)
		if err := checkOffer(offer, kind); err != nil {
			problem(w, http.StatusBadRequest, "bad_sdp", err.Error())
			return
		}
		who := g.Identity
		switch kind {
		case sfu.KindWHIP:
			if !g.Publish {
				problem(w, http.StatusForbidden, "not_allowed", "the token does not allow publishing")
				return
			}
			g.Subscribe, g.Moderate, g.Stats = false, false, false
		case sfu.KindWHEP:
			if !g.Subscribe {
				problem(w, http.StatusForbidden, "not_allowed", "the token does not allow subscribing")
				return
			}
			g.Publish, g.Screen, g.Moderate, g.Stats = false, false, false, false
			// Several screens may play with one token: each is its own
			// participant, not a replacement of the last.
			g.Holder = g.Identity
			g.Identity = sfu.ParticipantID(string(g.Identity) + "~" + randomID()[:8])
		}
		g.Kind = kind
		if h.check != nil {
			if err := h.check(r.Context(), g.Room); err != nil {
				var u *Unavailable
				if !errors.As(err, &u) {
					h.log.Error("room check", "kind", kind, "room", g.Room, "error", err)
					problem(w, http.StatusInternalServerError, "internal", "the room cannot be checked now")
					return
				}
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(u.RetryAfter.Round(time.Second)/time.Second))))
				problem(w, http.StatusServiceUnavailable, u.Code, u.Message)
				return
			}
		}
		s, answer, err := h.start(g, who, kind, offer)
		if err != nil {
			status := http.StatusInternalServerError
			switch {
			case errors.Is(err, sfu.ErrBadSDP), errors.Is(err, sfu.ErrInvalid):
				status = http.StatusBadRequest
			case errors.Is(err, sfu.ErrNotAllowed), errors.Is(err, sfu.ErrRevoked), errors.Is(err, sfu.ErrLocked):
				status = http.StatusForbidden
			case errors.Is(err, sfu.ErrTooMany):
				status = http.StatusServiceUnavailable
			}
			if status == http.StatusInternalServerError {
				h.log.Error("start session", "kind", kind, "room", g.Room, "error", err)
			}
			problem(w, status, sfu.ErrorCode(err), err.Error())
			return
		}
		loc := "/" + string(kind) + "/sessions/" + s.id
		hd := w.Header()
		hd.Set("Content-Type", "application/sdp")
		hd.Set("Location", loc)
		hd.Set("ETag", `"`+s.id+`"`)
		for _, l := range iceLinks(h.s.ICEServersFor(g.Identity)) {
			hd.Add("Link", l)
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, answer)
		h.log.Info("session started", "kind", kind, "room", g.Room, "participant", g.Identity, "location", loc)
	}
}

// start joins the participant and answers its offer; on failure the
// participant leaves again.
func (h *Handler) start(g sfu.Grant, who sfu.ParticipantID, kind sfu.Kind, offer string) (*session, string, error) {
	p, err := h.s.Join(g, sfu.Discard, sfu.JoinOptions{})
	if err != nil {
		return nil, "", err
	}
	var answer string
	if kind == sfu.KindWHIP {
		answer, err = p.Offer(offer, sfu.OfferOptions{NoTrickle: true})
	} else {
		answer, err = p.Play(offer)
	}
	if err != nil {
		p.Leave("")
		return nil, "", err
	}
	s := &session{id: randomID(), kind: kind, p: p, room: g.Room, who: who}
	h.mu.Lock()
	h.sessions[s.id] = s
	h.mu.Unlock()
	// The resource lives as long as the participant: ended by DELETE, a
	// failed connection, a replacing join or the SFU closing.
	go func() {
		<-p.Done()
		h.mu.Lock()
		delete(h.sessions, s.id)
		h.mu.Unlock()
	}()
	return s, answer, nil
}

func (h *Handler) delete(kind sfu.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, ok := h.grant(w, r)
		if !ok {
			return
		}
		h.mu.Lock()
		s := h.sessions[r.PathValue("id")]
		h.mu.Unlock()
		if s == nil || s.kind != kind {
			problem(w, http.StatusNotFound, "not_found", "no such session (it may have ended)")
			return
		}
		// The session's own token, or a moderator's of the same room.
		if g.Room != s.room || (g.Identity != s.who && !g.Moderate) {
			problem(w, http.StatusForbidden, "not_allowed", "the token is not this session's")
			return
		}
		s.p.Leave("ended by the client")
		h.mu.Lock()
		delete(h.sessions, s.id)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}
}

// patch answers trickle and ICE restart requests: not supported, the
// answer held every candidate (RFC 9725 §4.3.1 allows 405).
func (h *Handler) patch(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "DELETE, OPTIONS")
	problem(w, http.StatusMethodNotAllowed, "not_supported", "trickle ICE and ICE restarts are not supported: start a new session")
}

// options answers CORS preflights and says what the endpoint accepts.
func (h *Handler) options(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Accept-Post", "application/sdp")
	hd.Set("Access-Control-Allow-Methods", "POST, DELETE, OPTIONS")
	hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
	hd.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// checkOffer refuses what is not an offer the kind can use, before anyone
// joins: others would otherwise see a participant come and go.
func checkOffer(offer string, kind sfu.Kind) error {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("the body is not a session description: %v", err)
	}
	media := 0
	for _, m := range sd.MediaDescriptions {
		switch m.MediaName.Media {
		case "audio", "video":
		default:
			continue
		}
		_, recvonly := m.Attribute("recvonly")
		_, sendonly := m.Attribute("sendonly")
		_, inactive := m.Attribute("inactive")
		if kind == sfu.KindWHIP && (recvonly || inactive) {
			continue
		}
		if kind == sfu.KindWHEP && (sendonly || inactive) {
			continue
		}
		media++
	}
	if media == 0 {
		if kind == sfu.KindWHIP {
			return errors.New("the offer sends no audio or video")
		}
		return errors.New("the offer receives no audio or video")
	}
	return nil
}

// iceLinks are the Link headers (RFC 9725 §4.6) that hand the client the
// TURN and STUN servers.
func iceLinks(servers []sfu.ICEServer) []string {
	var out []string
	for _, s := range servers {
		for _, u := range s.URLs {
			l := fmt.Sprintf(`<%s>; rel="ice-server"`, u)
			if s.Username != "" {
				l += fmt.Sprintf(`; username=%q; credential=%q; credential-type="password"`, s.Username, s.Credential)
			}
			out = append(out, l)
		}
	}
	return out
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
