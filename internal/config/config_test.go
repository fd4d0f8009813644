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
	if c.HTTPAddr != ":8080" || c.AccessTTL != 15*time.Minute || c.Env != EnvDevelopment {
		t.Fatalf("unexpected defaults: addr %q ttl %s env %q", c.HTTPAddr, c.AccessTTL, c.Env)
	}
	if !strings.HasSuffix(c.AccessKeyFile, "keys/access.pem") {
		t.Fatalf("access key default %q", c.AccessKeyFile)
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
		{map[string]string{"CAU_LOGIN_MAX_FAILURES": "0"}, "CAU_LOGIN_MAX_FAILURES"},
		{map[string]string{"CAU_RTC_IPS": "127.0.0.1,not-an-ip"}, "CAU_RTC_IPS"},
		{map[string]string{"CAU_ICE_SERVERS": "stun.example:3478"}, "CAU_ICE_SERVERS"},
		{map[string]string{"CAU_RTC_UDP_PORT": "70000"}, "CAU_RTC_UDP_PORT"},
		{map[string]string{"CAU_RUN_WORKER": "maybe"}, "CAU_RUN_WORKER"},
		{map[string]string{"CAU_RTC_BATCH_IO": "sometimes"}, "CAU_RTC_BATCH_IO"},
		{map[string]string{"CAU_RTC_FANOUT_PASS": "sometimes"}, "CAU_RTC_FANOUT_PASS"},
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
