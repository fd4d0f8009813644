package config

import (
	"net/netip"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/convert"
	"github.com/cau-gov/cau/sfu"
)

// HTTP is the API, web client and signaling listener.
type HTTP struct {
	// Addr is CAU_HTTP_ADDR. Default ":8080".
	Addr string
	// PublicURL is CAU_PUBLIC_URL, how browsers reach us (links in e-mail,
	// signaling URL). Default "http://localhost:8080".
	PublicURL string
	// MaxBodyBytes is CAU_MAX_BODY_BYTES, the limit for JSON request bodies. Default 1 MiB.
	MaxBodyBytes int64
	// TrustedProxies is CAU_TRUSTED_PROXIES: comma-separated CIDRs (or
	// addresses) of reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; from any other peer they are ignored.
	// Default none: the peer address is the client's.
	TrustedProxies []string
	// ShutdownTimeout is CAU_SHUTDOWN_TIMEOUT, how long draining may take. Default 20s.
	ShutdownTimeout time.Duration
}

// Metrics is where /metrics is served.
type Metrics struct {
	// Addr is CAU_METRICS_ADDR: when set, /metrics is served only on this
	// listener (e.g. 127.0.0.1:9090 or an internal interface) and no longer
	// on CAU_HTTP_ADDR. Empty: on CAU_HTTP_ADDR, subject to the token.
	Addr string
	// Token is CAU_METRICS_TOKEN: when set, /metrics answers only requests
	// with "Authorization: Bearer <token>" (Prometheus'
	// authorization.credentials). In production, /metrics on CAU_HTTP_ADDR
	// without a token is not served at all.
	Token string
}

// Tokens are the keys and lifetimes of access and room tokens.
type Tokens struct {
	// AccessKeyFile is CAU_ACCESS_KEY_FILE, the Ed25519 private key (PKCS#8
	// PEM) signing access tokens. Default "$CAU_DATA_DIR/keys/access.pem",
	// generated on first start outside production.
	AccessKeyFile string
	// AccessTTL is CAU_ACCESS_TTL, the lifetime of an access token. Default 15m.
	AccessTTL time.Duration
	// RoomKeyFile is CAU_ROOM_KEY_FILE, the Ed25519 private key signing SFU
	// room tokens. Default "$CAU_DATA_DIR/keys/room.pem", generated outside production.
	RoomKeyFile string
	// RoomTTL is CAU_ROOM_TOKEN_TTL, the lifetime of a room token handed out on join. Default 4h.
	RoomTTL time.Duration
}

// Documents are the stored documents: their keys, size and conversion.
type Documents struct {
	// KeysFile is CAU_DOCUMENT_KEYS_FILE: the keys encrypting stored
	// documents (and approved minutes), one `keyid:base64(32 bytes)` line
	// each, the last one current (append a line to rotate; keep old lines
	// while old files use them). Default "$CAU_DATA_DIR/keys/documents.keys",
	// generated on first start outside production; production refuses to
	// start without it.
	KeysFile string
	// MaxUploadBytes is CAU_MAX_UPLOAD_BYTES, the limit for one uploaded document. Default 100 MiB.
	MaxUploadBytes int64
	// Convert is the conversion of office documents to PDF (convert.New):
	// Binary is CAU_SOFFICE, the LibreOffice binary, default "soffice"
	// (looked up in PATH; when it is missing, originals are still served
	// and the conversion records why); Timeout is CAU_CONVERT_TIMEOUT, the
	// limit for one conversion, default 2m.
	Convert convert.Options
}

// Recording are the session recordings (internal/recording).
type Recording struct {
	// RetentionDays is CAU_RECORDING_RETENTION_DAYS: a finished recording
	// is deleted this many days after it stopped, unless its meeting is
	// under a legal hold. Default 1826 (five years); 1–36525.
	RetentionDays int
	// FFmpeg and FFprobe are CAU_FFMPEG and CAU_FFPROBE, the binaries that
	// finish recordings (a remux, never a re-encode) and measure them.
	// Default "ffmpeg" and "ffprobe" (looked up in PATH).
	FFmpeg, FFprobe string
}

// Retention is RetentionDays as a duration.
func (r Recording) Retention() time.Duration { return time.Duration(r.RetentionDays) * 24 * time.Hour }

// Issuer is the unit that issues minutes and notices.
type Issuer struct {
	// Abbrev is CAU_ISSUER_ABBREV, the issuing authority's abbreviation in
	// document symbols ("12/BB-UBND"). Default "UBND".
	Abbrev string
	// Name is CAU_ISSUER_NAME, the issuing unit in capitals at the top left
	// of minutes and notices; "|" breaks the line. Default
	// "ỦY BAN NHÂN DÂN|TỈNH LÂM ĐỒNG".
	Name string
	// Place is CAU_DOCUMENT_PLACE, the place of the date line
	// ("Lâm Đồng, ngày …"). Default "Lâm Đồng".
	Place string
	// SignP12File and SignP12Password are CAU_SIGN_P12_FILE and
	// CAU_SIGN_P12_PASSWORD: the unit's certificate (PKCS #12) that signs
	// approved minutes and notices. Empty: PDFs are not signed.
	SignP12File     string
	SignP12Password string
}

// TURN is how TURN servers authenticate the participants.
type TURN struct {
	// Secret is CAU_TURN_SECRET, the shared secret of the TURN server
	// (coturn's use-auth-secret / static-auth-secret): each participant
	// gets its own credentials valid for RTC.TURNCredentialTTL.
	Secret string
	// Username and Password are CAU_TURN_USERNAME and CAU_TURN_PASSWORD:
	// one static credential handed to everyone, for a TURN server without
	// the REST secret. Prefer CAU_TURN_SECRET.
	Username, Password string
}

// Jobs is the background worker.
type Jobs struct {
	// Concurrency is CAU_WORKER_CONCURRENCY, asynq handlers run at once. Default 4.
	Concurrency int
	// RunWorker is CAU_RUN_WORKER: whether `serve` also runs the background
	// worker in-process. Default true.
	RunWorker bool
}

// Log is the process log.
type Log struct {
	// Level is CAU_LOG_LEVEL (debug, info, warn, error). Default info.
	Level string
	// Format is CAU_LOG_FORMAT (text or json). Default text in development, json in production.
	Format string
}

// TrustedProxyPrefixes returns CAU_TRUSTED_PROXIES parsed (Validate has
// checked them; an unparsable entry is skipped).
func (h HTTP) TrustedProxyPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range h.TrustedProxies {
		if p, err := parsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// parsePrefix reads a CIDR, or a lone address as its own /32 or /128.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// Server is the ICE server of url: a TURN server gets the secret (each
// participant then gets credentials of its own) or the static credential.
func (t TURN) Server(url string) sfu.ICEServer {
	s := sfu.ICEServer{URLs: []string{url}}
	if strings.HasPrefix(url, "turn") {
		if t.Secret != "" {
			s.Secret = t.Secret
		} else {
			s.Username, s.Credential = t.Username, t.Password
		}
	}
	return s
}
