// Package config loads Cầu's configuration from the environment into one
// struct with documented defaults, and validates it before anything starts.
// The struct is passed explicitly; there is no global configuration.
//
// It is grouped by subsystem, and each group goes whole to the constructor
// of the package that uses it: RTC to sfu.New, Login to auth.NewService,
// SMTP to notify.NewMailer, Documents.Convert to convert.New, TaskNotices to
// task.NewNotifier, TLS to certfile.New. Where the package already owns its
// configuration type (sfu.Config, auth.Policy, notify.SMTPConfig,
// convert.Options, task.NoticeConfig), the group is that type; the other
// groups are declared here. Fields the environment does not set keep the
// package's own defaults.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cau-gov/cau/internal/auth"
	"github.com/cau-gov/cau/internal/certfile"
	"github.com/cau-gov/cau/internal/convert"
	"github.com/cau-gov/cau/internal/notify"
	"github.com/cau-gov/cau/internal/task"
	"github.com/cau-gov/cau/sfu"
)

// Environment names accepted in CAU_ENV.
const (
	EnvDevelopment = "development"
	EnvTest        = "test"
	EnvProduction  = "production"
)

// DefaultDemoPassword is the password `cau seed --demo` gives demo accounts
// when CAU_DEMO_PASSWORD is unset. Production refuses to run with it.
const DefaultDemoPassword = "cau-demo"

// Config is everything the binary needs. Each field names its environment
// variable and default in its comment; Load fills it and Validate checks it.
type Config struct {
	// Env is CAU_ENV: development (default), test or production. Production
	// refuses demo passwords and missing key files.
	Env string
	// DatabaseURL is DATABASE_URL. Default "postgres://postgres@127.0.0.1:5432/cau?sslmode=disable".
	DatabaseURL string
	// RedisURL is REDIS_URL (asynq jobs, events between nodes, rate limits).
	// Default "redis://127.0.0.1:6379/0".
	RedisURL string
	// DataDir is CAU_DATA_DIR: generated development keys and stored
	// documents live below it. Default "./var".
	DataDir string
	// BackupKeyFile is CAU_BACKUP_KEY_FILE: 32 random bytes in base64 that
	// seal `cau backup` archives (and open them for `cau restore`). Empty:
	// archives are not sealed (the blobs inside stay encrypted either way).
	BackupKeyFile string
	// DemoPassword is CAU_DEMO_PASSWORD, used by `cau seed --demo`. Default "cau-demo".
	DemoPassword string
	// PprofAddr is CAU_PPROF_ADDR: when set (e.g. 127.0.0.1:6060), Go's
	// profiler is served there for measurements (with an SFU, also make
	// bench's /debug/record, cmd/cau/serve.go); never on a public address.
	PprofAddr string

	HTTP HTTP
	// TLS is CAU_TLS_CERT_FILE and CAU_TLS_KEY_FILE (certfile.New): when
	// both are set, CAU_HTTP_ADDR serves HTTPS with them (PEM; new files are
	// picked up within seconds, no restart) and answers with HSTS. Empty:
	// plain HTTP, for a reverse proxy that terminates TLS.
	TLS     certfile.Files
	Metrics Metrics
	Tokens  Tokens
	// Login is the sign-in policy (auth.NewService):
	//   - MaxFailures is CAU_LOGIN_MAX_FAILURES: consecutive wrong passwords
	//     before an account locks. Default 5.
	//   - LockDuration is CAU_LOGIN_LOCK_DURATION. Default 15m.
	//   - PerIPPerMinute is CAU_LOGIN_PER_IP_PER_MINUTE: failed logins one
	//     client address may make per minute; successful ones do not count,
	//     so an office behind one NAT address signs everyone in. Default 30.
	//   - PerUserPerMinute is CAU_LOGIN_PER_ACCOUNT_PER_MINUTE. Default 10.
	//   - RefreshTTL is CAU_REFRESH_TTL, the lifetime of one refresh token
	//     (each refresh issues a new one). Default 720h (30 days); the two
	//     limits below end a sign-in long before it.
	//   - Session.Idle is CAU_IDLE_TIMEOUT: a sign-in not refreshed for this
	//     long ends (the web client refreshes while its user types, clicks
	//     or is in a live call). 0 turns it off. Default 30m.
	//   - Session.MaxAge is CAU_SESSION_MAX_AGE: a sign-in ends this long
	//     after the login however active, calls included. 0 turns it off.
	//     Default 12h (a working day, a late session included).
	//   - HashSlots is CAU_LOGIN_HASH_SLOTS: password hashes computed at
	//     once; the others wait. Each holds 19 MiB while it runs, so this
	//     bounds hashing's memory. Default: half the CPUs (at least 1), so a
	//     sign-in storm leaves the SFU cores: on 2 cores with 40 halls in a
	//     call, 2 slots put the forward delay p99 at ×17 of quiet, 1 slot at
	//     ×3.8 (docs/performance.md "Sign-in storm").
	//   - HashWait is CAU_LOGIN_HASH_WAIT: how long a login waits for a
	//     hashing slot before the answer is 503 with Retry-After. Default 10s.
	Login     auth.Policy
	Documents Documents
	Recording Recording
	Issuer    Issuer
	// TaskNotices are the task reminders (task.NewNotifier):
	//   - ReminderDays is CAU_TASK_REMINDER_DAYS, comma-separated days
	//     before a deadline that remind the unit (the day itself always
	//     does). Default "3,1".
	//   - EscalateAfter is CAU_TASK_ESCALATE_AFTER_DAYS, days past the
	//     deadline before the assigner is told. Default 0 (the first overdue day).
	TaskNotices task.NoticeConfig
	// RTC is the SFU's configuration (sfu.New); the environment sets:
	//   - UDPPort is CAU_RTC_UDP_PORT, the one UDP port all WebRTC media
	//     uses. Default 8443.
	//   - NoBatchIO is CAU_RTC_BATCH_IO=false: read media one datagram per
	//     system call instead of batches (recvmmsg). Default batches;
	//     false is for comparing (docs/performance.md).
	//   - FanoutPass is CAU_RTC_FANOUT_PASS: a publisher's reader writes
	//     each packet to every idle subscriber in one pass, batched into
	//     sendmmsg, instead of queueing it to each subscriber's writer
	//     goroutine. Default false (docs/performance.md: not better on loopback).
	//   - PionWrites is CAU_RTC_PION_WRITES: send media through pion's
	//     interceptors and SRTP session instead of the SFU's fast write
	//     path. Default false; true is for comparing (docs/performance.md).
	//   - FastRTCP is CAU_RTC_FAST_RTCP: read subscribers' RTCP on the media
	//     socket's read loop. Default false: it regressed the weak-link
	//     estimate (docs/performance.md).
	//   - PauseAfter is CAU_RTC_PAUSE_AFTER: a simulcast layer nobody has
	//     wanted this long is paused at its publisher (the "layers"
	//     message). Default 3s; 0 turns pausing off (every layer flows;
	//     Load writes it as sfu's negative, sfu's zero being its default).
	//   - TCPPort is CAU_RTC_TCP_PORT, the ICE-TCP port for halls behind
	//     strict firewalls; -1 disables it. Default 8443.
	//   - ListenIPs is CAU_RTC_IPS, comma-separated addresses media binds to
	//     and gathers candidates on. Default "127.0.0.1,::1"; a server sets
	//     its LAN/WAN addresses.
	//   - NAT1To1IPs is CAU_RTC_NAT_IPS, public addresses advertised instead (NAT 1:1).
	//   - ICEServers is CAU_ICE_SERVERS, STUN/TURN URLs handed to browsers,
	//     comma-separated, each one server. Default none: nothing outside
	//     the province network is contacted. A TURN server gets the
	//     credentials of TURN below.
	//   - TURNCredentialTTL is CAU_TURN_CREDENTIAL_TTL: how long the
	//     credentials minted from CAU_TURN_SECRET are valid. Default 8h.
	RTC sfu.Config
	// TURN is how the TURN servers of CAU_ICE_SERVERS authenticate; Load
	// writes it into RTC.ICEServers.
	TURN TURN
	// SMTP is the outgoing mail (notify.NewMailer):
	//   - Addr is CAU_SMTP_ADDR (host:port); empty disables e-mail (in-app
	//     notices only).
	//   - From is CAU_SMTP_FROM. Default "Cầu <no-reply@localhost>".
	//   - Username and Password are CAU_SMTP_USERNAME and CAU_SMTP_PASSWORD.
	SMTP notify.SMTPConfig
	Jobs Jobs
	Log  Log
	// Node is this process as a node of a cluster: CAU_ROLES and CAU_NODE_* (node.go).
	Node Node
	// OIDC is single sign-on (CAU_OIDC_*, CAU_LOCAL_PASSWORDS; oidc.go).
	OIDC OIDC
}

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

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		Env:          EnvDevelopment,
		DatabaseURL:  "postgres://postgres@127.0.0.1:5432/cau?sslmode=disable",
		RedisURL:     "redis://127.0.0.1:6379/0",
		DataDir:      "./var",
		DemoPassword: DefaultDemoPassword,
		HTTP: HTTP{
			Addr:            ":8080",
			PublicURL:       "http://localhost:8080",
			MaxBodyBytes:    1 << 20,
			ShutdownTimeout: 20 * time.Second,
		},
		Tokens: Tokens{AccessTTL: 15 * time.Minute, RoomTTL: 4 * time.Hour},
		Login: auth.Policy{
			MaxFailures:      5,
			LockDuration:     15 * time.Minute,
			PerIPPerMinute:   30,
			PerUserPerMinute: 10,
			RefreshTTL:       30 * 24 * time.Hour,
			Session:          auth.SessionLimits{Idle: 30 * time.Minute, MaxAge: 12 * time.Hour},
			HashSlots:        max(1, runtime.NumCPU()/2),
			HashWait:         10 * time.Second,
		},
		Documents: Documents{
			MaxUploadBytes: 100 << 20,
			Convert:        convert.Options{Binary: "soffice", Timeout: 2 * time.Minute},
		},
		Recording:   Recording{RetentionDays: 1826, FFmpeg: "ffmpeg", FFprobe: "ffprobe"},
		Issuer:      Issuer{Abbrev: "UBND", Name: "ỦY BAN NHÂN DÂN|TỈNH LÂM ĐỒNG", Place: "Lâm Đồng"},
		TaskNotices: task.NoticeConfig{ReminderDays: []int{3, 1}},
		RTC: sfu.Config{
			UDPPort:    8443,
			TCPPort:    8443,
			ListenIPs:  []string{"127.0.0.1", "::1"},
			PauseAfter: 3 * time.Second,
		},
		SMTP: notify.SMTPConfig{From: "Cầu <no-reply@localhost>"},
		Jobs: Jobs{Concurrency: 4, RunWorker: true},
		Log:  Log{Level: "info"},
		Node: defaultNode(),
		OIDC: defaultOIDC(),
	}
}

// Load reads the configuration from the environment (through getenv, so
// tests pass a map) over the defaults, then validates it.
func Load(getenv func(string) string) (Config, error) {
	c := Default()
	var errs []error
	str := func(name string, dst *string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	num := func(name string, dst *int) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number", name, v))
				return
			}
			*dst = n
		}
	}
	num64 := func(name string, dst *int64) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number", name, v))
				return
			}
			*dst = n
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration like 15m or 2h", name, v))
				return
			}
			*dst = d
		}
	}
	list := func(name string, dst *[]string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			var out []string
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			*dst = out
		}
	}
	boolean := func(name string, dst *bool) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", name, v))
				return
			}
			*dst = b
		}
	}

	str("CAU_ENV", &c.Env)
	str("DATABASE_URL", &c.DatabaseURL)
	str("REDIS_URL", &c.RedisURL)
	str("CAU_DATA_DIR", &c.DataDir)
	str("CAU_BACKUP_KEY_FILE", &c.BackupKeyFile)
	str("CAU_DEMO_PASSWORD", &c.DemoPassword)
	str("CAU_PPROF_ADDR", &c.PprofAddr)

	str("CAU_HTTP_ADDR", &c.HTTP.Addr)
	str("CAU_PUBLIC_URL", &c.HTTP.PublicURL)
	num64("CAU_MAX_BODY_BYTES", &c.HTTP.MaxBodyBytes)
	list("CAU_TRUSTED_PROXIES", &c.HTTP.TrustedProxies)
	dur("CAU_SHUTDOWN_TIMEOUT", &c.HTTP.ShutdownTimeout)
	str("CAU_TLS_CERT_FILE", &c.TLS.CertFile)
	str("CAU_TLS_KEY_FILE", &c.TLS.KeyFile)
	str("CAU_METRICS_ADDR", &c.Metrics.Addr)
	str("CAU_METRICS_TOKEN", &c.Metrics.Token)

	str("CAU_ACCESS_KEY_FILE", &c.Tokens.AccessKeyFile)
	dur("CAU_ACCESS_TTL", &c.Tokens.AccessTTL)
	str("CAU_ROOM_KEY_FILE", &c.Tokens.RoomKeyFile)
	dur("CAU_ROOM_TOKEN_TTL", &c.Tokens.RoomTTL)

	num("CAU_LOGIN_MAX_FAILURES", &c.Login.MaxFailures)
	dur("CAU_LOGIN_LOCK_DURATION", &c.Login.LockDuration)
	num("CAU_LOGIN_PER_IP_PER_MINUTE", &c.Login.PerIPPerMinute)
	num("CAU_LOGIN_PER_ACCOUNT_PER_MINUTE", &c.Login.PerUserPerMinute)
	dur("CAU_REFRESH_TTL", &c.Login.RefreshTTL)
	dur("CAU_IDLE_TIMEOUT", &c.Login.Session.Idle)
	dur("CAU_SESSION_MAX_AGE", &c.Login.Session.MaxAge)
	num("CAU_LOGIN_HASH_SLOTS", &c.Login.HashSlots)
	dur("CAU_LOGIN_HASH_WAIT", &c.Login.HashWait)

	str("CAU_DOCUMENT_KEYS_FILE", &c.Documents.KeysFile)
	num64("CAU_MAX_UPLOAD_BYTES", &c.Documents.MaxUploadBytes)
	str("CAU_SOFFICE", &c.Documents.Convert.Binary)
	dur("CAU_CONVERT_TIMEOUT", &c.Documents.Convert.Timeout)

	num("CAU_RECORDING_RETENTION_DAYS", &c.Recording.RetentionDays)
	str("CAU_FFMPEG", &c.Recording.FFmpeg)
	str("CAU_FFPROBE", &c.Recording.FFprobe)

	str("CAU_ISSUER_ABBREV", &c.Issuer.Abbrev)
	str("CAU_ISSUER_NAME", &c.Issuer.Name)
	str("CAU_DOCUMENT_PLACE", &c.Issuer.Place)
	str("CAU_SIGN_P12_FILE", &c.Issuer.SignP12File)
	c.Issuer.SignP12Password = getenv("CAU_SIGN_P12_PASSWORD")

	var reminderDays []string
	list("CAU_TASK_REMINDER_DAYS", &reminderDays)
	if reminderDays != nil {
		c.TaskNotices.ReminderDays = nil
		for _, d := range reminderDays {
			n, err := strconv.Atoi(d)
			if err != nil {
				errs = append(errs, fmt.Errorf("CAU_TASK_REMINDER_DAYS: %q is not a number of days from 1 to 60", d))
				continue
			}
			c.TaskNotices.ReminderDays = append(c.TaskNotices.ReminderDays, n)
		}
	}
	num("CAU_TASK_ESCALATE_AFTER_DAYS", &c.TaskNotices.EscalateAfter)

	num("CAU_RTC_UDP_PORT", &c.RTC.UDPPort)
	num("CAU_RTC_TCP_PORT", &c.RTC.TCPPort)
	batchIO := true
	boolean("CAU_RTC_BATCH_IO", &batchIO)
	c.RTC.NoBatchIO = !batchIO
	boolean("CAU_RTC_FANOUT_PASS", &c.RTC.FanoutPass)
	boolean("CAU_RTC_PION_WRITES", &c.RTC.PionWrites)
	boolean("CAU_RTC_FAST_RTCP", &c.RTC.FastRTCP)
	dur("CAU_RTC_PAUSE_AFTER", &c.RTC.PauseAfter)
	switch {
	case c.RTC.PauseAfter < 0:
		errs = append(errs, fmt.Errorf("CAU_RTC_PAUSE_AFTER: %s is negative (0 turns pausing off)", c.RTC.PauseAfter))
	case c.RTC.PauseAfter == 0:
		c.RTC.PauseAfter = -1 // sfu's off (its zero is the default)
	}
	list("CAU_RTC_IPS", &c.RTC.ListenIPs)
	list("CAU_RTC_NAT_IPS", &c.RTC.NAT1To1IPs)
	var iceURLs []string
	list("CAU_ICE_SERVERS", &iceURLs)
	str("CAU_TURN_SECRET", &c.TURN.Secret)
	dur("CAU_TURN_CREDENTIAL_TTL", &c.RTC.TURNCredentialTTL)
	str("CAU_TURN_USERNAME", &c.TURN.Username)
	str("CAU_TURN_PASSWORD", &c.TURN.Password)
	for _, u := range iceURLs {
		c.RTC.ICEServers = append(c.RTC.ICEServers, c.TURN.Server(u))
	}

	str("CAU_SMTP_ADDR", &c.SMTP.Addr)
	str("CAU_SMTP_FROM", &c.SMTP.From)
	str("CAU_SMTP_USERNAME", &c.SMTP.Username)
	str("CAU_SMTP_PASSWORD", &c.SMTP.Password)

	num("CAU_WORKER_CONCURRENCY", &c.Jobs.Concurrency)
	boolean("CAU_RUN_WORKER", &c.Jobs.RunWorker)
	str("CAU_LOG_LEVEL", &c.Log.Level)
	str("CAU_LOG_FORMAT", &c.Log.Format)

	errs = append(errs, loadNode(getenv, &c.Node, &c)...)
	if c.Tokens.AccessKeyFile == "" {
		c.Tokens.AccessKeyFile = filepath.Join(c.DataDir, "keys", "access.pem")
	}
	if c.Tokens.RoomKeyFile == "" {
		c.Tokens.RoomKeyFile = filepath.Join(c.DataDir, "keys", "room.pem")
	}
	if c.Documents.KeysFile == "" {
		c.Documents.KeysFile = filepath.Join(c.DataDir, "keys", "documents.keys")
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
		if c.Env == EnvProduction {
			c.Log.Format = "json"
		}
	}
	errs = append(errs, loadOIDC(getenv, &c.OIDC, c.HTTP.PublicURL)...)
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	return c, c.Validate()
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

// FromEnv is Load over the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }

// Production reports whether CAU_ENV is production.
func (c Config) Production() bool { return c.Env == EnvProduction }

// Validate checks every field and names the variable of each bad one.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch c.Env {
	case EnvDevelopment, EnvTest, EnvProduction:
	default:
		bad("CAU_ENV: %q must be development, test or production", c.Env)
	}
	if c.TURN.Secret != "" && c.TURN.Username != "" {
		bad("CAU_TURN_SECRET and CAU_TURN_USERNAME: set one (per-participant credentials from the secret, or one static credential)")
	}
	if c.RTC.TURNCredentialTTL < 0 {
		bad("CAU_TURN_CREDENTIAL_TTL: negative")
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		bad("CAU_TLS_CERT_FILE and CAU_TLS_KEY_FILE: set both (HTTPS) or neither (plain HTTP behind a proxy)")
	}
	if c.Metrics.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Addr); err != nil {
			bad("CAU_METRICS_ADDR: %q is not host:port (e.g. 127.0.0.1:9090)", c.Metrics.Addr)
		}
	}
	if c.Metrics.Token != "" && len(c.Metrics.Token) < 16 {
		bad("CAU_METRICS_TOKEN: at least 16 characters")
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("CAU_HTTP_ADDR: %q is not host:port (e.g. :8080)", c.HTTP.Addr)
	}
	if u, err := url.Parse(c.HTTP.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("CAU_PUBLIC_URL: %q is not an http(s) URL", c.HTTP.PublicURL)
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		bad("DATABASE_URL: %q is not a postgres:// URL", c.DatabaseURL)
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		bad("REDIS_URL: %q is not a redis:// URL", c.RedisURL)
	}
	if c.DataDir == "" {
		bad("CAU_DATA_DIR: must not be empty")
	}
	if c.Tokens.AccessTTL < time.Minute || c.Tokens.AccessTTL > 24*time.Hour {
		bad("CAU_ACCESS_TTL: %s must be between 1m and 24h", c.Tokens.AccessTTL)
	}
	if c.Login.RefreshTTL < c.Tokens.AccessTTL {
		bad("CAU_REFRESH_TTL: %s must be longer than CAU_ACCESS_TTL", c.Login.RefreshTTL)
	}
	// Seconds are allowed for tests; a client touches the sign-in every
	// third of the idle timeout while active.
	if idle := c.Login.Session.Idle; idle != 0 && (idle < 5*time.Second || idle > 7*24*time.Hour) {
		bad("CAU_IDLE_TIMEOUT: %s must be 0 (off) or between 5s and 168h", idle)
	}
	if age := c.Login.Session.MaxAge; age != 0 && (age < time.Minute || age < c.Login.Session.Idle) {
		bad("CAU_SESSION_MAX_AGE: %s must be 0 (off) or at least 1m and at least CAU_IDLE_TIMEOUT", age)
	}
	if c.Tokens.RoomTTL < time.Minute {
		bad("CAU_ROOM_TOKEN_TTL: %s must be at least 1m", c.Tokens.RoomTTL)
	}
	if c.Login.MaxFailures < 1 {
		bad("CAU_LOGIN_MAX_FAILURES: must be at least 1")
	}
	if c.Login.LockDuration < time.Second {
		bad("CAU_LOGIN_LOCK_DURATION: must be at least 1s")
	}
	if c.Login.PerIPPerMinute < 1 || c.Login.PerUserPerMinute < 1 {
		bad("CAU_LOGIN_PER_IP_PER_MINUTE and CAU_LOGIN_PER_ACCOUNT_PER_MINUTE: must be at least 1")
	}
	if c.Login.HashSlots < 1 || c.Login.HashSlots > 256 {
		bad("CAU_LOGIN_HASH_SLOTS: %d is not 1–256", c.Login.HashSlots)
	}
	if c.Login.HashWait < 100*time.Millisecond || c.Login.HashWait > time.Minute {
		bad("CAU_LOGIN_HASH_WAIT: %s is not 100ms–1m", c.Login.HashWait)
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, err := parsePrefix(p); err != nil {
			bad("CAU_TRUSTED_PROXIES: %q is not a CIDR or an address", p)
		}
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		bad("CAU_MAX_BODY_BYTES: %d is below 1024", c.HTTP.MaxBodyBytes)
	}
	if c.Documents.MaxUploadBytes < 1024 {
		bad("CAU_MAX_UPLOAD_BYTES: %d is below 1024", c.Documents.MaxUploadBytes)
	}
	if c.Documents.Convert.Timeout < time.Second {
		bad("CAU_CONVERT_TIMEOUT: %s must be at least 1s", c.Documents.Convert.Timeout)
	}
	if c.Recording.RetentionDays < 1 || c.Recording.RetentionDays > 36525 {
		bad("CAU_RECORDING_RETENTION_DAYS: %d is not 1–36525 days", c.Recording.RetentionDays)
	}
	if c.Recording.FFmpeg == "" || c.Recording.FFprobe == "" {
		bad("CAU_FFMPEG, CAU_FFPROBE: must not be empty")
	}
	if c.Documents.Convert.Binary == "" {
		bad("CAU_SOFFICE: must not be empty")
	}
	for _, n := range c.TaskNotices.ReminderDays {
		if n < 1 || n > 60 {
			bad("CAU_TASK_REMINDER_DAYS: %d is not a number of days from 1 to 60", n)
		}
	}
	if c.TaskNotices.EscalateAfter < 0 || c.TaskNotices.EscalateAfter > 60 {
		bad("CAU_TASK_ESCALATE_AFTER_DAYS: %d is not 0–60", c.TaskNotices.EscalateAfter)
	}
	if c.RTC.UDPPort < 0 || c.RTC.UDPPort > 65535 {
		bad("CAU_RTC_UDP_PORT: %d is not a port", c.RTC.UDPPort)
	}
	if c.RTC.TCPPort < -1 || c.RTC.TCPPort > 65535 {
		bad("CAU_RTC_TCP_PORT: %d is not a port (or -1 to disable)", c.RTC.TCPPort)
	}
	for _, ip := range c.RTC.ListenIPs {
		if net.ParseIP(ip) == nil {
			bad("CAU_RTC_IPS: %q is not an IP address", ip)
		}
	}
	for _, ip := range c.RTC.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			bad("CAU_RTC_NAT_IPS: %q is not an IP address", ip)
		}
	}
	for _, s := range c.RTC.ICEServers {
		for _, u := range s.URLs {
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				bad("CAU_ICE_SERVERS: %q must start with stun:, turn: or turns:", u)
			}
		}
	}
	if c.SMTP.Addr != "" {
		if _, _, err := net.SplitHostPort(c.SMTP.Addr); err != nil {
			bad("CAU_SMTP_ADDR: %q is not host:port", c.SMTP.Addr)
		}
	}
	if c.Jobs.Concurrency < 1 {
		bad("CAU_WORKER_CONCURRENCY: must be at least 1")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("CAU_LOG_LEVEL: %q must be debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("CAU_LOG_FORMAT: %q must be text or json", c.Log.Format)
	}
	if c.PprofAddr != "" {
		if host, _, err := net.SplitHostPort(c.PprofAddr); err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
			bad("CAU_PPROF_ADDR: %q must be a loopback host:port", c.PprofAddr)
		}
	}
	errs = append(errs, c.Node.validate()...)
	if c.HTTP.ShutdownTimeout <= 0 {
		bad("CAU_SHUTDOWN_TIMEOUT: must be positive")
	}
	errs = append(errs, c.OIDC.validate(c.Production())...)
	if c.Production() {
		if _, err := os.Stat(c.Documents.KeysFile); err != nil {
			bad("CAU_DOCUMENT_KEYS_FILE: %s must exist in production (mode 0600, one line keyid:base64 of 32 random bytes, e.g. "+
				"printf 'k1:%%s\\n' \"$(head -c32 /dev/urandom | base64)\"): %v", c.Documents.KeysFile, err)
		}
		for name, path := range map[string]string{"CAU_ACCESS_KEY_FILE": c.Tokens.AccessKeyFile, "CAU_ROOM_KEY_FILE": c.Tokens.RoomKeyFile} {
			if _, err := os.Stat(path); err != nil {
				bad("%s: %s must exist in production (generate it with `cau keys`): %v", name, path, err)
			}
		}
	}
	return errors.Join(errs...)
}
