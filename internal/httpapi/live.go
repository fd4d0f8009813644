package httpapi

import (
	"context"
	"net/http"

	"github.com/gorilla/websocket"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/live"
	"github.com/cau-gov/cau/internal/meeting"
)

// liveUpgrader keeps gorilla's default origin check (the Origin's host
// must be the request's host), so another site cannot open a socket with
// a token it stole into a page.
var liveUpgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 8192}

// liveSession serves GET /api/v1/meetings/{id}/live, the session's event
// stream. Browsers cannot set an Authorization header on a WebSocket, so
// the access token comes as ?access_token= (short-lived, and the request
// log records the path without the query). With ?since=<seq> the socket
// replays the events after seq (a reconnect); without, it starts with a
// snapshot. Then every new event, in seq order. Commands go over REST.
func (s *Server) liveSession(w http.ResponseWriter, r *http.Request) error {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		tok := r.URL.Query().Get("access_token")
		if tok == "" {
			return errUnauthenticated
		}
		var err error
		if p, err = s.Authenticator.Authenticate(r.Context(), tok); err != nil {
			return err
		}
	}
	id, since, a, err := s.eventsFrom(r, p)
	if err != nil {
		return err
	}
	if s.Live == nil {
		return errLiveUnavailable
	}
	// Subscribe before reading the state: an event committed in between is
	// then in both, and Serve skips what the first frames already cover.
	sub := s.Live.Subscribe(id, a.CanManage())
	var (
		first []live.Frame
		after int64
	)
	if r.URL.Query().Has("since") {
		after = since
		for {
			evs, err := s.Meetings.EventsSince(r.Context(), a, after, 500)
			if err != nil {
				s.Live.Unsubscribe(sub)
				return err
			}
			for i := range evs {
				first = append(first, live.Frame{Type: "event", Event: &evs[i]})
				after = evs[i].Seq
			}
			if len(evs) < 500 {
				break
			}
		}
	} else {
		snap, _, err := s.Meetings.Snapshot(r.Context(), p, id)
		if err != nil {
			s.Live.Unsubscribe(sub)
			return err
		}
		first, after = []live.Frame{{Type: "snapshot", Snapshot: &snap}}, snap.Seq
	}
	conn, err := liveUpgrader.Upgrade(hijacker(w), r, nil)
	if err != nil {
		s.Live.Unsubscribe(sub)
		return nil // the upgrader has answered
	}
	// The catch-up reads the raw log (Serve filters organizer-only events).
	all := a
	all.Organizer = true
	catchUp := func(ctx context.Context, after int64) ([]meeting.Event, error) {
		return s.Meetings.EventsSince(ctx, all, after, 1000)
	}
	live.Serve(r.Context(), conn, s.Live, sub, first, after, catchUp, s.log.With("meeting_id", id, "user_id", p.UserID))
	return nil
}

// hijacker finds the http.Hijacker under the middleware's wrappers:
// gorilla/websocket asserts the interface on the writer it is given
// instead of using http.ResponseController.
func hijacker(w http.ResponseWriter) http.ResponseWriter {
	for {
		if _, ok := w.(http.Hijacker); ok {
			return w
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}
