package fetch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/source"
)

// resumeServer serves one file with Range/If-Range support (ServeContent),
// breaking off halfway through the first response; it records each
// request's Range and If-Range and the bytes it sent.
type resumeServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     []byte
	etag     string
	modtime  time.Time
	breakOff string // "drop" or "stall": how the first response ends
	// noRanges makes the server ignore Range after the first response,
	// sending the whole file (200) as servers without range support do.
	noRanges bool
	requests []http.Header
	sent     []int
}

func newResumeServer(t *testing.T, body []byte, etag string, modtime time.Time, breakOff string) *resumeServer {
	s := &resumeServer{body: body, etag: etag, modtime: modtime, breakOff: breakOff}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Header.Clone())
		n, body, etag, modtime, noRanges := len(s.requests), s.body, s.etag, s.modtime, s.noRanges
		s.mu.Unlock()
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		cw := &countingWriter{ResponseWriter: w}
		if n == 1 {
			if !modtime.IsZero() {
				w.Header().Set("Last-Modified", modtime.UTC().Format(http.TimeFormat))
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			cw.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			s.record(n, cw.n)
			if s.breakOff == "stall" {
				<-r.Context().Done()
				return
			}
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		if noRanges {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			cw.Write(body)
			s.record(n, cw.n)
			return
		}
		http.ServeContent(cw, r, "x.tar.gz", modtime, bytes.NewReader(body))
		s.record(n, cw.n)
	}))
	t.Cleanup(s.Close)
	return s
}

// record notes how many body bytes the server sent for request number
// req: by number, because a handler may finish after a later request's.
func (s *resumeServer) record(req, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.sent) < req {
		s.sent = append(s.sent, 0)
	}
	s.sent[req-1] = n
}

// log returns the requests and the bytes sent for each. The client can
// have read a whole response before its handler returns and records it:
// wait (briefly) until every request has been recorded.
func (s *resumeServer) log() ([]http.Header, []int) {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		s.mu.Lock()
		done := len(s.sent) >= len(s.requests)
		if done || time.Now().After(deadline) {
			defer s.mu.Unlock()
			return append([]http.Header(nil), s.requests...), append([]int(nil), s.sent...)
		}
		s.mu.Unlock()
	}
}

type countingWriter struct {
	http.ResponseWriter
	n int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += n
	return n, err
}

// oneTry is a fetcher that gives up on the first broken transfer, as a
// run that is out of retries (or interrupted) does.
func oneTry(t *testing.T, cache string) *Fetcher {
	out := &syncBuffer{}
	return &Fetcher{CacheDir: cache, IO: iostreams.New(out, out),
		HTTP: Network{Attempts: 1, IdleTimeout: 2 * time.Second}.Client()}
}

func partials(t *testing.T, cache string) []string {
	var out []string
	for _, p := range cacheFiles(t, cache) {
		if strings.Contains(p, "/.part-") {
			out = append(out, p)
		}
	}
	return out
}

// TestResumeAcrossRuns: a download broken off (network failure, or the
// run interrupted) leaves its partial file; the next run asks for the
// rest with Range and If-Range and gets only that, when the server can
// prove it is the same file. Otherwise it starts over, and says why
// rather than claiming to resume.
func TestResumeAcrossRuns(t *testing.T) {
	body := tarball("resume")
	for _, tc := range []struct {
		name      string
		etag      string
		modtime   time.Time
		breakOff  string
		change    bool // the file changes on the server between the runs
		noRanges  bool // the server ignores Range in run 2
		cancel    bool // the first run is interrupted, not failed
		wantRange bool
		ifRange   string
		restart   string // run 2 says it starts over, and why
	}{
		{name: "etag", etag: `"v1"`, breakOff: "drop", wantRange: true, ifRange: `"v1"`},
		{name: "last-modified", modtime: time.Unix(1700000000, 0), breakOff: "drop", wantRange: true, ifRange: "Tue, 14 Nov 2023 22:13:20 GMT"},
		{name: "interrupted", etag: `"v1"`, breakOff: "stall", cancel: true, wantRange: true, ifRange: `"v1"`},
		{name: "changed on the server", etag: `"v1"`, breakOff: "drop", change: true, wantRange: true, ifRange: `"v1"`,
			restart: "nginx 1.30.1: downloading the whole file again: the file changed on the server since the earlier run; the " + strconv.Itoa(len(body)/2) + " bytes an earlier run left are discarded"},
		{name: "server ignores ranges", etag: `"v1"`, breakOff: "drop", noRanges: true, wantRange: true, ifRange: `"v1"`,
			restart: "nginx 1.30.1: downloading the whole file again: the server ignored the request to resume at byte " + strconv.Itoa(len(body)/2)},
		{name: "weak etag only", etag: `W/"v1"`, breakOff: "drop"},
		{name: "no validator", breakOff: "drop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newResumeServer(t, body, tc.etag, tc.modtime, tc.breakOff)
			srv.noRanges = tc.noRanges
			cache := t.TempDir()
			a := art("nginx", "1.30.1", srv.URL+"/nginx-1.30.1.tar.gz")

			// Run 1 breaks off halfway.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				go func() {
					for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
						if ps := partials(t, cache); len(ps) > 0 {
							if fi, err := os.Stat(filepath.Join(cache, ps[0])); err == nil && fi.Size() >= int64(len(body)/2) {
								break
							}
						}
					}
					cancel()
				}()
			}
			_, err := oneTry(t, cache).FetchAll(ctx, []source.Artifact{a})
			if err == nil {
				t.Fatal("run 1 succeeded")
			}
			if tc.cancel && !errors.Is(err, context.Canceled) {
				t.Fatalf("run 1: %v, want context.Canceled", err)
			}
			kept := partials(t, cache)
			if tc.wantRange {
				// The partial file and its validator record, nothing else.
				if len(kept) != 2 || !strings.HasSuffix(kept[1], ".tar.gz"+resumeSuffix) {
					t.Fatalf("after run 1 the cache holds %q, want the partial download and its record", kept)
				}
				if fi, _ := os.Stat(filepath.Join(cache, kept[0])); fi.Size() != int64(len(body)/2) {
					t.Errorf("partial download holds %d bytes, want %d", fi.Size(), len(body)/2)
				}
			} else if len(kept) != 0 {
				t.Fatalf("without a strong validator nothing may be kept, found %q", kept)
			}

			want := body
			if tc.change {
				want = tarball("resume, version 2")
				srv.mu.Lock()
				srv.body, srv.etag = want, `"v2"`
				srv.mu.Unlock()
			}
			// Run 2 (on the same cache) finishes it.
			f2 := oneTry(t, cache)
			res, err := f2.FetchAll(context.Background(), []source.Artifact{a})
			if err != nil {
				t.Fatalf("run 2: %v", err)
			}
			if got, _ := os.ReadFile(res[0].Path); !bytes.Equal(got, want) {
				t.Fatalf("run 2 stored %d bytes that differ from the served file (%d bytes)", len(got), len(want))
			}
			reqs, sent := srv.log()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			gotRange, gotIfRange := reqs[1].Get("Range"), reqs[1].Get("If-Range")
			if tc.wantRange {
				if gotRange != "bytes="+strconv.Itoa(len(body)/2)+"-" || gotIfRange != tc.ifRange {
					t.Errorf("run 2 asked Range %q If-Range %q", gotRange, gotIfRange)
				}
			} else if gotRange != "" {
				t.Errorf("run 2 asked for a range (%q) without a validator", gotRange)
			}
			wantSent := len(want)
			resuming := "resuming nginx 1.30.1 from byte " + strconv.Itoa(len(body)/2)
			switch {
			case tc.restart != "":
				mustHave(t, f2, tc.restart)
				mustNotHave(t, f2, resuming)
			case tc.wantRange:
				wantSent = len(body) - len(body)/2
				mustHave(t, f2, resuming)
			default:
				mustNotHave(t, f2, "resuming")
			}
			if sent[len(sent)-1] != wantSent {
				t.Errorf("run 2 transferred %d bytes, want %d", sent[len(sent)-1], wantSent)
			}
			if left := partials(t, cache); len(left) != 0 {
				t.Errorf("partial files left after success: %q", left)
			}
		})
	}
}

func mustHave(t *testing.T, f *Fetcher, s string) {
	t.Helper()
	out := f.IO.Err.(*syncBuffer).String()
	if !strings.Contains(out, s) {
		t.Errorf("output lacks %q:\n%s", s, out)
	}
}

func mustNotHave(t *testing.T, f *Fetcher, s string) {
	t.Helper()
	out := f.IO.Err.(*syncBuffer).String()
	if strings.Contains(out, s) {
		t.Errorf("output has %q:\n%s", s, out)
	}
}

// TestStalePartsRemoved: partial downloads untouched for a day are
// removed by the next fetch, whatever they belonged to; fresh ones stay.
func TestStalePartsRemoved(t *testing.T) {
	f, _ := newFetcher(t)
	slot := filepath.Join(f.CacheDir, "tarballs", "pcre2", "00112233aabbccdd")
	os.MkdirAll(slot, 0o755)
	old := time.Now().Add(-25 * time.Hour)
	stale := []string{".part-aaaa-pcre2-10.42.tar.gz", ".part-aaaa-pcre2-10.42.tar.gz" + resumeSuffix, ".part-0123456789ab-pcre2-10.42.tar.gz"}
	for _, n := range stale {
		p := filepath.Join(slot, n)
		os.WriteFile(p, []byte("x"), 0o644)
		os.Chtimes(p, old, old)
	}
	fresh := filepath.Join(slot, ".part-bbbb-pcre2-10.43.tar.gz")
	os.WriteFile(fresh, []byte("x"), 0o644)
	srv := newServer(t, map[string][]byte{"/zlib-1.3.tar.gz": tarball("zlib")})
	if _, err := f.FetchAll(context.Background(), []source.Artifact{art("zlib", "1.3", srv.URL+"/zlib-1.3.tar.gz")}); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(slot, n)); err == nil {
			t.Errorf("stale %s kept", n)
		}
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh partial download was removed: %v", err)
	}
}
