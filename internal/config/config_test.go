package config

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadDefaults(t *testing.T) {
	c, err := Load(func(string) string { return "" })
	if err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.HTTP.Addr != ":8080" || c.Tokens.AccessTTL != 15*time.Minute || c.Env != EnvDevelopment {
		t.Fatalf("unexpected defaults: addr %q ttl %s env %q", c.HTTP.Addr, c.Tokens.AccessTTL, c.Env)
	}
	if !strings.HasSuffix(c.Tokens.AccessKeyFile, "keys/access.pem") {
		t.Fatalf("access key default %q", c.Tokens.AccessKeyFile)
	}
	if c.RTC.PionRTCP {
		t.Fatal("RTC: PionRTCP by default, want the fast RTCP read path (CAU_RTC_FAST_RTCP=true)")
	}
	if c.RTC.PionReceive {
		t.Fatal("RTC: PionReceive by default, want the fast receive path (CAU_RTC_FAST_RECEIVE=true)")
	}
	if c.RTC.QueuedWrites {
		t.Fatal("RTC: QueuedWrites by default, want the fan-out pass (CAU_RTC_FANOUT_PASS=true)")
	}
}

func TestLoadNamesTheBadVariable(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CAU_HTTP_ADDR": "8080"}, "CAU_HTTP_ADDR"},
		{map[string]string{"CAU_ENV": "prod"}, "CAU_ENV"},
		{map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{map[string]string{"REDIS_URL": "http://x"}, "REDIS_URL"},
		{map[string]string{"CAU_ACCESS_TTL": "forever"}, "CAU_ACCESS_TTL"},
		{map[string]string{"CAU_ACCESS_TTL": "10s"}, "CAU_ACCESS_TTL"},
		{map[string]string{"CAU_IDLE_TIMEOUT": "1s"}, "CAU_IDLE_TIMEOUT"},
		{map[string]string{"CAU_IDLE_TIMEOUT": "-5m"}, "CAU_IDLE_TIMEOUT"},
		{map[string]string{"CAU_SESSION_MAX_AGE": "10m", "CAU_IDLE_TIMEOUT": "1h"}, "CAU_SESSION_MAX_AGE"},
		{map[string]string{"CAU_SESSION_MAX_AGE": "19s", "CAU_IDLE_TIMEOUT": "0s"}, "CAU_SESSION_MAX_AGE"},
		{map[string]string{"CAU_LOGIN_MAX_FAILURES": "0"}, "CAU_LOGIN_MAX_FAILURES"},
		{map[string]string{"CAU_RTC_IPS": "127.0.0.1,not-an-ip"}, "CAU_RTC_IPS"},
		{map[string]string{"CAU_ICE_SERVERS": "stun.example:3478"}, "CAU_ICE_SERVERS"},
		{map[string]string{"CAU_RTC_UDP_PORT": "70000"}, "CAU_RTC_UDP_PORT"},
		{map[string]string{"CAU_RUN_WORKER": "maybe"}, "CAU_RUN_WORKER"},
		{map[string]string{"CAU_RTC_BATCH_IO": "sometimes"}, "CAU_RTC_BATCH_IO"},
		{map[string]string{"CAU_RTC_FANOUT_PASS": "sometimes"}, "CAU_RTC_FANOUT_PASS"},
		{map[string]string{"CAU_RTC_FAST_RTCP": "sometimes"}, "CAU_RTC_FAST_RTCP"},
		{map[string]string{"CAU_RTC_FAST_RECEIVE": "sometimes"}, "CAU_RTC_FAST_RECEIVE"},
		{map[string]string{"CAU_RTC_PAUSE_AFTER": "-1s"}, "CAU_RTC_PAUSE_AFTER"},
		{map[string]string{"CAU_RTC_PAUSE_AFTER": "soon"}, "CAU_RTC_PAUSE_AFTER"},
		{map[string]string{"CAU_RTC_PAUSE_AFTER": "3"}, "CAU_RTC_PAUSE_AFTER"},
		// A parent needs a node of a cluster, a name, and another node.
		{map[string]string{"CAU_NODE_PARENT": "district-1"}, "CAU_NODE_PARENT"},
		{map[string]string{"CAU_NODE_ID": "commune-1", "CAU_NODE_PARENT": "district 1!"}, "CAU_NODE_PARENT"},
		{map[string]string{"CAU_NODE_ID": "commune-1", "CAU_NODE_PARENT": "commune-1"}, "CAU_NODE_PARENT"},
		{map[string]string{"CAU_RECORDING_RETENTION_DAYS": "0"}, "CAU_RECORDING_RETENTION_DAYS"},
		{map[string]string{"CAU_RECORDING_RETENTION_DAYS": "5y"}, "CAU_RECORDING_RETENTION_DAYS"},
		{map[string]string{"CAU_ENV": "production", "CAU_ACCESS_KEY_FILE": "/nonexistent/a.pem"}, "CAU_ACCESS_KEY_FILE"},
	}
	for _, tc := range cases {
		_, err := Load(func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: error %v, want one naming %s", tc.env, err, tc.want)
		}
	}
}

// TestEnvExampleNamesEveryVariable: deploy/cau.env.example, the file an
// operator copies, names every variable Load reads (commented out is fine:
// the default then applies).
func TestEnvExampleNamesEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../deploy/cau.env.example")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#"))
		if name, _, ok := strings.Cut(line, "="); ok && name != "" && !strings.ContainsAny(name, " \t") {
			named[name] = true
		}
	}
	read := map[string]bool{}
	if _, err := Load(func(name string) string { read[name] = true; return "" }); err != nil {
		t.Logf("defaults alone: %v", err) // some variables are required outside development
	}
	if len(read) < 20 {
		t.Fatalf("Load read only %d variables: is the recorder wired?", len(read))
	}
	for _, name := range slices.Sorted(maps.Keys(read)) {
		if !named[name] {
			t.Errorf("deploy/cau.env.example does not name %s", name)
		}
	}
}

// TestLoadGroupsBySubsystem: each variable lands in its subsystem's group,
// in the shape the package that takes the group reads.
func TestLoadGroupsBySubsystem(t *testing.T) {
	env := map[string]string{
		"CAU_ICE_SERVERS":              "stun:stun.example:3478,turn:turn.example:3478",
		"CAU_TURN_SECRET":              "s3cret",
		"CAU_RTC_BATCH_IO":             "false",
		"CAU_RTC_FAST_RTCP":            "false",
		"CAU_RTC_FAST_RECEIVE":         "false",
		"CAU_TASK_REMINDER_DAYS":       "7, 2",
		"CAU_SMTP_ADDR":                "mail.example:587",
		"CAU_SOFFICE":                  "/opt/lo/soffice",
		"CAU_IDLE_TIMEOUT":             "45m",
		"CAU_RECORDING_RETENTION_DAYS": "3650",
	}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.RTC.ICEServers); n != 2 {
		t.Fatalf("%d ICE servers, want 2", n)
	}
	if stun := c.RTC.ICEServers[0]; stun.Secret != "" || stun.Username != "" {
		t.Errorf("the STUN server got TURN credentials: %+v", stun)
	}
	if turn := c.RTC.ICEServers[1]; turn.Secret != "s3cret" || turn.URLs[0] != "turn:turn.example:3478" {
		t.Errorf("the TURN server is %+v, want the secret", turn)
	}
	if !c.RTC.NoBatchIO || c.RTC.UDPPort != 8443 || !c.RTC.PionRTCP || !c.RTC.PionReceive {
		t.Errorf("RTC: NoBatchIO %v UDPPort %d PionRTCP %v PionReceive %v, want true, the default 8443, true (CAU_RTC_FAST_RTCP=false) and true (CAU_RTC_FAST_RECEIVE=false)",
			c.RTC.NoBatchIO, c.RTC.UDPPort, c.RTC.PionRTCP, c.RTC.PionReceive)
	}
	if !slices.Equal(c.TaskNotices.ReminderDays, []int{7, 2}) {
		t.Errorf("reminder days %v, want [7 2]", c.TaskNotices.ReminderDays)
	}
	if c.SMTP.Addr != "mail.example:587" || c.SMTP.From != "Cầu <no-reply@localhost>" {
		t.Errorf("SMTP %+v", c.SMTP)
	}
	if c.Login.Session.Idle != 45*time.Minute || c.Login.Session.MaxAge != 12*time.Hour {
		t.Errorf("sign-in limits %+v, want 45m idle and the default 12h", c.Login.Session)
	}
	if c.Recording.Retention() != 3650*24*time.Hour || c.Recording.FFmpeg != "ffmpeg" {
		t.Errorf("recording %+v, want 3650 days and the default ffmpeg", c.Recording)
	}
	if c.Documents.Convert.Binary != "/opt/lo/soffice" || c.Documents.Convert.Timeout != 2*time.Minute {
		t.Errorf("conversion %+v", c.Documents.Convert)
	}

	for name, v := range map[string]string{"CAU_TASK_REMINDER_DAYS": "3,x", "CAU_TURN_USERNAME": "u"} {
		env := map[string]string{"CAU_TURN_SECRET": "s", name: v}
		if _, err := Load(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: error %v, want one naming it", name, v, err)
		}
	}
}

// TestLoadPauseAfter: CAU_RTC_PAUSE_AFTER reaches sfu.Config.PauseAfter,
// its 0 as sfu's off (negative: sfu's zero is its own default, 3s).
func TestLoadPauseAfter(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want time.Duration
	}{
		{"", 3 * time.Second},
		{"10s", 10 * time.Second},
		{"500ms", 500 * time.Millisecond},
		{"0", -1},
		{"0s", -1},
	} {
		c, err := Load(func(k string) string {
			if k == "CAU_RTC_PAUSE_AFTER" {
				return tc.env
			}
			return ""
		})
		if err != nil {
			t.Fatalf("CAU_RTC_PAUSE_AFTER=%q: %v", tc.env, err)
		}
		if c.RTC.PauseAfter != tc.want {
			t.Errorf("CAU_RTC_PAUSE_AFTER=%q: PauseAfter %v, want %v", tc.env, c.RTC.PauseAfter, tc.want)
		}
	}
}
