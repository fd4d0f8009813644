package web

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

// staticImport matches an ES module's static imports (`import … from './x.js'`,
// `import './x.js'`); JSDoc type imports (`import('./app.js').Ctx`) are not
// loaded by the browser and do not count.
var staticImport = regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^;'"]*?(?:from\s*)?['"](\.[^'"]+)['"]`)

// TestNoImportCycle: the browser modules import one way (a cycle such as
// app → search → app made module evaluation order matter: a screen could
// run before app.js had finished evaluating).
func TestNoImportCycle(t *testing.T) {
	deps := map[string][]string{}
	err := fs.WalkDir(embedded, "static/js", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := fs.ReadFile(embedded, p)
		if err != nil {
			return err
		}
		for _, m := range staticImport.FindAllStringSubmatch(string(b), -1) {
			deps[p] = append(deps[p], path.Join(path.Dir(p), m[1]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) < 10 {
		t.Fatalf("found imports in %d modules only: is the pattern right?", len(deps))
	}
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(m string)
	visit = func(m string) {
		switch state[m] {
		case open:
			i := 0
			for stack[i] != m {
				i++
			}
			t.Errorf("import cycle: %s → %s", strings.Join(stack[i:], " → "), m)
			return
		case done:
			return
		}
		state[m] = open
		stack = append(stack, m)
		for _, d := range deps[m] {
			visit(d)
		}
		stack = stack[:len(stack)-1]
		state[m] = done
	}
	for m := range deps {
		visit(m)
	}
}
