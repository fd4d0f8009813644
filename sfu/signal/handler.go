// Package signal is the WebSocket endpoint of the SFU (/rtc): versioned
// JSON messages between a client and its sfu.Participant. The HTTP layer
// hands it an authorize function that turns the room token into an
// already-decided sfu.Grant; this package knows nothing of tokens beyond
// where a client puts one. The protocol is documented in docs/signaling.md.
package signal

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/cau-gov/cau/sfu"
	"github.com/gorilla/websocket"
)

// Socket timing.
const (
	// writeWait bounds one write: a client that does not read for this
	// long is cut off (and may resume) rather than hold its queue.
	writeWait = 10 * time.Second
	// pongWait is how long the socket may be silent; pings go out at
	// pingPeriod, well inside it.
	pongWait   = 30 * time.Second
	pingPeriod = 10 * time.Second
	// joinWait is how long a new socket has to send its join.
	joinWait = 10 * time.Second
	// sendQueue messages may wait for the writer; a client that falls
	// further behind is disconnected (the room does not wait for it).
	sendQueue = 512
)

// Authorize turns the request and its room token into a grant, or refuses.
type Authorize func(r *http.Request, token string) (sfu.Grant, error)

type handler struct {
	s         *sfu.SFU
	authorize Authorize
	log       *slog.Logger
	up        websocket.Upgrader
}

// NewHandler returns the /rtc WebSocket handler. The room token is read
// from the Authorization header ("Bearer <token>"), else the access_token
// query parameter (browsers cannot set headers on a WebSocket); a refused
// token gets 401 before the upgrade.
func NewHandler(s *sfu.SFU, authorize func(r *http.Request, token string) (sfu.Grant, error), logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &handler{s: s, authorize: authorize, log: logger, up: websocket.Upgrader{
		ReadBufferSize: 16 << 10, WriteBufferSize: 16 << 10,
		// Tokens, not cookies, authenticate: a page of another origin
		// gains nothing by opening the socket, and halls run kiosks.
		CheckOrigin: func(*http.Request) bool { return true },
	}}
}

func tokenOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return r.URL.Query().Get("access_token")
}

func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := tokenOf(r)
	if tok == "" {
		httpError(w, http.StatusUnauthorized, "unauthorized", ErrNoToken.Error())
		return
	}
	g, err := h.authorize(r, tok)
	if err != nil {
		httpError(w, http.StatusUnauthorized, "unauthorized", "room token refused")
		return
	}
	// A removed holder's token, one from before the call ended, or a
	// newcomer to a locked room: refused before the upgrade.
	if err := h.s.Admit(g); err != nil {
		httpError(w, http.StatusForbidden, sfuCode(err), err.Error())
		return
	}
	ws, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := newConn(ws, h.log.With("room", g.Room, "participant", g.Identity))
	c.serve(h.s, g)
}

// sfuCode is the SFU's error mapping, kept in one place there.
func sfuCode(err error) string { return sfu.ErrorCode(err) }
