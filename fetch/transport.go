package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nginx-build/nginx-build/internal/netfail"
)

// Network holds the knobs of the resilient HTTP client. Zero values take
// the defaults; tests shrink the times.
type Network struct {
	// Attempts is how often one request (or one resumption of a body) is
	// tried in all.
	Attempts int
	// BaseDelay and MaxDelay bound the exponential backoff between tries.
	BaseDelay, MaxDelay time.Duration
	// IdleTimeout aborts a response that sends nothing for this long.
	IdleTimeout time.Duration
	// ConnectTimeout bounds dialing and the TLS handshake; HeaderTimeout
	// the wait for response headers.
	ConnectTimeout, HeaderTimeout time.Duration
	// MaxRetryAfter caps how long a 429/503 Retry-After is honoured: a
	// server asking for an hour must not hold a build for an hour.
	MaxRetryAfter time.Duration
	// MinRate (bytes per second) and RateWindow make a body that arrives
	// slower than MinRate, averaged over RateWindow, count as stalled: a
	// server dripping a byte every few seconds is never silent for
	// IdleTimeout, yet will never finish. A negative MinRate disables it.
	MinRate    int64
	RateWindow time.Duration
	// AttemptTimeout bounds one attempt, headers and body: past it the
	// attempt is abandoned and the download resumes (or gives up) like
	// after any other failure.
	AttemptTimeout time.Duration
	// Notify, when set, is told in one line of a wait worth mentioning
	// (a server's Retry-After), before it starts. Only command/ prints,
	// so it is a callback.
	Notify func(msg string)
	// Sleep waits between tries (nil: a real timer). Tests inject one that
	// records the wait and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
}

// sleep waits d, or until ctx is done.
func (n Network) sleep(ctx context.Context, d time.Duration) error {
	if n.Sleep != nil {
		return n.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

func (n Network) withDefaults() Network {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if n.Attempts == 0 {
		n.Attempts = 5
	}
	def(&n.BaseDelay, 500*time.Millisecond)
	def(&n.MaxDelay, 15*time.Second)
	def(&n.IdleTimeout, 60*time.Second)
	def(&n.ConnectTimeout, 20*time.Second)
	def(&n.HeaderTimeout, 60*time.Second)
	def(&n.MaxRetryAfter, 2*time.Minute)
	def(&n.RateWindow, 30*time.Second)
	def(&n.AttemptTimeout, 30*time.Minute)
	if n.MinRate == 0 {
		n.MinRate = 1024
	}
	return n
}

// NewHTTPClient returns the HTTP client used for downloads and indexes:
// quick to give up on a dead host, patient with a slow one, retrying
// transient failures (connection errors, 5xx, 429 with Retry-After) with
// backoff and jitter, never retrying 404/403, resuming a body that breaks
// off, and refusing redirect loops.
func NewHTTPClient() *http.Client { return Network{}.Client() }

// Client builds the resilient client for these settings.
func (n Network) Client() *http.Client {
	n = n.withDefaults()
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: n.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	base.TLSHandshakeTimeout = n.ConnectTimeout
	base.ResponseHeaderTimeout = n.HeaderTimeout
	// A connection is never reused: when a server sends more than its
	// Content-Length, net/http's transport finds the surplus on the idle
	// connection and logs it, raw bytes and all, to the process-wide
	// standard logger ("Unsolicited response received on idle HTTP
	// channel…"), which the Transport offers no way to redirect. Without
	// keep-alives the connection is closed after its response and nothing
	// is read from it again. A build makes a handful of requests, so the
	// extra handshakes cost little.
	base.DisableKeepAlives = true
	return &http.Client{
		Transport:     &resilientTransport{base: base, net: n},
		CheckRedirect: checkRedirect,
	}
}

// checkRedirect refuses loops at once rather than after ten hops, and
// redirects off HTTP (file://, ftp://), which no retry can make work.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return &permanentError{fmt.Errorf("%s redirects to %s: only http and https redirects are followed", via[len(via)-1].URL, req.URL)}
	}
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return fmt.Errorf("redirect loop: %s redirects back to itself", req.URL)
		}
	}
	if len(via) >= 10 {
		return fmt.Errorf("too many redirects (10) starting at %s", via[0].URL)
	}
	return nil
}

type resilientTransport struct {
	base http.RoundTripper
	net  Network
}

// StatusError is an HTTP status that ended the request.
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

func (t *resilientTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return t.base.RoundTrip(req)
	}
	resp, err := t.try(req, req.Header.Get("Range"))
	if err != nil || req.Method == http.MethodHead || (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent) {
		return resp, err
	}
	resp.Body = &resumingBody{t: t, req: req, cur: resp.Body, length: resp.ContentLength, base: rangeStart(resp)}
	return resp, nil
}

// rangeStart is where a 206 response's body starts in the file (0 for a
// whole body).
func rangeStart(resp *http.Response) int64 {
	var start int64
	if resp.StatusCode == http.StatusPartialContent {
		fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-", &start)
	}
	return start
}

// try sends req (with an optional Range) until it gets a response that is
// not worth retrying, sleeping between attempts.
func (t *resilientTransport) try(req *http.Request, rng string) (*http.Response, error) {
	var lastErr error
	for attempt := 0; attempt < t.net.Attempts; attempt++ {
		if attempt > 0 {
			if err := t.net.sleep(req.Context(), t.backoff(attempt, lastErr)); err != nil {
				return nil, err
			}
		}
		ctx, cancel := context.WithCancel(req.Context())
		r := req.Clone(ctx)
		if rng != "" {
			r.Header.Set("Range", rng)
		}
		began := time.Now()
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			cancel()
			if req.Context().Err() != nil {
				return nil, req.Context().Err()
			}
			if off := netfail.Classify(req.URL.String(), err); off != nil {
				// One line naming the URL once and why it cannot be
				// reached; a host that does not exist will not appear
				// on a second try.
				if off.NotFound {
					return nil, off
				}
				lastErr = off
				continue
			}
			lastErr = fmt.Errorf("GET %s: %w", req.URL, err)
			if permanent(err) {
				return nil, lastErr
			}
			continue
		}
		if retryableStatus(resp.StatusCode) && attempt+1 < t.net.Attempts {
			lastErr = &retryAfter{StatusError{req.URL.String(), resp.StatusCode}, parseRetryAfter(resp.Header.Get("Retry-After"))}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			cancel()
			continue
		}
		resp.Body = t.watch(resp.Body, cancel, began)
		return resp, nil
	}
	return nil, lastErr
}

// retryAfter is a retryable status with the delay the server asked for.
type retryAfter struct {
	StatusError
	after time.Duration
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return time.Until(at)
	}
	return 0
}

// permanentError marks a failure that no retry can change.
type permanentError struct{ error }

func (e *permanentError) Unwrap() error { return e.error }

// permanent reports whether a request error is one that trying again
// cannot change: a URL scheme the transport does not speak (a redirect to
// file://), a certificate that does not verify, or a
// redirect refused by checkRedirect.
func permanent(err error) bool {
	var p *permanentError
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &p) || errors.As(err, &unknownCA) || errors.As(err, &invalid) ||
		errors.As(err, &host) || errors.As(err, &verify) ||
		strings.Contains(err.Error(), "unsupported protocol scheme")
}

// backoff is exponential with ±50% jitter, or what Retry-After asked for
// (capped by MaxRetryAfter), which is announced: a wait of minutes must
// not look like a hang.
func (t *resilientTransport) backoff(attempt int, last error) time.Duration {
	var ra *retryAfter
	if errors.As(last, &ra) && ra.after > 0 {
		d := min(ra.after, t.net.MaxRetryAfter)
		if t.net.Notify != nil {
			t.net.Notify(retryAfterMessage(ra, d, attempt+1, t.net.Attempts))
		}
		return d
	}
	d := t.net.BaseDelay << (attempt - 1)
	if d > t.net.MaxDelay || d <= 0 {
		d = t.net.MaxDelay
	}
	return d/2 + rand.N(d)
}

// retryAfterMessage says what a Retry-After wait is for and how long it is.
func retryAfterMessage(ra *retryAfter, d time.Duration, attempt, attempts int) string {
	asked := ""
	if d < ra.after {
		asked = fmt.Sprintf(" (it asked for %s; waits are capped at %s)", ra.after.Round(time.Second), d)
	}
	return fmt.Sprintf("%s %s answered %d %s with Retry-After: waiting %s before try %d of %d%s",
		"GET", ra.URL, ra.Status, http.StatusText(ra.Status), d.Round(time.Second), attempt, attempts, asked)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// watch wraps a response body in the watchdog that abandons the attempt
// (cancel) when the server stalls: nothing for IdleTimeout, slower than
// MinRate over RateWindow, or the attempt past AttemptTimeout.
func (t *resilientTransport) watch(body io.ReadCloser, cancel func(), began time.Time) io.ReadCloser {
	b := &idleBody{ReadCloser: body, cancel: cancel, idle: t.net.IdleTimeout, minRate: t.net.MinRate, window: t.net.RateWindow}
	b.arm()
	b.mu.Lock()
	defer b.mu.Unlock()
	if t.net.MinRate > 0 {
		b.rate = time.AfterFunc(b.window, b.checkRate)
	}
	b.deadline = time.AfterFunc(t.net.AttemptTimeout-time.Since(began), func() {
		b.fire(fmt.Errorf("the attempt took longer than %s: %w", t.net.AttemptTimeout, errStalled))
	})
	return b
}

// idleBody cancels its request when the server stalls: no byte for idle,
// fewer than minRate bytes a second over a window, or past the attempt's
// deadline. A server that stalls mid-body must not hang a build.
type idleBody struct {
	io.ReadCloser
	cancel  func()
	idle    time.Duration
	minRate int64
	window  time.Duration

	mu       sync.Mutex
	timer    *time.Timer // idle
	rate     *time.Timer // the end of the current rate window
	deadline *time.Timer
	inWindow int64 // bytes read in the current rate window
	why      error // why the request was cancelled; nil while it was not
	closed   bool
}

func (b *idleBody) arm() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer == nil {
		b.timer = time.AfterFunc(b.idle, func() {
			b.fire(fmt.Errorf("no data for %s: %w", b.idle, errStalled))
		})
		return
	}
	b.timer.Reset(b.idle)
}

// fire cancels the request, remembering the first reason.
func (b *idleBody) fire(why error) {
	b.mu.Lock()
	if b.why == nil {
		b.why = why
	}
	b.mu.Unlock()
	b.cancel()
}

// checkRate ends a rate window: too few bytes in it is a stall, else the
// next window starts.
func (b *idleBody) checkRate() {
	b.mu.Lock()
	got := b.inWindow
	b.inWindow = 0
	want := b.minRate * int64(b.window) / int64(time.Second)
	if b.closed {
		b.mu.Unlock()
		return
	}
	if got >= want {
		b.rate.Reset(b.window)
	}
	b.mu.Unlock()
	if got < want {
		rate := float64(got) / b.window.Seconds()
		b.fire(fmt.Errorf("%s in %s (%.0f B/s, below the minimum of %d B/s): %w", humanBytes(got), b.window, rate, b.minRate, errStalled))
	}
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.arm()
	}
	b.mu.Lock()
	b.inWindow += int64(n)
	why := b.why
	b.mu.Unlock()
	if err != nil && why != nil {
		err = why
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.mu.Lock()
	b.closed = true
	for _, t := range []*time.Timer{b.timer, b.rate, b.deadline} {
		if t != nil {
			t.Stop()
		}
	}
	b.mu.Unlock()
	b.cancel()
	return b.ReadCloser.Close()
}

var errStalled = errors.New("server stalled")

// resumingBody turns a body that breaks off (reset, stall, or shorter than
// its Content-Length) into one that continues: it asks again with
// Range: bytes=N-, and when the server ignores ranges and sends it all
// again, skips what was already delivered. go-getter above sees one
// uninterrupted stream.
type resumingBody struct {
	t       *resilientTransport
	req     *http.Request
	cur     io.ReadCloser
	length  int64 // -1 when unknown
	base    int64 // the file offset of the body's first byte (a range request)
	got     int64
	resumes int
	broken  error // why cur broke off; the next Read resumes
}

func (b *resumingBody) Read(p []byte) (int, error) {
	for {
		if b.broken != nil {
			cause := b.broken
			b.broken = nil
			if err := b.resume(cause); err != nil {
				return 0, err
			}
		}
		n, err := b.cur.Read(p)
		b.got += int64(n)
		switch {
		case err == nil:
			return n, nil
		case err == io.EOF && (b.length < 0 || b.got >= b.length):
			return n, io.EOF
		case b.req.Context().Err() != nil:
			return n, b.req.Context().Err()
		case err == io.EOF:
			err = fmt.Errorf("connection closed after %d of %d bytes", b.got, b.length)
		}
		b.broken = err
		if n > 0 {
			return n, nil // hand over what arrived first
		}
	}
}

func (b *resumingBody) resume(cause error) error {
	if b.resumes+1 >= b.t.net.Attempts {
		return fmt.Errorf("GET %s: %w (gave up after %d attempts)", b.req.URL, cause, b.resumes+1)
	}
	b.resumes++
	b.cur.Close()
	if err := b.t.net.sleep(b.req.Context(), b.t.backoff(b.resumes, cause)); err != nil {
		return err
	}
	off := b.base + b.got
	resp, err := b.t.try(b.req, fmt.Sprintf("bytes=%d-", off))
	if err != nil {
		return fmt.Errorf("resume %s at byte %d: %w", b.req.URL, off, err)
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		if !strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", off)) {
			resp.Body.Close()
			return fmt.Errorf("resume %s: server answered range %q to bytes=%d-", b.req.URL, resp.Header.Get("Content-Range"), off)
		}
		b.cur = resp.Body
	case http.StatusOK:
		if b.base > 0 {
			// It answered a range before: a whole body now means the
			// file changed (If-Range), and the start we have is stale.
			resp.Body.Close()
			return fmt.Errorf("resume %s at byte %d: the file changed on the server", b.req.URL, off)
		}
		// No range support: start over and skip what was delivered.
		if _, err := io.CopyN(io.Discard, resp.Body, b.got); err != nil {
			resp.Body.Close()
			if b.req.Context().Err() != nil {
				return b.req.Context().Err()
			}
			// Broke off (or stalled) again before reaching where we
			// were: one more failed attempt, tried again while any are
			// left.
			b.cur = failedBody{fmt.Errorf("skipping the %d bytes already delivered: %w", b.got, err)}
			return nil
		}
		b.cur = resp.Body
	default:
		resp.Body.Close()
		return &StatusError{b.req.URL.String(), resp.StatusCode}
	}
	return nil
}

func (b *resumingBody) Close() error { return b.cur.Close() }

// failedBody is a body that broke off before its first byte.
type failedBody struct{ err error }

func (f failedBody) Read([]byte) (int, error) { return 0, f.err }
func (f failedBody) Close() error             { return nil }
