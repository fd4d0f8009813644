package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/signal"
	"github.com/cau-gov/cau/sfu/whip"
)

// setupSFU opens the media ports and returns the /rtc signaling handler
// and the WHIP/WHEP handler.
// The handler verifies room tokens with the public key only and hands the
// SFU the grant they carry: the SFU never sees a token. The meeting
// service gets the SFU as its Media and hears joins and leaves for the
// roll call.
func (a *App) setupSFU(cfg sfu.Config, roomTokenTTL time.Duration, log *slog.Logger) (rtc http.Handler, whipHandler *whip.Handler, err error) {
	s, err := sfu.New(cfg, log.With("component", "sfu"), a.Registry)
	if err != nil {
		return nil, nil, fmt.Errorf("start SFU (CAU_RTC_*): %w", err)
	}
	a.SFU = s
	a.closers = append(a.closers, func() { _ = s.Close() })
	if a.Recordings != nil {
		a.Recordings.SetRecorder(sfuRecorder{a: a})
	}
	if a.Meetings != nil {
		a.Meetings.SetMedia(sfuMedia{s: s, ttl: roomTokenTTL})
		a.observer = rollCall{m: a.Meetings, log: log.With("component", "rollcall")}
		s.SetObserver(a.observer)
	}
	verifier := roomtoken.NewVerifier(a.RoomKey.Public().(ed25519.PublicKey))
	authorize := func(r *http.Request, token string) (sfu.Grant, error) {
		c, err := verifier.Verify(token)
		if err != nil {
			return sfu.Grant{}, fmt.Errorf("room token: %w", err)
		}
		return c.Grant(), nil
	}
	// /rtc also admits another node's relay, with a grant signed by the
	// node key (cluster.go); WHIP and WHEP only room tokens.
	rtcAuthorize := func(r *http.Request, token string) (sfu.Grant, error) {
		g, err := authorize(r, token)
		if err != nil && a.relayVerifier != nil {
			if c, rerr := a.relayVerifier.Verify(token); rerr == nil {
				return c.Grant(), nil
			}
		}
		return g, err
	}
	return signal.NewHandler(s, rtcAuthorize, log.With("component", "signal")), whip.NewHandler(s, authorize, log.With("component", "whip")), nil
}

// sfuMedia is the SFU as the meeting service's Media. ttl is the room
// tokens' lifetime: a revocation lasts as long as a token issued before it.
type sfuMedia struct {
	s   *sfu.SFU
	ttl time.Duration
}

func (m sfuMedia) PinFloor(room, identity string) error {
	return m.s.PinFloor(sfu.RoomID(room), sfu.ParticipantID(identity))
}

func (m sfuMedia) SetMuted(room, identity string, muted bool) error {
	return m.s.SetMuted(sfu.RoomID(room), sfu.ParticipantID(identity), muted)
}

func (m sfuMedia) Remove(room, identity string, at time.Time) error {
	return m.s.Remove(sfu.RoomID(room), sfu.ParticipantID(identity), at, at.Add(m.ttl))
}

func (m sfuMedia) SetRoomState(room, state string, at time.Time) error {
	switch state {
	case meeting.RoomEnded:
		return m.s.EndCall(sfu.RoomID(room), at, at.Add(m.ttl))
	case meeting.RoomLocked:
		return m.s.SetLocked(sfu.RoomID(room), true)
	default:
		return m.s.SetLocked(sfu.RoomID(room), false)
	}
}

// rollCall turns the SFU's joins and leaves into the meeting's roll call:
// a hall browser connecting marks the hall connected; a person's browser
// marks them present online.
type rollCall struct {
	m   *meeting.Service
	log *slog.Logger
}

// parseRoom reads "meeting-<id>"; other rooms (load tests) are not meetings.
func parseRoom(room sfu.RoomID) (meeting.ID, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(string(room), "meeting-"), 10, 64)
	return meeting.ID(n), err == nil && strings.HasPrefix(string(room), "meeting-") && n > 0
}

func parseIdentity(id sfu.ParticipantID, prefix string) (int64, bool) {
	s, ok := strings.CutPrefix(string(id), prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func (r rollCall) record(room sfu.RoomID, id sfu.ParticipantID, at time.Time, joined bool) {
	mid, ok := parseRoom(room)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if hall, ok := parseIdentity(id, "hall-"); ok {
		if joined {
			err = r.m.HallConnected(ctx, mid, auth.HallID(hall), at)
		} else {
			err = r.m.HallDisconnected(ctx, mid, auth.HallID(hall), at)
		}
	} else if user, ok := parseIdentity(id, "user-"); ok {
		if joined {
			err = r.m.UserConnected(ctx, mid, auth.UserID(user), at)
		} else {
			err = r.m.UserDisconnected(ctx, mid, auth.UserID(user), at)
		}
	}
	if err != nil {
		r.log.Warn("roll call not recorded", "meeting_id", int64(mid), "participant", string(id), "error", err)
	}
}

func (r rollCall) ParticipantJoined(room sfu.RoomID, id sfu.ParticipantID, _ sfu.Kind, at time.Time) {
	r.record(room, id, at, true)
}

func (r rollCall) ParticipantLeft(room sfu.RoomID, id sfu.ParticipantID, _ sfu.Kind, at time.Time) {
	r.record(room, id, at, false)
}

func (r rollCall) FloorChanged(sfu.RoomID, sfu.ParticipantID, time.Time) {}
