package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cau-gov/cau/internal/apptest"
	"github.com/cau-gov/cau/internal/config"
)

var metricName = regexp.MustCompile(`\b(cau_[a-z0-9_]+|process_[a-z0-9_]+|go_[a-z0-9_]+)\b`)

// exposed lists the metric families /metrics serves.
func exposed(t *testing.T, env *apptest.Env) map[string]string {
	t.Helper()
	resp, err := env.Client.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	types := map[string]string{}
	for _, line := range strings.Split(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
		}
	}
	return types
}

// The Grafana dashboard and the alert rules name only metrics that the
// server exports; the rules pass promtool's check and their unit tests.
func TestDashboardAndAlertsNameExistingMetrics(t *testing.T) {
	env := apptest.New(t)
	env.Do(t, "GET", "/healthz", "", nil) // an HTTP request, so the request series exist
	types := exposed(t, env)
	root := filepath.Join("..", "..", "deploy")

	var exprs []string
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, err := os.ReadFile(filepath.Join(root, "grafana", "cau.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	rules, err := os.ReadFile(filepath.Join(root, "prometheus", "cau-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(rules), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			exprs = append(exprs, line)
		}
	}
	missing := map[string]bool{}
	seen := 0
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			seen++
			if _, ok := types[name]; ok {
				continue
			}
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if types[base] == "histogram" || types[base] == "summary" {
				continue
			}
			missing[name] = true
		}
	}
	if seen < 30 {
		t.Fatalf("only %d metric names found in the dashboard and rules: is the parsing right?", seen)
	}
	if len(missing) > 0 {
		names := make([]string, 0, len(missing))
		for n := range missing {
			names = append(names, n)
		}
		sort.Strings(names)
		t.Errorf("the dashboard or the alert rules name metrics /metrics does not have: %v", names)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (deploy/local/promtool.sh, run by make test, installs it)")
	}
	dir := filepath.Join(root, "prometheus")
	for _, args := range [][]string{{"check", "rules", "cau-rules.yaml"}, {"test", "rules", "cau-rules.test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// /metrics: public in development, behind the token when one is set, on
// its own listener only when CAU_METRICS_ADDR is set, and not served on the
// main port in production without a token.
func TestMetricsAccess(t *testing.T) {
	const token = "metrics-token-0123456789"
	get := func(env *apptest.Env, auth string) int {
		req, _ := http.NewRequest("GET", env.URL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := env.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	withToken := apptest.New(t, func(c *config.Config) { c.Metrics.Token = token })
	for auth, want := range map[string]int{"": 401, "Bearer wrong-token-000000000": 401, "Bearer " + token: 200, token: 401} {
		if got := get(withToken, auth); got != want {
			t.Errorf("token set, Authorization %q: %d, want %d", auth, got, want)
		}
	}
	ownPort := apptest.New(t, func(c *config.Config) { c.Metrics.Addr = "127.0.0.1:0" })
	if got := get(ownPort, ""); got != 404 {
		t.Errorf("CAU_METRICS_ADDR set: /metrics on the main port answered %d, want 404", got)
	}
}
