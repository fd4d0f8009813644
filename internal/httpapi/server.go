// Package httpapi is Cầu's HTTP transport: the JSON API under /api/v1, the
// health and metrics endpoints, and the mounts for signaling and the web
// client. Handlers are thin: decode, authorise, call a domain service,
// encode. Every route is registered in routes.go.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/config"
	"github.com/cau-gov/cau/internal/document"
	"github.com/cau-gov/cau/internal/live"
	"github.com/cau-gov/cau/internal/meeting"
	"github.com/cau-gov/cau/internal/minutes"
	"github.com/cau-gov/cau/internal/notify"
	"github.com/cau-gov/cau/internal/recording"
	"github.com/cau-gov/cau/internal/search"
	"github.com/cau-gov/cau/internal/task"
)

// Authenticator turns a bearer access token into the principal behind it,
// reading the user's current roles.
type Authenticator interface {
	Authenticate(ctx context.Context, accessToken string) (*auth.Principal, error)
}

// ReadinessCheck is one dependency /readyz checks (database, Redis, schema).
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps are the services the handlers call; internal/app fills them.
type Deps struct {
	Config        config.Config
	Logger        *slog.Logger
	Registerer    prometheus.Registerer
	Gatherer      prometheus.Gatherer
	Authenticator Authenticator
	Accounts      Accounts
	// SSO is sign-in through the province's OpenID Connect provider (nil: off).
	SSO   SSO
	Me    MeLoader
	Org   Org
	Ready []ReadinessCheck
	// Meetings is the meeting service (internal/meeting); Live fans its
	// session events out to WebSockets; RoomTokens signs SFU room tokens on
	// join; Notifications reads in-app notices; Bell rings their streams.
	Meetings      *meeting.Service
	Live          *live.Hub
	RoomTokens    RoomSigner
	Notifications Notifications
	Bell          *notify.Bell
	// Documents is the meeting documents service (internal/document).
	Documents *document.Service
	// Recordings is the session recordings service (internal/recording;
	// nil: not mounted).
	Recordings *recording.Service
	// Minutes, Tasks, TaskData and Search serve minutes, follow-up tasks,
	// their dashboard and search (all four set together, or none: the
	// routes are mounted when Minutes is set).
	Minutes  *minutes.Service
	Tasks    *task.Service
	TaskData TaskData
	Search   *search.Service
	// RTC serves the SFU signaling WebSocket at /rtc (nil: not mounted).
	RTC http.Handler
	// WHIP serves WHIP ingest and WHEP playback under /whip and /whep
	// (sfu/whip; nil: not mounted).
	WHIP http.Handler
	// Web serves the browser client at / (nil: not mounted).
	Web http.Handler
	// MediaOnly mounts only /healthz, /readyz, /metrics and the media
	// routes: an SFU-only node (CAU_ROLES=sfu).
	MediaOnly bool
	// Placement picks the SFU node a joining client signals to (a node of
	// a cluster, internal/cluster); nil: this process's own /rtc.
	Placement Placement
}

// Placement places a joining client on an SFU node: hall is the hall it
// joins as (nil: as a person of unit).
type Placement interface {
	Place(ctx context.Context, room string, hall *auth.HallID, unit auth.UnitID) (nodeURL string, err error)
}

// Server holds the dependencies and the route table.
type Server struct {
	Deps
	cfg      config.Config
	log      *slog.Logger
	mux      *http.ServeMux
	patterns []string
	metrics  *httpMetrics
	// trustedProxies are CAU_TRUSTED_PROXIES, parsed (see deriveClient).
	trustedProxies []netip.Prefix
}

// New builds the HTTP handler with every route and the middleware chain.
func New(d Deps) http.Handler { return NewServer(d).Handler() }

// NewServer builds the server; Handler gives its middleware-wrapped handler.
func NewServer(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Registerer == nil {
		d.Registerer = prometheus.NewRegistry()
	}
	s := &Server{
		Deps:           d,
		cfg:            d.Config,
		log:            d.Logger,
		trustedProxies: d.Config.HTTP.TrustedProxyPrefixes(),
		mux:            http.NewServeMux(),
		metrics:        newHTTPMetrics(d.Registerer),
	}
	s.routes()
	return s
}

// Handler is the route table behind the middleware chain.
func (s *Server) Handler() http.Handler {
	return s.withClient(s.recoverPanics(s.logRequests(s.authenticate(s.mux))))
}
