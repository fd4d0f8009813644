package fault_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/cau-gov/cau/internal/fault"
)

func TestKindOf(t *testing.T) {
	gone := fault.New(fault.NotFound, "not_found", "gone")
	for _, tc := range []struct {
		name string
		err  error
		want fault.Kind
	}{
		{"nil", nil, fault.Internal},
		{"plain error", errors.New("disk full"), fault.Internal},
		{"sentinel", gone, fault.NotFound},
		{"wrapped sentinel", fmt.Errorf("meeting 7: %w", gone), fault.NotFound},
		{"invalid", fault.Field("title", fault.Required), fault.InvalidInput},
		{"wrapped invalid", fmt.Errorf("save: %w", fault.Field("title", fault.TooLong)), fault.InvalidInput},
	} {
		if got := fault.KindOf(tc.err); got != tc.want {
			t.Errorf("%s: KindOf = %v, want %v", tc.name, got, tc.want)
		}
	}
	if fault.Is(nil, fault.Internal) {
		t.Error("nil is an error of kind internal")
	}
}

func TestInvalid(t *testing.T) {
	if fault.Check(map[string]fault.Problem{}) != nil {
		t.Fatal("Check of no fields is an error")
	}
	err := fault.Check(map[string]fault.Problem{"title": fault.TooLong, "file": fault.Required})
	if got, want := err.Error(), "invalid fields: file: required, title: too_long"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	b, _ := json.Marshal(err.(*fault.Invalid).Fields)
	if got, want := string(b), `{"file":"required","title":"too_long"}`; got != want {
		t.Errorf("fields as JSON = %s, want %s", got, want)
	}
}

func TestLength(t *testing.T) {
	for _, tc := range []struct {
		n, min, max int
		want        fault.Problem
	}{
		{0, 1, 10, fault.Required},
		{0, 0, 10, fault.Problem{}},
		{1, 2, 10, fault.TooShort},
		{2, 2, 10, fault.Problem{}},
		{10, 2, 10, fault.Problem{}},
		{11, 2, 10, fault.TooLong},
	} {
		if got := fault.Length(tc.n, tc.min, tc.max); got != tc.want {
			t.Errorf("Length(%d, %d, %d) = %q, want %q", tc.n, tc.min, tc.max, got, tc.want)
		}
	}
}

func TestNamesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range fault.Kinds() {
		if seen[k.String()] {
			t.Errorf("two kinds named %q", k)
		}
		seen[k.String()] = true
	}
	seen = map[string]bool{}
	for _, p := range fault.Problems() {
		if p.IsZero() || seen[p.String()] {
			t.Errorf("problem %q empty or declared twice", p)
		}
		seen[p.String()] = true
	}
}
