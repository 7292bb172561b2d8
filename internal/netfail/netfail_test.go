package netfail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
)

type timeoutErr struct{}

func (timeoutErr) Error() string { return "i/o timeout" }
func (timeoutErr) Timeout() bool { return true }

func TestClassify(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	dial := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: &os.SyscallError{Syscall: "connect", Err: err}}
	}
	const u = "https://nginx.org/download/nginx-1.22.1.tar.gz"
	for _, tt := range []struct {
		name     string
		err      error
		cause    string // "" = not an offline error
		notFound bool
	}{
		{"no such host", &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nginx.org", IsNotFound: true}},
			"cannot resolve host nginx.org (no such host)", true},
		{"dns timeout", &net.DNSError{Err: "i/o timeout", Name: "nginx.org", IsTimeout: true}, "cannot resolve host nginx.org (DNS lookup timed out)", false},
		{"dns server down", &net.DNSError{Err: "server misbehaving", Name: "nginx.org"}, "cannot resolve host nginx.org (server misbehaving)", false},
		{"refused", dial(syscall.ECONNREFUSED), "connection refused by 127.0.0.1:9", false},
		{"net unreachable", dial(syscall.ENETUNREACH), "network is unreachable", false},
		{"host unreachable", dial(syscall.EHOSTUNREACH), "no route to host 127.0.0.1:9", false},
		{"dial timeout", &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: timeoutErr{}}, "connection to 127.0.0.1:9 timed out", false},
		{"wrapped", fmt.Errorf("GET: %w", dial(syscall.ECONNREFUSED)), "connection refused by 127.0.0.1:9", false},
		{"read reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, "", false},
		{"status", errors.New("404 Not Found"), "", false},
		{"canceled", context.Canceled, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(u, tt.err)
			switch {
			case tt.cause == "" && got != nil:
				t.Fatalf("Classify = %v, want nil", got)
			case tt.cause == "":
				return
			case got == nil:
				t.Fatalf("Classify = nil, want %q", tt.cause)
			}
			if got.Cause != tt.cause || got.NotFound != tt.notFound {
				t.Errorf("cause %q notFound %v, want %q %v", got.Cause, got.NotFound, tt.cause, tt.notFound)
			}
			if want := "cannot reach " + u + ": " + tt.cause; got.Error() != want {
				t.Errorf("Error() = %q, want %q", got.Error(), want)
			}
			if !errors.Is(got, tt.err) && !strings.Contains(tt.name, "wrapped") {
				t.Errorf("the cause is not unwrapped")
			}
			if Find(fmt.Errorf("x: %w", got)) != got {
				t.Errorf("Find does not find it")
			}
		})
	}
}

// A real refused connection through net/http is recognized through the
// *url.Error that http.Client wraps it in.
func TestClassifyRealRefusal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String() + "/x"
	l.Close()
	_, err = http.Get(u)
	got := Classify(u, err)
	if got == nil || !strings.HasPrefix(got.Cause, "connection refused by 127.0.0.1:") {
		t.Fatalf("Classify(%v) = %v", err, got)
	}
}

// All finds every unreachable host in a tree of errors, such as a mirror
// and its fallback both tried, and nothing in an error without one.
func TestAll(t *testing.T) {
	a := &Error{URL: "http://a.example/x", Cause: "connection refused by 127.0.0.1:1"}
	b := &Error{URL: "http://b.example/y", Cause: "cannot resolve host b.example (no such host)"}
	for _, tt := range []struct {
		name string
		err  error
		want []*Error
	}{
		{"nil", nil, nil},
		{"none", errors.New("404 Not Found"), nil},
		{"one, wrapped", fmt.Errorf("fetch nginx: %w", a), []*Error{a}},
		{"joined", fmt.Errorf("fetch nginx: %w", errors.Join(a, errors.New("x"), fmt.Errorf("y: %w", b))), []*Error{a, b}},
		{"two %w", fmt.Errorf("%w; %w", b, a), []*Error{b, a}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := All(tt.err)
			if len(got) != len(tt.want) {
				t.Fatalf("All = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("All[%d] = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
