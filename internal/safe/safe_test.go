package safe

import (
	"errors"
	"testing"
)

func TestDo(t *testing.T) {
	boom := errors.New("boom")
	var nilMap map[string]int
	for _, tt := range []struct {
		name string
		f    func() error
		want string
	}{
		{"ok", func() error { return nil }, ""},
		{"error", func() error { return boom }, "boom"},
		{"panic value", func() error { panic("bad state") }, "internal error in extracting x: bad state, please report this"},
		{"runtime panic", func() error { nilMap["a"] = 1; return nil }, "internal error in extracting x: assignment to entry in nil map, please report this"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Do("extracting x", tt.f)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Do = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRecover(t *testing.T) {
	f := func() (err error) {
		defer Recover("fetching y", &err)
		panic("oops")
	}
	if err := f(); err == nil || err.Error() != "internal error in fetching y: oops, please report this" {
		t.Errorf("Recover: %v", err)
	}
	g := func() (err error) {
		defer Recover("fetching y", &err)
		return errors.New("plain")
	}
	if err := g(); err == nil || err.Error() != "plain" {
		t.Errorf("Recover without a panic: %v", err)
	}
}
