package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// StartOptions describe the start scenario (issue 17): at 8:00 a province
// session starts and everyone arrives in the same minute through one NAT
// address. Accounts sign in at once, refresh their tokens at once, then every one of them joins the
// meeting, opens the live socket and reads the session; then the halls lose
// their link together and come back.
type StartOptions struct {
	// URL is the server, http://127.0.0.1:8080.
	URL string
	// Accounts is how many distinct demo accounts sign in at once (200):
	// daibieu1…daibieu20 first, then the hall operators ktv.<hall code>.
	Accounts int
	// ReconnectHalls is how many halls reconnect together after a blip (160).
	ReconnectHalls int
	// Password of the demo accounts (CAU_DEMO_PASSWORD).
	Password string
	// Admin is the account that prepares the meeting ("admin").
	Admin string
	// ServerPID is read from /proc for the server's memory and CPU (0: not measured).
	ServerPID int
}

// StartReport is what the start scenario measured.
type StartReport struct {
	Command        string            `json:"command"`
	Started        time.Time         `json:"started"`
	Machine        string            `json:"machine"`
	MeetingID      int64             `json:"meeting_id"`
	Accounts       int               `json:"accounts"`
	ServerIdleRSS  float64           `json:"server_idle_rss_mib"`
	SignIn         StartPhase        `json:"sign_in"`
	Refresh        StartPhase        `json:"refresh"`
	Join           StartPhase        `json:"join"`
	JoinSteps      map[string]Spread `json:"join_steps"`
	Reconnect      StartPhase        `json:"reconnect"`
	ReconnectHalls int               `json:"reconnect_halls"`
	InCall         *InCall           `json:"in_call,omitempty"`
}

// StartPhase is one phase: every client's time from its first request to
// its last answer, what failed by error code, and the server meanwhile.
type StartPhase struct {
	Clients int            `json:"clients"`
	OK      int            `json:"ok"`
	Errors  map[string]int `json:"errors_by_code"`
	// Retries are 503 busy answers a client waited out (Retry-After) and retried.
	Retries int `json:"retries"`
	Spread
	WallMs             float64 `json:"wall_ms"` // from the phase's start to its last answer
	ServerPeakRSSMiB   float64 `json:"server_peak_rss_mib"`
	ServerRSSOverIdle  float64 `json:"server_peak_rss_over_idle_mib"`
	ServerCPUCores     float64 `json:"server_cpu_cores"`
	DBPoolWaitMs       float64 `json:"db_pool_wait_ms"`        // waiting for a PostgreSQL connection, all requests together
	DBPoolEmptyAcquire float64 `json:"db_pool_empty_acquires"` // acquires that found no idle connection
	HashWaitMs         float64 `json:"hash_wait_ms"`           // waiting for a hashing slot, all logins together
}

// Spread are latency percentiles in milliseconds.
type Spread struct {
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// InCall compares the SFU's forward delay of halls already in a call with
// and without the storm.
type InCall struct {
	Halls         int     `json:"halls"`
	QuietDelayP99 float64 `json:"quiet_delay_ms_p99"`
	StormDelayP99 float64 `json:"storm_delay_ms_p99"`
	Ratio         float64 `json:"ratio"`
}

func spread(ds []time.Duration) Spread {
	if len(ds) == 0 {
		return Spread{}
	}
	slices.Sort(ds)
	q := func(f float64) float64 {
		i := int(f*float64(len(ds))+0.999999) - 1
		return ms(ds[max(0, min(i, len(ds)-1))])
	}
	return Spread{P50Ms: q(0.5), P95Ms: q(0.95), P99Ms: q(0.99), MaxMs: ms(ds[len(ds)-1])}
}

// startClient is one person of the storm.
type startClient struct {
	username string
	hallID   int64 // 0: joins as a person
	token    string
	refresh  string
	seq      int64
	conn     *websocket.Conn
}

// apiError is a failed call with the API's error code ("network" without an answer).
type apiError struct {
	status     int
	code       string
	retryAfter time.Duration
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.status, e.code) }

func codeOf(err error) string {
	var e *apiError
	if errors.As(err, &e) {
		return e.code
	}
	return "network"
}

type startRun struct {
	o      StartOptions
	http   *http.Client
	base   string
	idle   float64
	meetID int64
}

// RunStart prepares a published meeting with every hall and the delegates,
// then runs the three phases one after the other.
func RunStart(ctx context.Context, o StartOptions) (*StartReport, error) {
	if o.Accounts == 0 {
		o.Accounts = 200
	}
	if o.ReconnectHalls == 0 {
		o.ReconnectHalls = 160
	}
	if o.Admin == "" {
		o.Admin = "admin"
	}
	r := &startRun{o: o, base: strings.TrimRight(o.URL, "/") + "/api/v1",
		http: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}}}
	clients, err := r.prepare(ctx)
	if err != nil {
		return nil, fmt.Errorf("start scenario: prepare: %w", err)
	}
	rep := &StartReport{Started: time.Now(), Machine: machine(), MeetingID: r.meetID, Accounts: len(clients)}
	if p, err := ReadProc(o.ServerPID); err == nil {
		r.idle = float64(p.RSSBytes) / (1 << 20)
		rep.ServerIdleRSS = r.idle
	}

	// 1. Everyone signs in at once.
	rep.SignIn = r.phase(ctx, clients, func(ctx context.Context, c *startClient) (int, error) {
		return r.signIn(ctx, c)
	})
	// 2. A signed-in official stays signed in across the day, so most of a
	// session's start is refreshes, which cost no hashing: all at once too.
	var in []*startClient
	for _, c := range clients {
		if c.token != "" {
			in = append(in, c)
		}
	}
	rep.Refresh = r.phase(ctx, in, func(ctx context.Context, c *startClient) (int, error) {
		var s struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		if err := r.call(ctx, "POST", "/auth/refresh", "", map[string]string{"refresh_token": c.refresh}, &s); err != nil {
			return 0, err
		}
		c.token, c.refresh = s.AccessToken, s.RefreshToken
		return 0, nil
	})
	// 3. Everyone signed in joins, opens the live socket, reads the session.
	in = in[:0]
	for _, c := range clients {
		if c.token != "" {
			in = append(in, c)
		}
	}
	var smu sync.Mutex
	steps := map[string][]time.Duration{}
	rep.Join = r.phase(ctx, in, func(ctx context.Context, c *startClient) (int, error) {
		t, err := r.enter(ctx, c, false)
		smu.Lock()
		for k, d := range t {
			steps[k] = append(steps[k], d)
		}
		smu.Unlock()
		return 0, err
	})
	rep.JoinSteps = map[string]Spread{}
	for k, ds := range steps {
		rep.JoinSteps[k] = spread(ds)
	}
	// 4. A blip: the halls' sockets drop together and they come back.
	var halls []*startClient
	for _, c := range in {
		if c.hallID != 0 && c.conn != nil && len(halls) < o.ReconnectHalls {
			halls = append(halls, c)
		}
	}
	for _, c := range halls {
		c.conn.Close()
		c.conn = nil
	}
	rep.ReconnectHalls = len(halls)
	rep.Reconnect = r.phase(ctx, halls, func(ctx context.Context, c *startClient) (int, error) {
		_, err := r.enter(ctx, c, true)
		return 0, err
	})
	for _, c := range clients {
		if c.conn != nil {
			c.conn.Close()
		}
	}
	return rep, nil
}

// phase runs f for every client at once and measures it.
func (r *startRun) phase(ctx context.Context, clients []*startClient, f func(context.Context, *startClient) (retries int, err error)) StartPhase {
	ph := StartPhase{Clients: len(clients), Errors: map[string]int{}}
	m0 := scrapeValues(ctx, r.o.URL)
	p0, perr := ReadProc(r.o.ServerPID)
	peak := p0.RSSBytes
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if p, err := ReadProc(r.o.ServerPID); err == nil {
					peak = max(peak, p.RSSBytes)
				}
			}
		}
	}()
	var mu sync.Mutex
	var took []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			retries, err := f(ctx, c)
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			ph.Retries += retries
			if err != nil {
				ph.Errors[codeOf(err)]++
				return
			}
			ph.OK++
			took = append(took, d)
		}()
	}
	wg.Wait()
	ph.WallMs = ms(time.Since(start))
	close(stop)
	<-sampled
	p1, _ := ReadProc(r.o.ServerPID)
	peak = max(peak, p1.RSSBytes)
	if perr == nil {
		ph.ServerPeakRSSMiB = float64(peak) / (1 << 20)
		ph.ServerRSSOverIdle = ph.ServerPeakRSSMiB - r.idle
		ph.ServerCPUCores = CPUCores(p0, p1)
	}
	m1 := scrapeValues(ctx, r.o.URL)
	ph.DBPoolWaitMs = 1000 * (m1["cau_db_pool_empty_acquire_wait_seconds_total"] - m0["cau_db_pool_empty_acquire_wait_seconds_total"])
	ph.DBPoolEmptyAcquire = m1["cau_db_pool_empty_acquires_total"] - m0["cau_db_pool_empty_acquires_total"]
	ph.HashWaitMs = 1000 * (m1["cau_login_hash_wait_seconds_total"] - m0["cau_login_hash_wait_seconds_total"])
	ph.Spread = spread(took)
	return ph
}

// signIn logs c in, waiting out 503 busy answers as the web client does.
func (r *startRun) signIn(ctx context.Context, c *startClient) (int, error) {
	retries := 0
	giveUp := time.Now().Add(2 * time.Minute)
	for {
		var s struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		err := r.call(ctx, "POST", "/auth/login", "", map[string]string{"username": c.username, "password": r.o.Password}, &s)
		var e *apiError
		if errors.As(err, &e) && e.code == "busy" && time.Now().Add(e.retryAfter).Before(giveUp) {
			retries++
			select {
			case <-ctx.Done():
				return retries, ctx.Err()
			case <-time.After(max(e.retryAfter, time.Second)):
			}
			continue
		}
		c.token, c.refresh = s.AccessToken, s.RefreshToken
		return retries, err
	}
}

// enter is what a browser does on the meeting's page: join (room token),
// the live socket (its first frame), the session. A reconnect opens the
// socket with ?since= its last sequence number, as the client does.
func (r *startRun) enter(ctx context.Context, c *startClient, again bool) (map[string]time.Duration, error) {
	t := map[string]time.Duration{}
	t0 := time.Now()
	body := map[string]any{}
	if c.hallID != 0 {
		body["hall_id"] = c.hallID
	}
	if err := r.call(ctx, "POST", fmt.Sprintf("/meetings/%d/join", r.meetID), c.token, body, nil); err != nil {
		return t, err
	}
	t["join"] = time.Since(t0)

	t1 := time.Now()
	u, _ := url.Parse(r.base + fmt.Sprintf("/meetings/%d/live", r.meetID))
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	q := url.Values{"access_token": {c.token}}
	if again {
		q.Set("since", strconv.FormatInt(c.seq, 10))
	}
	u.RawQuery = q.Encode()
	d := websocket.Dialer{HandshakeTimeout: time.Minute}
	conn, resp, err := d.DialContext(ctx, u.String(), nil)
	if err != nil {
		if resp != nil {
			return t, &apiError{status: resp.StatusCode, code: fmt.Sprintf("live_%d", resp.StatusCode)}
		}
		return t, err
	}
	c.conn = conn
	if !again {
		// The first frame is the snapshot; a reconnect gets only what it missed.
		_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
		var f struct {
			Snapshot struct {
				Seq int64 `json:"seq"`
			} `json:"snapshot"`
		}
		if err := conn.ReadJSON(&f); err != nil {
			return t, fmt.Errorf("live: first frame: %w", err)
		}
		c.seq = f.Snapshot.Seq
		// Keep reading (and discarding) so the server's writer never blocks.
		go func() {
			for {
				if _, _, err := conn.NextReader(); err != nil {
					return
				}
			}
		}()
	}
	t["live"] = time.Since(t1)

	t2 := time.Now()
	if err := r.call(ctx, "GET", fmt.Sprintf("/meetings/%d/session", r.meetID), c.token, nil, nil); err != nil {
		return t, err
	}
	t["session"] = time.Since(t2)
	return t, nil
}

// call sends one JSON request and decodes the answer into out (if non-nil).
func (r *startRun) call(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		if e.Error.Code == "" {
			e.Error.Code = fmt.Sprintf("http_%d", resp.StatusCode)
		}
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &apiError{status: resp.StatusCode, code: e.Error.Code, retryAfter: time.Duration(secs) * time.Second}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
