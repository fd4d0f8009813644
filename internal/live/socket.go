package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cau-gov/cau/internal/meeting"
)

// Socket tuning.
const (
	writeWait  = 10 * time.Second // a write that takes longer drops the socket
	pongWait   = 60 * time.Second // no pong in this long: the peer is gone
	pingPeriod = pongWait * 9 / 10
	// readLimit: browsers send nothing but pongs and small pings; commands go over REST.
	readLimit = 4096
)

// Frame is what the socket sends: a snapshot first, then events.
type Frame struct {
	Type     string            `json:"type"` // "snapshot", "event", "error"
	Snapshot *meeting.Snapshot `json:"snapshot,omitempty"`
	Event    *meeting.Event    `json:"event,omitempty"`
	Error    string            `json:"error,omitempty"`
}

// CatchUp reads the events after seq from the log.
type CatchUp func(ctx context.Context, after int64) ([]meeting.Event, error)

// Serve runs one socket: first the frames in first, then the events of
// sub with seq > after, until the peer leaves, a write times out, sub is
// dropped (lagging) or ctx ends. One writer goroutine (this one) owns the
// connection's writes; a reader goroutine only handles control frames.
//
// Nodes publish after commit, so two commands committing close together
// may arrive out of order: an event past a gap makes Serve read the gap
// from the log (catchUp) first; the late copy is then skipped by seq.
func Serve(ctx context.Context, conn *websocket.Conn, h *Hub, sub *Sub, first []Frame, after int64, catchUp CatchUp, log *slog.Logger) {
	defer h.Unsubscribe(sub)
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	conn.SetReadLimit(readLimit)
	_ = conn.SetReadDeadline(time.Now().Add(pongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
	go func() {
		defer cancel()
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()

	write := func(f Frame) bool {
		b, err := json.Marshal(f)
		if err != nil {
			return false
		}
		_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
		return conn.WriteMessage(websocket.TextMessage, b) == nil
	}
	for _, f := range first {
		if !write(f) {
			return
		}
	}
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-h.done:
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseServiceRestart, "server restarting; reconnect with since=<last seq>"), time.Now().Add(time.Second))
			return
		case <-ctx.Done():
			_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "closing"), time.Now().Add(time.Second))
			return
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
				return
			}
		case e, ok := <-sub.C:
			if !ok {
				// Dropped for lagging: tell the browser to reconnect with its last seq.
				_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "too slow; reconnect with since=<last seq>"), time.Now().Add(time.Second))
				log.Debug("live socket dropped", "meeting_id", sub.meeting)
				return
			}
			if e.Seq <= after {
				continue // already in the snapshot, the replay or a catch-up
			}
			evs := []meeting.Event{e}
			if e.Seq > after+1 && catchUp != nil {
				missed, err := catchUp(ctx, after)
				if err != nil {
					log.Warn("live catch-up", "error", err)
					return // the browser reconnects with its last seq
				}
				evs = missed
			}
			for i := range evs {
				if evs[i].Seq <= after {
					continue
				}
				after = evs[i].Seq
				if evs[i].OrganizersOnly() && !sub.organizer {
					continue
				}
				if !write(Frame{Type: "event", Event: &evs[i]}) {
					return
				}
			}
		}
	}
}
