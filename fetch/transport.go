package fetch

import (
	"context"
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
	// MaxRetryAfter caps how long a 429/503 Retry-After is honoured.
	MaxRetryAfter time.Duration
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
	return &http.Client{
		Transport:     &resilientTransport{base: base, net: n},
		CheckRedirect: checkRedirect,
	}
}

// checkRedirect refuses loops at once rather than after ten hops.
func checkRedirect(req *http.Request, via []*http.Request) error {
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
			continue
		}
		if retryableStatus(resp.StatusCode) && attempt+1 < t.net.Attempts {
			lastErr = &retryAfter{StatusError{req.URL.String(), resp.StatusCode}, parseRetryAfter(resp.Header.Get("Retry-After"))}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			cancel()
			continue
		}
		body := &idleBody{ReadCloser: resp.Body, cancel: cancel, idle: t.net.IdleTimeout}
		body.arm()
		resp.Body = body
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

// backoff is exponential with ±50% jitter, or what Retry-After asked for.
func (t *resilientTransport) backoff(attempt int, last error) time.Duration {
	var ra *retryAfter
	if errors.As(last, &ra) && ra.after > 0 {
		return min(ra.after, t.net.MaxRetryAfter)
	}
	d := t.net.BaseDelay << (attempt - 1)
	if d > t.net.MaxDelay || d <= 0 {
		d = t.net.MaxDelay
	}
	return d/2 + rand.N(d)
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

// idleBody cancels its request when no byte arrives for idle: a server
// that stalls mid-body must not hang a build.
type idleBody struct {
	io.ReadCloser
	cancel func()
	idle   time.Duration
	mu     sync.Mutex
	timer  *time.Timer
	fired  bool
}

func (b *idleBody) arm() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer == nil {
		b.timer = time.AfterFunc(b.idle, func() {
			b.mu.Lock()
			b.fired = true
			b.mu.Unlock()
			b.cancel()
		})
		return
	}
	b.timer.Reset(b.idle)
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.arm()
	}
	b.mu.Lock()
	fired := b.fired
	b.mu.Unlock()
	if err != nil && fired {
		err = fmt.Errorf("no data for %s: %w", b.idle, errStalled)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
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
			return fmt.Errorf("resume %s: %w", b.req.URL, err)
		}
		b.cur = resp.Body
	default:
		resp.Body.Close()
		return &StatusError{b.req.URL.String(), resp.StatusCode}
	}
	return nil
}

func (b *resumingBody) Close() error { return b.cur.Close() }
