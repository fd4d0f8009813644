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
//
// Files: config.go (Config and its defaults), groups.go (the groups
// declared here), load.go (the environment read), validate.go (the checks),
// node.go (a node of a cluster), oidc.go (single sign-on).
package config

import (
	"runtime"
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
	//   - QueuedWrites is CAU_RTC_FANOUT_PASS=false: queue each packet to
	//     every subscriber's writer goroutine instead of the publisher's
	//     reader writing it to every idle subscriber in one pass, batched
	//     into sendmmsg. Default CAU_RTC_FANOUT_PASS=true (20–30 % less CPU
	//     per forwarded packet, docs/performance.md); false is for comparing.
	//   - PionWrites is CAU_RTC_PION_WRITES: send media through pion's
	//     interceptors and SRTP session instead of the SFU's fast write
	//     path. Default false; true is for comparing (docs/performance.md).
	//   - PionRTCP is CAU_RTC_FAST_RTCP=false: read subscribers' RTCP
	//     through pion instead of on the media socket's read loop. Default
	//     CAU_RTC_FAST_RTCP=true; false is for comparing (docs/performance.md).
	//   - PionReceive is CAU_RTC_FAST_RECEIVE=false: read publishers' RTP
	//     through pion's SRTP session and the layers' reader goroutines
	//     instead of on the media socket's read loop. Default
	//     CAU_RTC_FAST_RECEIVE=true; false is for comparing (docs/performance.md).
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

// Production reports whether CAU_ENV is production.
func (c Config) Production() bool { return c.Env == EnvProduction }
