package fetch

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/netfail"
	"github.com/nginx-build/nginx-build/source"
)

// faultServer serves one tarball (with Range support, via ServeContent)
// under many paths, each misbehaving in its own way on the first requests.
type faultServer struct {
	*httptest.Server
	body []byte
	mu   sync.Mutex
	hits map[string]int
}

func (s *faultServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func newFaultServer(t *testing.T, body []byte) *faultServer {
	s := &faultServer{body: body, hits: map[string]int{}}
	serve := func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "x.tar.gz", time.Time{}, bytes.NewReader(body))
	}
	// half writes half the body with the full Content-Length, then either
	// stalls or drops the connection.
	half := func(w http.ResponseWriter, r *http.Request, stall bool) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		if stall {
			<-r.Context().Done()
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
	// drip sends the body (or, with ranges, the range asked for) one byte
	// every 10 ms, with its full Content-Length, until the client gives up.
	drip := func(w http.ResponseWriter, r *http.Request, ranges bool) {
		var from int
		if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from); ranges && err == nil && from < len(body) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(body)-1, len(body)))
			w.Header().Set("Content-Length", strconv.Itoa(len(body)-from))
			w.WriteHeader(http.StatusPartialContent)
		} else {
			from = 0
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
		}
		for _, c := range body[from:] {
			w.Write([]byte{c})
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		n := s.hits[r.URL.Path]
		s.mu.Unlock()
		switch r.URL.Path {
		case "/stall-once.tar.gz":
			if n == 1 {
				half(w, r, true)
				return
			}
		case "/stall-always.tar.gz":
			half(w, r, true)
			return
		case "/reset-once.tar.gz":
			if n == 1 {
				half(w, r, false)
				return
			}
		case "/reset-norange.tar.gz":
			if n == 1 {
				half(w, r, false)
				return
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body) // ignores Range: a full 200 again
			return
		case "/500-then-200.tar.gz":
			if n == 1 {
				http.Error(w, "oops", http.StatusInternalServerError)
				return
			}
		case "/500-always.tar.gz":
			http.Error(w, "oops", http.StatusBadGateway)
			return
		case "/429-retry-after.tar.gz":
			if n == 1 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
		case "/drip-once.tar.gz":
			if n == 1 {
				drip(w, r, true)
				return
			}
		case "/drip-always.tar.gz", "/slow-always.tar.gz":
			drip(w, r, true)
			return
		case "/reset-then-drip-norange.tar.gz":
			if n == 1 {
				half(w, r, false)
				return
			}
			drip(w, r, false)
			return
		case "/503-retry-after-hour.tar.gz", "/503-retry-after-hour-capped.tar.gz":
			if n == 1 {
				w.Header().Set("Retry-After", "3600")
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
		case "/redirect-file.tar.gz":
			http.Redirect(w, r, "file:///etc/hostname", http.StatusFound)
			return
		case "/404.tar.gz":
			http.NotFound(w, r)
			return
		case "/403.tar.gz":
			http.Error(w, "no", http.StatusForbidden)
			return
		case "/loop.tar.gz":
			http.Redirect(w, r, "/loop.tar.gz", http.StatusFound)
			return
		case "/bad-sum.tar.gz.sha256":
			fmt.Fprintf(w, "%s  bad-sum.tar.gz\n", strings.Repeat("0", 64))
			return
		}
		serve(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestFaults is the fault table: each misbehaviour is recovered from where
// recovery is right, reported clearly where it is not, and the cache never
// holds anything but complete, verified tarballs.
func TestFaults(t *testing.T) {
	body := tarball("faults")
	srv := newFaultServer(t, body)
	for _, tc := range []struct {
		path     string
		ok       bool
		errHas   []string
		requests int // 0: do not check
		minWait  time.Duration
		// maxWait, when set, is the longest wait between tries allowed;
		// noWait says there must be none (no retry).
		maxWait time.Duration
		noWait  bool
		// says is in what Network.Notify was told.
		says string
		// net adjusts the test's network settings.
		net func(*Network)
	}{
		{path: "/plain.tar.gz", ok: true, requests: 1},
		{path: "/stall-once.tar.gz", ok: true, requests: 2},
		{path: "/stall-always.tar.gz", errHas: []string{"/stall-always.tar.gz", "no data for", "gave up after 3 attempts"}, requests: 3},
		{path: "/reset-once.tar.gz", ok: true, requests: 2},
		{path: "/reset-norange.tar.gz", ok: true, requests: 2},
		{path: "/500-then-200.tar.gz", ok: true, requests: 2},
		{path: "/500-always.tar.gz", errHas: []string{"/500-always.tar.gz", "502"}, requests: 3},
		{path: "/429-retry-after.tar.gz", ok: true, requests: 2, minWait: time.Second},
		// A server that is never silent but drips: below the minimum rate
		// over the window it is a stall, resumed at once (the rest comes
		// at full speed) or, when it keeps dripping, given up on.
		{path: "/drip-once.tar.gz", ok: true, requests: 2, net: dripNet},
		{path: "/drip-always.tar.gz", errHas: []string{"/drip-always.tar.gz", "below the minimum of 1000 B/s", "gave up after 3 attempts"}, requests: 3, net: dripNet},
		// A stall while skipping what a server without ranges sends again
		// is one more failed attempt, not the end.
		{path: "/reset-then-drip-norange.tar.gz", errHas: []string{"/reset-then-drip-norange.tar.gz", "skipping the", "below the minimum of 1000 B/s", "gave up after 3 attempts"}, requests: 3, net: dripNet},
		// Fast enough for the minimum rate, but no attempt may last forever.
		{path: "/slow-always.tar.gz", errHas: []string{"/slow-always.tar.gz", "the attempt took longer than 200ms", "gave up after 3 attempts"}, requests: 3,
			net: func(n *Network) { dripNet(n); n.MinRate = 10; n.AttemptTimeout = 200 * time.Millisecond }},
		// Retry-After is honoured up to a cap, and said.
		{path: "/503-retry-after-hour.tar.gz", ok: true, requests: 2, minWait: 2 * time.Minute, maxWait: 2 * time.Minute,
			says: "503-retry-after-hour.tar.gz answered 503 Service Unavailable with Retry-After: waiting 2m0s before try 2 of 3 (it asked for 1h0m0s; waits are capped at 2m0s)"},
		{path: "/503-retry-after-hour-capped.tar.gz", ok: true, requests: 2, minWait: 5 * time.Second, maxWait: 5 * time.Second,
			says: "waiting 5s before try 2 of 3 (it asked for 1h0m0s; waits are capped at 5s)", net: func(n *Network) { n.MaxRetryAfter = 5 * time.Second }},
		// What no retry can change is not retried.
		{path: "/redirect-file.tar.gz", errHas: []string{"/redirect-file.tar.gz redirects to file:///etc/hostname: only http and https redirects are followed"}, requests: 1, noWait: true},
		{path: "/404.tar.gz", errHas: []string{"/404.tar.gz", "404"}, requests: 1},
		{path: "/403.tar.gz", errHas: []string{"/403.tar.gz", "403"}, requests: 1},
		{path: "/loop.tar.gz", errHas: []string{"redirect loop", "/loop.tar.gz"}},
		{path: "/bad-sum.tar.gz", errHas: []string{"sha256 mismatch", "bad-sum.tar.gz", strings.Repeat("0", 64), sha(body)}},
	} {
		t.Run(strings.Trim(tc.path, "/"), func(t *testing.T) {
			out := &syncBuffer{}
			// The waits between tries are recorded, not waited out.
			var mu sync.Mutex
			var waited time.Duration
			var waits int
			sleep := func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				waited = max(waited, d)
				waits++
				return ctx.Err()
			}
			var said []string
			n := Network{Attempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 40 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, Sleep: sleep,
				Notify: func(m string) { mu.Lock(); said = append(said, m); mu.Unlock() }}
			if tc.net != nil {
				tc.net(&n)
			}
			f := &Fetcher{CacheDir: t.TempDir(), HTTP: n.Client(), IO: iostreams.New(out, out)}
			a := source.Artifact{Component: "zlib", Version: "9.9", FileName: strings.Trim(tc.path, "/"), URLs: []string{srv.URL + tc.path}}
			if tc.path == "/bad-sum.tar.gz" {
				a.ChecksumURL = srv.URL + tc.path + ".sha256"
			}
			res, err := f.FetchAll(context.Background(), []source.Artifact{a})
			if tc.ok {
				if err != nil {
					t.Fatalf("want recovery, got %v", err)
				}
				got, _ := os.ReadFile(res[0].Path)
				if !bytes.Equal(got, body) || res[0].SHA256 != sha(body) {
					t.Errorf("recovered file differs from the served one (%d bytes, want %d)", len(got), len(body))
				}
			} else {
				if err == nil {
					t.Fatal("want an error")
				}
				for _, s := range tc.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
			}
			if tc.requests > 0 && srv.count(tc.path) != tc.requests {
				t.Errorf("%d requests, want %d", srv.count(tc.path), tc.requests)
			}
			mu.Lock()
			defer mu.Unlock()
			if waited < tc.minWait {
				t.Errorf("waited at most %s between tries, want %s (Retry-After)", waited, tc.minWait)
			}
			if tc.maxWait > 0 && waited > tc.maxWait {
				t.Errorf("waited %s between tries, want at most %s", waited, tc.maxWait)
			}
			if tc.noWait && waits > 0 {
				t.Errorf("retried %d times (waited up to %s): the failure cannot change on retry", waits, waited)
			}
			if tc.says != "" && !strings.Contains(strings.Join(said, "\n"), tc.says) {
				t.Errorf("told %q, want %q", said, tc.says)
			}
			// Nothing partial, ever: a tarball in the cache has its record.
			files := cacheFiles(t, f.CacheDir)
			for _, p := range files {
				if strings.Contains(p, ".part-") {
					t.Errorf("partial file left: %s", p)
				}
			}
			tarballs, records := 0, 0
			for _, p := range files {
				switch {
				case strings.HasSuffix(p, ".verified"):
					records++
				case strings.HasSuffix(p, ".tar.gz"):
					tarballs++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.ok]; tarballs != want || records != want {
				t.Errorf("cache holds %v", files)
			}
		})
	}
}

// dripNet detects a drip in 150 ms (1000 B/s averaged over it), where
// the default takes 30 s; the idle rule (300 ms) never fires on it.
func dripNet(n *Network) {
	n.MinRate = 1000
	n.RateWindow = 150 * time.Millisecond
}

// A host that refuses connections (or does not resolve) gives one line that
// names the URL once and says why — for the tarball and for its sidecars.
func TestFetchAllUnreachableHostIsOneClearLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	l.Close()
	for _, tc := range []struct {
		name string
		art  source.Artifact
		url  string
	}{
		{"tarball", source.Artifact{Component: "zlib", Version: "9.9", FileName: "zlib-9.9.tar.gz", URLs: []string{base + "/zlib-9.9.tar.gz"}}, base + "/zlib-9.9.tar.gz"},
		{"signature", source.Artifact{Component: "zlib", Version: "9.9", FileName: "zlib-9.9.tar.gz", URLs: []string{base + "/zlib-9.9.tar.gz"},
			SignatureURL: base + "/zlib-9.9.tar.gz.asc"}, base + "/zlib-9.9.tar.gz.asc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := &syncBuffer{}
			f := &Fetcher{CacheDir: t.TempDir(), HTTP: Network{Attempts: 2, BaseDelay: time.Millisecond}.Client(), IO: iostreams.New(out, out)}
			_, err := f.FetchAll(context.Background(), []source.Artifact{tc.art})
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			if strings.Count(msg, base) != 1 || !strings.Contains(msg, "cannot reach "+tc.url+": connection refused by "+l.Addr().String()) ||
				strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "fetch zlib 9.9: ") {
				t.Errorf("error is not one clear line naming the URL once:\n%s", msg)
			}
			if netfail.Find(err) == nil {
				t.Errorf("the error is not recognizable as a network failure")
			}
		})
	}
}

type panicTransport struct{}

func (panicTransport) RoundTrip(*http.Request) (*http.Response, error) { panic("transport bug") }

// A bug that panics in a download goroutine is an error, not a crash with
// a stack trace.
func TestFetchAllPanicInGoroutineIsAnError(t *testing.T) {
	out := &syncBuffer{}
	f := &Fetcher{CacheDir: t.TempDir(), HTTP: &http.Client{Transport: panicTransport{}}, IO: iostreams.New(out, out)}
	a := source.Artifact{Component: "zlib", Version: "9.9", FileName: "zlib-9.9.tar.gz", URLs: []string{"http://127.0.0.1:1/zlib-9.9.tar.gz"}}
	_, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err == nil || !strings.Contains(err.Error(), "internal error in fetching zlib 9.9: transport bug, please report this") {
		t.Fatalf("FetchAll = %v", err)
	}
}

// A response longer than its Content-Length leaves bytes on the
// connection; net/http's transport would log them, raw, to the standard
// logger (and so to the user's terminal) once the connection is idle.
// Nothing but our own messages may reach the user. Not parallel: it
// watches the process-wide logger.
func TestSurplusBodyBytesAreNotLogged(t *testing.T) {
	body := tarball("surplus")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				c.Read(buf) // the request
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%sSURPLUS-BYTES", len(body), body)
				time.Sleep(2 * time.Second) // keep the connection open, surplus unread
			}()
		}
	}()
	var logged syncBuffer
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })

	out := &syncBuffer{}
	f := &Fetcher{CacheDir: t.TempDir(), HTTP: Network{Attempts: 1}.Client(), IO: iostreams.New(out, out)}
	a := source.Artifact{Component: "zlib", Version: "9.9", FileName: "zlib-9.9.tar.gz", URLs: []string{"http://" + l.Addr().String() + "/zlib-9.9.tar.gz"}}
	if _, err := f.FetchAll(context.Background(), []source.Artifact{a}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the transport logs from its own goroutine
	if s := logged.String(); s != "" {
		t.Errorf("net/http logged %d bytes to the standard logger: %.200q", len(s), s)
	}
}

// A certificate that does not verify will not verify on a second try
// either: one request, no wait, and the error says why.
func TestUntrustedCertificateIsNotRetried(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	var waits int
	sleep := func(ctx context.Context, d time.Duration) error { mu.Lock(); waits++; mu.Unlock(); return nil }
	client := Network{Attempts: 3, Sleep: sleep}.Client()
	resp, err := client.Get(srv.URL + "/x.tar.gz")
	if err == nil {
		resp.Body.Close()
		t.Fatal("want a certificate error")
	}
	if !strings.Contains(err.Error(), "certificate") || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error %q does not name the URL and the certificate", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if waits != 0 {
		t.Errorf("retried %d times: a bad certificate cannot change on retry", waits)
	}
}
