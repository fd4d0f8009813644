package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/notify"
)

// Notifications reads and marks a person's in-app notices (internal/store).
type Notifications interface {
	Notifications(ctx context.Context, user auth.UserID, unreadOnly bool, limit int) ([]notify.Notification, error)
	UnreadNotifications(ctx context.Context, user auth.UserID) (int, error)
	MarkNotificationRead(ctx context.Context, user auth.UserID, id int64, at time.Time) error
	MarkAllNotificationsRead(ctx context.Context, user auth.UserID, at time.Time) (int, error)
}

// Stream timing: a comment every streamHeartbeat keeps proxies from closing
// an idle stream; a stream ends after streamLifetime so the client comes
// back with a fresh access token (a revoked account stops getting counts).
const (
	streamHeartbeat = 25 * time.Second
	streamLifetime  = 10 * time.Minute
)

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	ns, err := s.Notifications.Notifications(r.Context(), p.UserID, r.URL.Query().Get("unread") == "true", 200)
	if err != nil {
		return err
	}
	unread, err := s.Notifications.UnreadNotifications(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": nonNil(ns), "unread": unread})
	return nil
}

func (s *Server) readNotification(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Notifications.MarkNotificationRead(r.Context(), p.UserID, id, time.Now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) readAllNotifications(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	n, err := s.Notifications.MarkAllNotificationsRead(r.Context(), p.UserID, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"marked": n})
	return nil
}

// notificationStream is the bell's live count: a server-sent event stream
// ("event: unread", data {"unread": n}) that sends the count at once and
// again whenever the person's notices change (notify.Bell). It is read with
// fetch and the Authorization header, like every other call, rather than
// EventSource, which cannot send one.
func (s *Server) notificationStream(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if s.Bell == nil {
		return errNotFound
	}
	rc := http.NewResponseController(w)
	ring, cancel := s.Bell.Subscribe(int64(p.UserID))
	defer cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event through
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()
	send := func() error {
		n, err := s.Notifications.UnreadNotifications(ctx, p.UserID)
		if err != nil {
			return err
		}
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := fmt.Fprintf(w, "event: unread\ndata: {\"unread\":%d}\n\n", n); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(); err != nil {
		return nil // the status is sent: nothing more to say to this client
	}
	beat := time.NewTicker(streamHeartbeat)
	defer beat.Stop()
	end := time.NewTimer(streamLifetime)
	defer end.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-end.C:
			return nil
		case _, ok := <-ring:
			if !ok || send() != nil {
				return nil
			}
		case <-beat.C:
			_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		}
	}
}
