package gcc

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The checks pion's tests make with testify, in the same shape (assert
// reports and goes on, require stops the test), so the ported tests stay
// line for line comparable with upstream's. Equality is reflect.DeepEqual,
// as testify's for these types.

type checker struct{ fatal bool }

var (
	assert  = checker{}
	require = checker{fatal: true}
)

func (c checker) fail(t testing.TB, what string, msg []any) bool {
	t.Helper()
	if len(msg) > 0 {
		if f, ok := msg[0].(string); ok {
			what += ": " + fmt.Sprintf(f, msg[1:]...)
		}
	}
	if c.fatal {
		t.Fatal(what)
	}
	t.Error(what)
	return false
}

func (c checker) Equal(t testing.TB, want, got any, msg ...any) bool {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		return c.fail(t, fmt.Sprintf("want %+v, got %+v", want, got), msg)
	}
	return true
}

func (c checker) NotEqual(t testing.TB, notWant, got any, msg ...any) bool {
	t.Helper()
	if reflect.DeepEqual(notWant, got) {
		return c.fail(t, fmt.Sprintf("want anything but %+v", notWant), msg)
	}
	return true
}

func (c checker) True(t testing.TB, v bool, msg ...any) bool {
	t.Helper()
	if !v {
		return c.fail(t, "want true, got false", msg)
	}
	return true
}

func (c checker) False(t testing.TB, v bool, msg ...any) bool {
	t.Helper()
	if v {
		return c.fail(t, "want false, got true", msg)
	}
	return true
}

func (c checker) NoError(t testing.TB, err error, msg ...any) bool {
	t.Helper()
	if err != nil {
		return c.fail(t, fmt.Sprintf("want no error, got %v", err), msg)
	}
	return true
}

func (c checker) Error(t testing.TB, err error, msg ...any) bool {
	t.Helper()
	if err == nil {
		return c.fail(t, "want an error, got none", msg)
	}
	return true
}

func (c checker) ErrorIs(t testing.TB, err, target error, msg ...any) bool {
	t.Helper()
	if !errors.Is(err, target) {
		return c.fail(t, fmt.Sprintf("want %v, got %v", target, err), msg)
	}
	return true
}

func (c checker) NotNil(t testing.TB, v any, msg ...any) bool {
	t.Helper()
	if v == nil {
		return c.fail(t, "want a value, got nil", msg)
	}
	if r := reflect.ValueOf(v); (r.Kind() == reflect.Pointer || r.Kind() == reflect.Interface ||
		r.Kind() == reflect.Slice || r.Kind() == reflect.Map) && r.IsNil() {
		return c.fail(t, "want a value, got nil", msg)
	}
	return true
}

func (c checker) Len(t testing.TB, v any, n int, msg ...any) bool {
	t.Helper()
	if l := reflect.ValueOf(v).Len(); l != n {
		return c.fail(t, fmt.Sprintf("want length %d, got %d", n, l), msg)
	}
	return true
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Slice, reflect.Map, reflect.Chan, reflect.Array, reflect.String:
		return r.Len() == 0
	case reflect.Pointer:
		return r.IsNil() || isEmpty(r.Elem().Interface())
	}
	return r.IsZero()
}

func (c checker) Empty(t testing.TB, v any, msg ...any) bool {
	t.Helper()
	if !isEmpty(v) {
		return c.fail(t, fmt.Sprintf("want empty, got %+v", v), msg)
	}
	return true
}

func (c checker) NotEmpty(t testing.TB, v any, msg ...any) bool {
	t.Helper()
	if isEmpty(v) {
		return c.fail(t, "want not empty, got empty", msg)
	}
	return true
}

func (c checker) Contains(t testing.TB, list, elem any, msg ...any) bool {
	t.Helper()
	r := reflect.ValueOf(list)
	switch r.Kind() {
	case reflect.String:
		if s, ok := elem.(string); ok && strings.Contains(r.String(), s) {
			return true
		}
	case reflect.Slice, reflect.Array:
		for i := range r.Len() {
			if reflect.DeepEqual(r.Index(i).Interface(), elem) {
				return true
			}
		}
	}
	return c.fail(t, fmt.Sprintf("%+v does not contain %+v", list, elem), msg)
}

// number is v as a float64, for the ordered checks on ints, floats and
// durations.
func number(v any) float64 {
	r := reflect.ValueOf(v)
	switch {
	case r.CanInt():
		return float64(r.Int())
	case r.CanUint():
		return float64(r.Uint())
	case r.CanFloat():
		return r.Float()
	}
	panic(fmt.Sprintf("not a number: %T", v))
}

func (c checker) Less(t testing.TB, a, b any, msg ...any) bool {
	t.Helper()
	if !(number(a) < number(b)) {
		return c.fail(t, fmt.Sprintf("want %v < %v", a, b), msg)
	}
	return true
}

func (c checker) LessOrEqual(t testing.TB, a, b any, msg ...any) bool {
	t.Helper()
	if !(number(a) <= number(b)) {
		return c.fail(t, fmt.Sprintf("want %v <= %v", a, b), msg)
	}
	return true
}

func (c checker) NotPanics(t testing.TB, f func(), msg ...any) (ok bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			ok = c.fail(t, fmt.Sprintf("panicked: %v", r), msg)
		}
	}()
	f()
	return true
}

func (c checker) FailNow(t testing.TB, what string, msg ...any) bool {
	t.Helper()
	return checker{fatal: true}.fail(t, what, msg)
}
