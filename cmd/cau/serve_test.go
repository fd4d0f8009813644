package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/cau-gov/cau/sfu"
)

// TestDebugRecordRefusesBadRequests: make bench's /debug/record says what
// is wrong and creates nothing for a missing or unsafe room, a room with
// nobody in it, a stop of what is not recording and another method.
func TestDebugRecordRefusesBadRequests(t *testing.T) {
	s, err := sfu.New(sfu.Config{ListenIPs: []string{"127.0.0.1"}, TCPPort: -1}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	dir := t.TempDir()
	h := debugRecord(s, dir)
	for _, c := range []struct {
		method, query string
		want          int
	}{
		{http.MethodPost, "", http.StatusBadRequest},
		{http.MethodPost, "room=../etc", http.StatusBadRequest},
		{http.MethodPost, "room=nobody-here", http.StatusConflict},
		{http.MethodDelete, "room=nobody-here", http.StatusNotFound},
		{http.MethodGet, "room=nobody-here", http.StatusMethodNotAllowed},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, "/debug/record?"+c.query, nil))
		if rec.Code != c.want {
			t.Errorf("%s ?%s: %d %q, want %d", c.method, c.query, rec.Code, rec.Body.String(), c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused requests left %v in %s", entries, filepath.Base(dir))
	}
}
