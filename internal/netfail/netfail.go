// Package netfail recognizes the network failures that mean a host cannot
// be reached at all — its name does not resolve, nothing accepts the
// connection, there is no route to it — and describes them in one line
// that names the URL once, so that an offline machine gets a clear message
// (and the command a chance to point at air-gapped builds) instead of the
// URL repeated by every layer of wrapping.
package netfail

import (
	"errors"
	"net"
	"syscall"
)

// Error is a request that could not reach its host.
type Error struct {
	URL string
	// Cause is a short description: "cannot resolve host nginx.org (no
	// such host)", "connection refused by 127.0.0.1:9", ...
	Cause string
	// NotFound is true when DNS answered that the host does not exist:
	// asking again will not help.
	NotFound bool
	Err      error
}

func (e *Error) Error() string { return "cannot reach " + e.URL + ": " + e.Cause }

func (e *Error) Unwrap() error { return e.Err }

// Classify returns an *Error when err, from a request to u, says that the
// host could not be reached; otherwise nil.
func Classify(u string, err error) *Error {
	if err == nil {
		return nil
	}
	if found := Find(err); found != nil {
		return found
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		cause := "cannot resolve host " + dns.Name
		switch {
		case dns.IsNotFound:
			cause += " (no such host)"
		case dns.IsTimeout:
			cause += " (DNS lookup timed out)"
		case dns.Err != "":
			cause += " (" + dns.Err + ")"
		}
		return &Error{URL: u, Cause: cause, NotFound: dns.IsNotFound, Err: err}
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return nil
	}
	addr := ""
	if op.Addr != nil {
		addr = " " + op.Addr.String()
	}
	var cause string
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		cause = "connection refused by" + addr
	case errors.Is(err, syscall.ENETUNREACH):
		cause = "network is unreachable"
	case errors.Is(err, syscall.EHOSTUNREACH):
		cause = "no route to host" + addr
	case op.Timeout():
		cause = "connection to" + addr + " timed out"
	default:
		cause = op.Err.Error()
	}
	return &Error{URL: u, Cause: cause, Err: err}
}

// Find returns the *Error in err's chain, or nil.
func Find(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// All returns every *Error in err's tree, in the order errors.As would
// meet them (errors.Join and several %w included): a run that tried
// several hosts, say a mirror and its fallback, names each that could
// not be reached.
func All(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return // its cause is the same failure
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}
