package app_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cau-gov/cau/internal/apptest"
)

// TestOpenAPICoversRoutes fails when a registered route is missing from
// docs/openapi.yaml, or the document describes a route nobody registered.
func TestOpenAPICoversRoutes(t *testing.T) {
	env := apptest.New(t)

	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid YAML: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete", "head", "options":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}

	registered := map[string]bool{}
	for _, p := range env.App.API.Routes() {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			continue // catch-all mounts ("/", "/api/") are not API routes
		}
		path = strings.ReplaceAll(path, "{$}", "")
		registered[method+" "+path] = true
	}

	var missing, stale []string
	for r := range registered {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !registered[r] {
			stale = append(stale, r)
		}
	}
	slices.Sort(missing)
	slices.Sort(stale)
	if len(missing) > 0 {
		t.Errorf("routes registered but not in docs/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("routes in docs/openapi.yaml but not registered:\n  %s", strings.Join(stale, "\n  "))
	}
}
