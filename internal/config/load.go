package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

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
	fanoutPass := true
	boolean("CAU_RTC_FANOUT_PASS", &fanoutPass)
	c.RTC.QueuedWrites = !fanoutPass
	boolean("CAU_RTC_PION_WRITES", &c.RTC.PionWrites)
	fastRTCP := true
	boolean("CAU_RTC_FAST_RTCP", &fastRTCP)
	c.RTC.PionRTCP = !fastRTCP
	fastReceive := true
	boolean("CAU_RTC_FAST_RECEIVE", &fastReceive)
	c.RTC.PionReceive = !fastReceive
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

// FromEnv is Load over the process environment.
func FromEnv() (Config, error) { return Load(os.Getenv) }
