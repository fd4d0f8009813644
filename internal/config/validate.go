package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

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
	// Seconds again for tests (a browser test waits a sign-in's end twice).
	if age := c.Login.Session.MaxAge; age != 0 && (age < 20*time.Second || age < c.Login.Session.Idle) {
		bad("CAU_SESSION_MAX_AGE: %s must be 0 (off) or at least 20s and at least CAU_IDLE_TIMEOUT", age)
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
