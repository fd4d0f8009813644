package loadtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cau-gov/cau/internal/roomtoken"
	"github.com/cau-gov/cau/sfu"
	"github.com/cau-gov/cau/sfu/signal"
)

// Embedded is an SFU in this process on loopback, with its own room key:
// `cau loadtest --embedded` and the short run in `make test`. Its CPU
// cannot be told apart from the generator's.
type Embedded struct {
	URL    string
	Signer *roomtoken.Signer
	sfu    *sfu.SFU
	srv    *http.Server
}

// StartEmbedded starts the SFU and its /rtc and /metrics endpoints. cfg
// is the SFU's configuration (the zero value: its defaults); its media
// listens on 127.0.0.1 without ICE-TCP whatever cfg says.
func StartEmbedded(log *slog.Logger, cfg sfu.Config) (*Embedded, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	cfg.ListenIPs, cfg.TCPPort = []string{"127.0.0.1"}, -1
	s, err := sfu.New(cfg, log, reg)
	if err != nil {
		return nil, fmt.Errorf("embedded SFU: %w", err)
	}
	verifier := roomtoken.NewVerifier(pub)
	authorize := func(r *http.Request, token string) (sfu.Grant, error) {
		c, err := verifier.Verify(token)
		if err != nil {
			return sfu.Grant{}, err
		}
		return c.Grant(), nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /rtc", signal.NewHandler(s, authorize, log))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, err
	}
	e := &Embedded{URL: "http://" + ln.Addr().String(), Signer: roomtoken.NewSigner(priv), sfu: s, srv: &http.Server{Handler: mux}}
	go e.srv.Serve(ln)
	return e, nil
}

// Close stops the server and the SFU.
func (e *Embedded) Close() {
	e.srv.Close()
	e.sfu.Close()
}
