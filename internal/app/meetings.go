package app

import (
	"context"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/document"
	"github.com/cau-gov/cau/internal/fault"
	"github.com/cau-gov/cau/internal/httpapi"
	"github.com/cau-gov/cau/internal/jobs"
	"github.com/cau-gov/cau/internal/live"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/notify"
	"github.com/cau-gov/cau/internal/roomtoken"
)

// wireMeetings builds the meeting service, its live event hub (running
// until the app closes), the mailer and its job; Serve resumes e-mails
// whose job was lost by a previous process.
func (a *App) wireMeetings(deps *httpapi.Deps, handlers *[]jobs.Handler) error {
	cfg := a.Config
	hubCtx, stopHub := context.WithCancel(context.Background())
	a.Live = live.New(a.Redis, a.Log.With("component", "live"))
	go a.Live.Run(hubCtx)
	a.closers = append(a.closers, stopHub)

	a.Mailer = notify.NewMailer(a.DB, a.Jobs, cfg.SMTP, a.Log.With("component", "mail"))
	*handlers = append(*handlers, a.Mailer.Handler())

	a.Meetings = meeting.New(meeting.Config{Store: a.DB, Publisher: a.Live, Mailer: a.Mailer,
		Log: a.Log.With("component", "meetings"), PublicURL: cfg.HTTP.PublicURL})
	deps.Meetings, deps.Live, deps.Notifications = a.Meetings, a.Live, a.DB
	// The bell: PostgreSQL NOTIFYs each committed notice (migration 0010).
	a.Bell = notify.NewBell()
	deps.Bell = a.Bell
	go a.DB.ListenNotifications(hubCtx, a.Bell.Ring, func(cause error) {
		a.Log.Warn("notification listener reconnected; every bell re-reads its count", "error", cause)
		a.Bell.RingAll()
	})
	a.closers = append(a.closers, a.Bell.Close)
	deps.RoomTokens = roomtoken.NewSigner(a.RoomKey)
	a.onServe("resume pending e-mails", func(ctx context.Context) (int, error) { return 0, a.Mailer.Resume(ctx) })
	return nil
}

// documentAccess adapts meeting.Service.Access to what documents need.
type documentAccess struct{ m *meeting.Service }

func (d documentAccess) Access(ctx context.Context, id document.MeetingID, p *auth.Principal) (document.MeetingAccess, error) {
	a, err := d.m.Access(ctx, meeting.ID(id), p)
	if fault.Is(err, fault.NotFound) {
		return document.MeetingAccess{}, document.ErrNotFound
	}
	if err != nil {
		return document.MeetingAccess{}, err
	}
	return document.MeetingAccess{CanManage: a.CanManage()}, nil
}
