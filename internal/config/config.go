// Package config loads Cầu's configuration from the environment into one
// struct with documented defaults, and validates it before anything starts.
// The struct is passed explicitly; there is no global configuration.
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
	// HTTPAddr is CAU_HTTP_ADDR, the API, web client and signaling listener. Default ":8080".
	HTTPAddr string
	// TLSCertFile and TLSKeyFile are CAU_TLS_CERT_FILE and CAU_TLS_KEY_FILE:
	// when both are set, CAU_HTTP_ADDR serves HTTPS with them (PEM; new
	// files are picked up within seconds, no restart) and answers with
	// HSTS. Empty: plain HTTP, for a reverse proxy that terminates TLS.
	TLSCertFile, TLSKeyFile string
	// MetricsAddr is CAU_METRICS_ADDR: when set, /metrics is served only on
	// this listener (e.g. 127.0.0.1:9090 or an internal interface) and no
	// longer on CAU_HTTP_ADDR. Empty: on CAU_HTTP_ADDR, subject to the token.
	MetricsAddr string
	// MetricsToken is CAU_METRICS_TOKEN: when set, /metrics answers only
	// requests with "Authorization: Bearer <token>" (Prometheus'
	// authorization.credentials). In production, /metrics on CAU_HTTP_ADDR
	// without a token is not served at all.
	MetricsToken string
	// PublicURL is CAU_PUBLIC_URL, how browsers reach us (links in e-mail,
	// signaling URL). Default "http://localhost:8080".
	PublicURL string
	// DatabaseURL is DATABASE_URL. Default "postgres://postgres@127.0.0.1:5432/cau?sslmode=disable".
	DatabaseURL string
	// RedisURL is REDIS_URL (asynq jobs, events between nodes, rate limits).
	// Default "redis://127.0.0.1:6379/0".
	RedisURL string
	// DataDir is CAU_DATA_DIR: generated development keys and stored
	// documents live below it. Default "./var".
	DataDir string

	// AccessKeyFile is CAU_ACCESS_KEY_FILE, the Ed25519 private key (PKCS#8
	// PEM) signing access tokens. Default "$CAU_DATA_DIR/keys/access.pem",
	// generated on first start outside production.
	AccessKeyFile string
	// RoomKeyFile is CAU_ROOM_KEY_FILE, the Ed25519 private key signing SFU
	// room tokens. Default "$CAU_DATA_DIR/keys/room.pem", generated outside production.
	RoomKeyFile string
	// AccessTTL is CAU_ACCESS_TTL, the lifetime of an access token. Default 15m.
	AccessTTL time.Duration
	// RefreshTTL is CAU_REFRESH_TTL, the lifetime of a refresh token family. Default 720h (30 days).
	RefreshTTL time.Duration
	// RoomTokenTTL is CAU_ROOM_TOKEN_TTL, the lifetime of a room token handed out on join. Default 4h.
	RoomTokenTTL time.Duration

	// LoginMaxFailures is CAU_LOGIN_MAX_FAILURES: consecutive wrong passwords
	// before an account locks. Default 5.
	LoginMaxFailures int
	// LoginLockDuration is CAU_LOGIN_LOCK_DURATION. Default 15m.
	LoginLockDuration time.Duration
	// LoginPerIPPerMinute is CAU_LOGIN_PER_IP_PER_MINUTE: failed logins one
	// client address may make per minute; successful ones do not count, so an
	// office behind one NAT address signs everyone in. Default 30.
	LoginPerIPPerMinute int
	// LoginPerAccountPerMinute is CAU_LOGIN_PER_ACCOUNT_PER_MINUTE. Default 10.
	LoginPerAccountPerMinute int
	// LoginHashSlots is CAU_LOGIN_HASH_SLOTS: password hashes computed at
	// once; the others wait. Each holds 19 MiB while it runs, so this bounds
	// hashing's memory. Default: half the CPUs (at least 1), so a sign-in
	// storm leaves the SFU cores: on 2 cores with 40 halls in a call, 2 slots
	// put the forward delay p99 at ×17 of quiet, 1 slot at ×3.8
	// (docs/performance.md "Sign-in storm").
	LoginHashSlots int
	// LoginHashWait is CAU_LOGIN_HASH_WAIT: how long a login waits for a
	// hashing slot before the answer is 503 with Retry-After. Default 10s.
	LoginHashWait time.Duration
	// TrustedProxies is CAU_TRUSTED_PROXIES: comma-separated CIDRs (or
	// addresses) of reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; from any other peer they are ignored.
	// Default none: the peer address is the client's.
	TrustedProxies []string

	// MaxBodyBytes is CAU_MAX_BODY_BYTES, the limit for JSON request bodies. Default 1 MiB.
	MaxBodyBytes int64
	// MaxUploadBytes is CAU_MAX_UPLOAD_BYTES, the limit for one uploaded document. Default 100 MiB.
	MaxUploadBytes int64

	// DocumentKeysFile is CAU_DOCUMENT_KEYS_FILE: the keys encrypting stored
	// documents, one `keyid:base64(32 bytes)` line each, the last one current
	// (append a line to rotate; keep old lines while old files use them).
	// Default "$CAU_DATA_DIR/keys/documents.keys", generated on first start
	// outside production; production refuses to start without it.
	DocumentKeysFile string
	// BackupKeyFile is CAU_BACKUP_KEY_FILE: 32 random bytes in base64 that
	// seal `cau backup` archives (and open them for `cau restore`). Empty:
	// archives are not sealed (the blobs inside stay encrypted either way).
	BackupKeyFile string
	// SofficePath is CAU_SOFFICE, the LibreOffice binary converting office
	// documents to PDF. Default "soffice" (looked up in PATH); when it is
	// missing, originals are still served and the conversion records why.
	SofficePath string
	// ConvertTimeout is CAU_CONVERT_TIMEOUT, the limit for one conversion. Default 2m.
	ConvertTimeout time.Duration

	// IssuerAbbrev is CAU_ISSUER_ABBREV, the issuing authority's abbreviation
	// in document symbols ("12/BB-UBND"). Default "UBND".
	IssuerAbbrev string
	// IssuerName is CAU_ISSUER_NAME, the issuing unit in capitals at the top
	// left of minutes and notices; "|" breaks the line. Default
	// "ỦY BAN NHÂN DÂN|TỈNH LÂM ĐỒNG".
	IssuerName string
	// DocumentPlace is CAU_DOCUMENT_PLACE, the place of the date line
	// ("Lâm Đồng, ngày …"). Default "Lâm Đồng".
	DocumentPlace string
	// SignP12File and SignP12Password are CAU_SIGN_P12_FILE and
	// CAU_SIGN_P12_PASSWORD: the unit's certificate (PKCS #12) that signs
	// approved minutes and notices. Empty: PDFs are not signed.
	SignP12File     string
	SignP12Password string
	// TaskReminderDays is CAU_TASK_REMINDER_DAYS, comma-separated days before
	// a deadline that remind the unit (the day itself always does). Default "3,1".
	TaskReminderDays []string
	// TaskEscalateAfterDays is CAU_TASK_ESCALATE_AFTER_DAYS, days past the
	// deadline before the assigner is told. Default 0 (the first overdue day).
	TaskEscalateAfterDays int

	// DemoPassword is CAU_DEMO_PASSWORD, used by `cau seed --demo`. Default "cau-demo".
	DemoPassword string

	// RTCUDPPort is CAU_RTC_UDP_PORT, the one UDP port all WebRTC media uses. Default 8443.
	RTCUDPPort int
	// RTCBatchIO is CAU_RTC_BATCH_IO: read media in batches of datagrams
	// per system call (recvmmsg). Default true; false is for comparing
	// (docs/performance.md).
	RTCBatchIO bool
	// RTCFanoutPass is CAU_RTC_FANOUT_PASS: a publisher's reader writes
	// each packet to every idle subscriber in one pass, batched into
	// sendmmsg, instead of queueing it to each subscriber's writer
	// goroutine. Default false (docs/performance.md: not better on loopback).
	RTCFanoutPass bool
	// RTCTCPPort is CAU_RTC_TCP_PORT, the ICE-TCP port for halls behind strict
	// firewalls; -1 disables it. Default 8443.
	RTCTCPPort int
	// RTCListenIPs is CAU_RTC_IPS, comma-separated addresses media binds to and
	// gathers candidates on. Default "127.0.0.1,::1"; a server sets its LAN/WAN addresses.
	RTCListenIPs []string
	// RTCNATIPs is CAU_RTC_NAT_IPS, public addresses advertised instead (NAT 1:1).
	RTCNATIPs []string
	// ICEServers is CAU_ICE_SERVERS, STUN/TURN URLs handed to browsers,
	// comma-separated. Default none: nothing outside the province network
	// is contacted.
	ICEServers []string
	// TURNSecret is CAU_TURN_SECRET, the shared secret of the TURN server
	// (coturn's use-auth-secret / static-auth-secret): each participant gets
	// its own credentials valid for CAU_TURN_CREDENTIAL_TTL (default 8h).
	TURNSecret        string
	TURNCredentialTTL time.Duration
	// TURNUsername and TURNPassword are CAU_TURN_USERNAME and
	// CAU_TURN_PASSWORD: one static credential handed to everyone, for a
	// TURN server without the REST secret. Prefer CAU_TURN_SECRET.
	TURNUsername string
	TURNPassword string

	// SMTPAddr is CAU_SMTP_ADDR (host:port); empty disables e-mail (in-app notices only).
	SMTPAddr string
	// SMTPFrom is CAU_SMTP_FROM. Default "Cầu <no-reply@localhost>".
	SMTPFrom     string
	SMTPUsername string // CAU_SMTP_USERNAME
	SMTPPassword string // CAU_SMTP_PASSWORD

	// WorkerConcurrency is CAU_WORKER_CONCURRENCY, asynq handlers run at once. Default 4.
	WorkerConcurrency int
	// RunWorker is CAU_RUN_WORKER: whether `serve` also runs the background
	// worker in-process. Default true.
	RunWorker bool

	// LogLevel is CAU_LOG_LEVEL (debug, info, warn, error). Default info.
	LogLevel string
	// LogFormat is CAU_LOG_FORMAT (text or json). Default text in development, json in production.
	LogFormat string
	// PprofAddr is CAU_PPROF_ADDR: when set (e.g. 127.0.0.1:6060), Go's
	// profiler is served there for measurements; never on a public address.
	PprofAddr string
	// ShutdownTimeout is CAU_SHUTDOWN_TIMEOUT, how long draining may take. Default 20s.
	ShutdownTimeout time.Duration
}

// TrustedProxyPrefixes returns CAU_TRUSTED_PROXIES parsed (Validate has
// checked them; an unparsable entry is skipped).
func (c Config) TrustedProxyPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range c.TrustedProxies {
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
		Env:                      EnvDevelopment,
		HTTPAddr:                 ":8080",
		PublicURL:                "http://localhost:8080",
		DatabaseURL:              "postgres://postgres@127.0.0.1:5432/cau?sslmode=disable",
		RedisURL:                 "redis://127.0.0.1:6379/0",
		DataDir:                  "./var",
		AccessTTL:                15 * time.Minute,
		RefreshTTL:               30 * 24 * time.Hour,
		RoomTokenTTL:             4 * time.Hour,
		LoginMaxFailures:         5,
		LoginLockDuration:        15 * time.Minute,
		LoginPerIPPerMinute:      30,
		LoginPerAccountPerMinute: 10,
		LoginHashSlots:           max(1, runtime.NumCPU()/2),
		LoginHashWait:            10 * time.Second,
		MaxBodyBytes:             1 << 20,
		MaxUploadBytes:           100 << 20,
		SofficePath:              "soffice",
		ConvertTimeout:           2 * time.Minute,
		IssuerAbbrev:             "UBND",
		IssuerName:               "ỦY BAN NHÂN DÂN|TỈNH LÂM ĐỒNG",
		DocumentPlace:            "Lâm Đồng",
		TaskReminderDays:         []string{"3", "1"},
		DemoPassword:             DefaultDemoPassword,
		RTCUDPPort:               8443,
		RTCTCPPort:               8443,
		RTCListenIPs:             []string{"127.0.0.1", "::1"},
		SMTPFrom:                 "Cầu <no-reply@localhost>",
		WorkerConcurrency:        4,
		RunWorker:                true,
		RTCBatchIO:               true,
		LogLevel:                 "info",
		ShutdownTimeout:          20 * time.Second,
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
	str("CAU_HTTP_ADDR", &c.HTTPAddr)
	str("CAU_PUBLIC_URL", &c.PublicURL)
	str("CAU_TLS_CERT_FILE", &c.TLSCertFile)
	str("CAU_TLS_KEY_FILE", &c.TLSKeyFile)
	str("CAU_METRICS_ADDR", &c.MetricsAddr)
	str("CAU_METRICS_TOKEN", &c.MetricsToken)
	str("DATABASE_URL", &c.DatabaseURL)
	str("REDIS_URL", &c.RedisURL)
	str("CAU_DATA_DIR", &c.DataDir)
	str("CAU_ACCESS_KEY_FILE", &c.AccessKeyFile)
	str("CAU_ROOM_KEY_FILE", &c.RoomKeyFile)
	dur("CAU_ACCESS_TTL", &c.AccessTTL)
	dur("CAU_REFRESH_TTL", &c.RefreshTTL)
	dur("CAU_ROOM_TOKEN_TTL", &c.RoomTokenTTL)
	num("CAU_LOGIN_MAX_FAILURES", &c.LoginMaxFailures)
	dur("CAU_LOGIN_LOCK_DURATION", &c.LoginLockDuration)
	num("CAU_LOGIN_PER_IP_PER_MINUTE", &c.LoginPerIPPerMinute)
	num("CAU_LOGIN_PER_ACCOUNT_PER_MINUTE", &c.LoginPerAccountPerMinute)
	num("CAU_LOGIN_HASH_SLOTS", &c.LoginHashSlots)
	dur("CAU_LOGIN_HASH_WAIT", &c.LoginHashWait)
	list("CAU_TRUSTED_PROXIES", &c.TrustedProxies)
	num64("CAU_MAX_BODY_BYTES", &c.MaxBodyBytes)
	num64("CAU_MAX_UPLOAD_BYTES", &c.MaxUploadBytes)
	str("CAU_DOCUMENT_KEYS_FILE", &c.DocumentKeysFile)
	str("CAU_BACKUP_KEY_FILE", &c.BackupKeyFile)
	str("CAU_SOFFICE", &c.SofficePath)
	dur("CAU_CONVERT_TIMEOUT", &c.ConvertTimeout)
	str("CAU_ISSUER_ABBREV", &c.IssuerAbbrev)
	str("CAU_ISSUER_NAME", &c.IssuerName)
	str("CAU_DOCUMENT_PLACE", &c.DocumentPlace)
	str("CAU_SIGN_P12_FILE", &c.SignP12File)
	c.SignP12Password = getenv("CAU_SIGN_P12_PASSWORD")
	list("CAU_TASK_REMINDER_DAYS", &c.TaskReminderDays)
	num("CAU_TASK_ESCALATE_AFTER_DAYS", &c.TaskEscalateAfterDays)
	str("CAU_DEMO_PASSWORD", &c.DemoPassword)
	num("CAU_RTC_UDP_PORT", &c.RTCUDPPort)
	num("CAU_RTC_TCP_PORT", &c.RTCTCPPort)
	list("CAU_RTC_IPS", &c.RTCListenIPs)
	list("CAU_RTC_NAT_IPS", &c.RTCNATIPs)
	list("CAU_ICE_SERVERS", &c.ICEServers)
	str("CAU_TURN_SECRET", &c.TURNSecret)
	dur("CAU_TURN_CREDENTIAL_TTL", &c.TURNCredentialTTL)
	str("CAU_TURN_USERNAME", &c.TURNUsername)
	str("CAU_TURN_PASSWORD", &c.TURNPassword)
	str("CAU_SMTP_ADDR", &c.SMTPAddr)
	str("CAU_SMTP_FROM", &c.SMTPFrom)
	str("CAU_SMTP_USERNAME", &c.SMTPUsername)
	str("CAU_SMTP_PASSWORD", &c.SMTPPassword)
	num("CAU_WORKER_CONCURRENCY", &c.WorkerConcurrency)
	boolean("CAU_RUN_WORKER", &c.RunWorker)
	boolean("CAU_RTC_BATCH_IO", &c.RTCBatchIO)
	boolean("CAU_RTC_FANOUT_PASS", &c.RTCFanoutPass)
	str("CAU_LOG_LEVEL", &c.LogLevel)
	str("CAU_LOG_FORMAT", &c.LogFormat)
	dur("CAU_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	str("CAU_PPROF_ADDR", &c.PprofAddr)

	if c.AccessKeyFile == "" {
		c.AccessKeyFile = filepath.Join(c.DataDir, "keys", "access.pem")
	}
	if c.RoomKeyFile == "" {
		c.RoomKeyFile = filepath.Join(c.DataDir, "keys", "room.pem")
	}
	if c.DocumentKeysFile == "" {
		c.DocumentKeysFile = filepath.Join(c.DataDir, "keys", "documents.keys")
	}
	if c.LogFormat == "" {
		c.LogFormat = "text"
		if c.Env == EnvProduction {
			c.LogFormat = "json"
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	return c, c.Validate()
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
	if c.TURNSecret != "" && c.TURNUsername != "" {
		bad("CAU_TURN_SECRET and CAU_TURN_USERNAME: set one (per-participant credentials from the secret, or one static credential)")
	}
	if c.TURNCredentialTTL < 0 {
		bad("CAU_TURN_CREDENTIAL_TTL: negative")
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		bad("CAU_TLS_CERT_FILE and CAU_TLS_KEY_FILE: set both (HTTPS) or neither (plain HTTP behind a proxy)")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("CAU_METRICS_ADDR: %q is not host:port (e.g. 127.0.0.1:9090)", c.MetricsAddr)
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		bad("CAU_METRICS_TOKEN: at least 16 characters")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("CAU_HTTP_ADDR: %q is not host:port (e.g. :8080)", c.HTTPAddr)
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("CAU_PUBLIC_URL: %q is not an http(s) URL", c.PublicURL)
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
	if c.AccessTTL < time.Minute || c.AccessTTL > 24*time.Hour {
		bad("CAU_ACCESS_TTL: %s must be between 1m and 24h", c.AccessTTL)
	}
	if c.RefreshTTL < c.AccessTTL {
		bad("CAU_REFRESH_TTL: %s must be longer than CAU_ACCESS_TTL", c.RefreshTTL)
	}
	if c.RoomTokenTTL < time.Minute {
		bad("CAU_ROOM_TOKEN_TTL: %s must be at least 1m", c.RoomTokenTTL)
	}
	if c.LoginMaxFailures < 1 {
		bad("CAU_LOGIN_MAX_FAILURES: must be at least 1")
	}
	if c.LoginLockDuration < time.Second {
		bad("CAU_LOGIN_LOCK_DURATION: must be at least 1s")
	}
	if c.LoginPerIPPerMinute < 1 || c.LoginPerAccountPerMinute < 1 {
		bad("CAU_LOGIN_PER_IP_PER_MINUTE and CAU_LOGIN_PER_ACCOUNT_PER_MINUTE: must be at least 1")
	}
	if c.LoginHashSlots < 1 || c.LoginHashSlots > 256 {
		bad("CAU_LOGIN_HASH_SLOTS: %d is not 1–256", c.LoginHashSlots)
	}
	if c.LoginHashWait < 100*time.Millisecond || c.LoginHashWait > time.Minute {
		bad("CAU_LOGIN_HASH_WAIT: %s is not 100ms–1m", c.LoginHashWait)
	}
	for _, p := range c.TrustedProxies {
		if _, err := parsePrefix(p); err != nil {
			bad("CAU_TRUSTED_PROXIES: %q is not a CIDR or an address", p)
		}
	}
	if c.MaxBodyBytes < 1024 {
		bad("CAU_MAX_BODY_BYTES: %d is below 1024", c.MaxBodyBytes)
	}
	if c.MaxUploadBytes < 1024 {
		bad("CAU_MAX_UPLOAD_BYTES: %d is below 1024", c.MaxUploadBytes)
	}
	if c.ConvertTimeout < time.Second {
		bad("CAU_CONVERT_TIMEOUT: %s must be at least 1s", c.ConvertTimeout)
	}
	if c.SofficePath == "" {
		bad("CAU_SOFFICE: must not be empty")
	}
	for _, d := range c.TaskReminderDays {
		if n, err := strconv.Atoi(d); err != nil || n < 1 || n > 60 {
			bad("CAU_TASK_REMINDER_DAYS: %q is not a number of days from 1 to 60", d)
		}
	}
	if c.TaskEscalateAfterDays < 0 || c.TaskEscalateAfterDays > 60 {
		bad("CAU_TASK_ESCALATE_AFTER_DAYS: %d is not 0–60", c.TaskEscalateAfterDays)
	}
	if c.RTCUDPPort < 0 || c.RTCUDPPort > 65535 {
		bad("CAU_RTC_UDP_PORT: %d is not a port", c.RTCUDPPort)
	}
	if c.RTCTCPPort < -1 || c.RTCTCPPort > 65535 {
		bad("CAU_RTC_TCP_PORT: %d is not a port (or -1 to disable)", c.RTCTCPPort)
	}
	for _, ip := range c.RTCListenIPs {
		if net.ParseIP(ip) == nil {
			bad("CAU_RTC_IPS: %q is not an IP address", ip)
		}
	}
	for _, ip := range c.RTCNATIPs {
		if net.ParseIP(ip) == nil {
			bad("CAU_RTC_NAT_IPS: %q is not an IP address", ip)
		}
	}
	for _, s := range c.ICEServers {
		if !strings.HasPrefix(s, "stun:") && !strings.HasPrefix(s, "turn:") && !strings.HasPrefix(s, "turns:") {
			bad("CAU_ICE_SERVERS: %q must start with stun:, turn: or turns:", s)
		}
	}
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			bad("CAU_SMTP_ADDR: %q is not host:port", c.SMTPAddr)
		}
	}
	if c.WorkerConcurrency < 1 {
		bad("CAU_WORKER_CONCURRENCY: must be at least 1")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("CAU_LOG_LEVEL: %q must be debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("CAU_LOG_FORMAT: %q must be text or json", c.LogFormat)
	}
	if c.PprofAddr != "" {
		if host, _, err := net.SplitHostPort(c.PprofAddr); err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
			bad("CAU_PPROF_ADDR: %q must be a loopback host:port", c.PprofAddr)
		}
	}
	if c.ShutdownTimeout <= 0 {
		bad("CAU_SHUTDOWN_TIMEOUT: must be positive")
	}
	if c.Production() {
		if _, err := os.Stat(c.DocumentKeysFile); err != nil {
			bad("CAU_DOCUMENT_KEYS_FILE: %s must exist in production (mode 0600, one line keyid:base64 of 32 random bytes, e.g. "+
				"printf 'k1:%%s\\n' \"$(head -c32 /dev/urandom | base64)\"): %v", c.DocumentKeysFile, err)
		}
		for name, path := range map[string]string{"CAU_ACCESS_KEY_FILE": c.AccessKeyFile, "CAU_ROOM_KEY_FILE": c.RoomKeyFile} {
			if _, err := os.Stat(path); err != nil {
				bad("%s: %s must exist in production (generate it with `cau keys`): %v", name, path, err)
			}
		}
	}
	return errors.Join(errs...)
}
