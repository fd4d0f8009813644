package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// prepare signs the admin in (once, before the storm), creates a published
// province-wide meeting with every active hall and the demo delegates, and
// returns the accounts of the storm: daibieu1…20, then the hall operators.
func (r *startRun) prepare(ctx context.Context) ([]*startClient, error) {
	var admin struct {
		AccessToken string `json:"access_token"`
	}
	if err := r.call(ctx, "POST", "/auth/login", "", map[string]string{"username": r.o.Admin, "password": r.o.Password}, &admin); err != nil {
		return nil, fmt.Errorf("sign in as %s (run `cau seed --demo` first): %w", r.o.Admin, err)
	}
	tok := admin.AccessToken
	var hs struct {
		Halls []struct {
			ID   int64  `json:"id"`
			Code string `json:"code"`
		} `json:"halls"`
	}
	if err := r.call(ctx, "GET", "/halls?active=true", tok, nil, &hs); err != nil {
		return nil, fmt.Errorf("list halls: %w", err)
	}
	sort.Slice(hs.Halls, func(i, j int) bool { return hs.Halls[i].ID < hs.Halls[j].ID })
	type user struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	var us struct {
		Users []user `json:"users"`
	}
	ids := map[string]int64{}
	for _, q := range []string{"role=delegate&limit=1000", "q=chutri", "q=thuky"} {
		if err := r.call(ctx, "GET", "/users?"+q, tok, nil, &us); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for _, u := range us.Users {
			ids[u.Username] = u.ID
		}
	}
	chair, secretary := ids["chutri"], ids["thuky"]
	if chair == 0 || secretary == 0 {
		return nil, fmt.Errorf("the demo accounts chutri and thuky are missing (run `cau seed --demo`)")
	}
	now := time.Now()
	var m struct {
		ID int64 `json:"id"`
	}
	in := map[string]any{"kind": "province_online", "title": fmt.Sprintf("Phiên toàn tỉnh (loadtest %s)", now.Format("15:04:05")),
		"place": "Hội trường UBND tỉnh", "starts_at": now.Add(10 * time.Minute), "ends_at": now.Add(3 * time.Hour),
		"chair_id": chair, "secretary_id": secretary}
	if err := r.call(ctx, "POST", "/meetings", tok, in, &m); err != nil {
		return nil, fmt.Errorf("create meeting: %w", err)
	}
	r.meetID = m.ID
	var hallIDs []int64
	for _, h := range hs.Halls {
		hallIDs = append(hallIDs, h.ID)
	}
	if err := r.call(ctx, "POST", fmt.Sprintf("/meetings/%d/halls", m.ID), tok, map[string]any{"hall_ids": hallIDs}, nil); err != nil {
		return nil, fmt.Errorf("invite halls: %w", err)
	}
	var clients []*startClient
	for i := 1; len(clients) < r.o.Accounts; i++ {
		name := fmt.Sprintf("daibieu%d", i)
		id, ok := ids[name]
		if !ok {
			break
		}
		if err := r.call(ctx, "PUT", fmt.Sprintf("/meetings/%d/participants/%d", m.ID, id), tok, map[string]any{"role": "delegate"}, nil); err != nil {
			return nil, fmt.Errorf("invite %s: %w", name, err)
		}
		clients = append(clients, &startClient{username: name})
	}
	for _, h := range hs.Halls {
		if len(clients) >= r.o.Accounts {
			break
		}
		name := "ktv." + h.Code
		if len(name) > 64 {
			name = name[:64]
		}
		clients = append(clients, &startClient{username: name, hallID: h.ID})
	}
	if len(clients) < r.o.Accounts {
		return nil, fmt.Errorf("%d accounts asked, the demo province has %d (delegates and hall operators)", r.o.Accounts, len(clients))
	}
	if err := r.call(ctx, "POST", fmt.Sprintf("/meetings/%d/publish", m.ID), tok, nil, nil); err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	return clients, nil
}

// scrapeValues reads every unlabelled sample of the server's /metrics.
func scrapeValues(ctx context.Context, base string) map[string]float64 {
	out := map[string]float64{}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(base, "/")+"/metrics", nil)
	if err != nil {
		return out
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = v
		}
	}
	return out
}

// WriteJSON writes the report to path.
func (r *StartReport) WriteJSON(path string) error {
	out := struct {
		*StartReport
		Bars []Bar `json:"bars"`
	}{r, r.Bars()}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteTable prints the report for people.
func (r *StartReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "start scenario: %d accounts, meeting %d, %s\n", r.Accounts, r.MeetingID, r.Machine)
	fmt.Fprintf(w, "server idle RSS %.0f MiB\n\n", r.ServerIdleRSS)
	fmt.Fprintf(w, "%-10s %7s %5s %7s %8s %8s %8s %8s %8s %9s %9s %6s %9s %9s  %s\n", "phase", "clients", "ok", "retries",
		"p50 ms", "p95 ms", "p99 ms", "max ms", "wall ms", "peak MiB", "+idle MiB", "cores", "db wait", "hash wait", "errors")
	for _, p := range []struct {
		name string
		ph   StartPhase
	}{{"sign-in", r.SignIn}, {"refresh", r.Refresh}, {"join", r.Join}, {"reconnect", r.Reconnect}} {
		fmt.Fprintf(w, "%-10s %7d %5d %7d %8.0f %8.0f %8.0f %8.0f %8.0f %9.0f %9.0f %6.2f %7.0fms %7.0fms  %v\n", p.name, p.ph.Clients, p.ph.OK,
			p.ph.Retries, p.ph.P50Ms, p.ph.P95Ms, p.ph.P99Ms, p.ph.MaxMs, p.ph.WallMs, p.ph.ServerPeakRSSMiB, p.ph.ServerRSSOverIdle,
			p.ph.ServerCPUCores, p.ph.DBPoolWaitMs, p.ph.HashWaitMs, p.ph.Errors)
	}
	keys := make([]string, 0, len(r.JoinSteps))
	for k := range r.JoinSteps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := r.JoinSteps[k]
		fmt.Fprintf(w, "  join step %-8s p50 %6.0f ms  p99 %6.0f ms  max %6.0f ms\n", k, s.P50Ms, s.P99Ms, s.MaxMs)
	}
	if c := r.InCall; c != nil {
		fmt.Fprintf(w, "\n%d halls in a call: forward delay p99 %.1f ms quiet, %.1f ms during the storm (×%.2f)\n",
			c.Halls, c.QuietDelayP99, c.StormDelayP99, c.Ratio)
	}
	fmt.Fprintln(w)
	for _, b := range r.Bars() {
		verdict := "PASS"
		if !b.OK {
			verdict = "FAIL"
		}
		fmt.Fprintf(w, "%s  %s\n", verdict, b.Bar)
	}
	return nil
}

// Bar is one of issue 17's bars and whether this run met it.
type Bar struct {
	Bar string `json:"bar"`
	OK  bool   `json:"ok"`
}

// Bars are the start scenario's acceptance bars (issue 17) against this run.
func (r *StartReport) Bars() []Bar {
	bars := []Bar{
		{fmt.Sprintf("all %d sign-ins succeed (%d did)", r.SignIn.Clients, r.SignIn.OK), r.SignIn.OK == r.SignIn.Clients && r.SignIn.Clients > 0},
		{fmt.Sprintf("sign-in p99 %.0f ms < 15000 ms", r.SignIn.P99Ms), r.SignIn.OK > 0 && r.SignIn.P99Ms < 15000},
		{fmt.Sprintf("server peak RSS +%.0f MiB over idle < 400 MiB", r.SignIn.ServerRSSOverIdle), r.ServerIdleRSS > 0 && r.SignIn.ServerRSSOverIdle < 400},
		{fmt.Sprintf("joins + sockets + session reads: %d of %d, p99 %.0f ms < 2000 ms", r.Join.OK, r.Join.Clients, r.Join.P99Ms),
			r.Join.OK == r.Join.Clients && r.Join.Clients > 0 && r.Join.P99Ms < 2000},
		{fmt.Sprintf("%d halls reconnecting: %d back, all within %.0f ms < 10000 ms", r.Reconnect.Clients, r.Reconnect.OK, r.Reconnect.WallMs),
			r.Reconnect.OK == r.Reconnect.Clients && r.Reconnect.Clients > 0 && r.Reconnect.WallMs < 10000},
	}
	if c := r.InCall; c != nil {
		bars = append(bars, Bar{fmt.Sprintf("forward delay p99 during the storm ×%.2f of quiet ≤ 2", c.Ratio), c.Ratio > 0 && c.Ratio <= 2})
	}
	return bars
}
