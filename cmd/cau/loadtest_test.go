package main

import (
	"strings"
	"testing"
)

// TestLoadtestRefusesBadFlags: every out-of-range flag is a usage error
// (exit 2) that names the flag, before anything connects.
func TestLoadtestRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--halls", "0"}, "--halls"},
		{[]string{"--halls", "4", "--subscribers", "4"}, "--subscribers"},
		{[]string{"--subscribers", "-1"}, "--subscribers"},
		{[]string{"--weak-share", "1.5"}, "--weak-share"},
		{[]string{"--weak-share", "-0.1"}, "--weak-share"},
		{[]string{"--weak-kbps", "0"}, "--weak-kbps"},
		{[]string{"--weak-loss", "101"}, "--weak-loss"},
		{[]string{"--weak-loss", "100"}, "--weak-loss"},
		{[]string{"--weak-delay", "-1ms"}, "--weak-delay"},
		{[]string{"--fanout", "3", "--pion", "--livekit", "keys.yaml"}, "--livekit"},
	} {
		_, _, err := runCLI(t, nil, append([]string{"loadtest", "--embedded"}, tc.args...)...)
		if exitCode(err) != 2 || err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("loadtest %v: %v (exit %d), want a usage error naming %s", tc.args, err, exitCode(err), tc.flag)
		}
	}
}
