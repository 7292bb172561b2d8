package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/source"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tarball is deterministic fake tarball content, large enough to be
// streamed in several reads.
func tarball(name string) []byte {
	return bytes.Repeat([]byte("tarball "+name+"\n"), 4096)
}

// server serves files by path and counts the requests for each path.
type server struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
	// hook, when set, runs before a file is served; it may serve the
	// request itself by returning true.
	hook func(w http.ResponseWriter, r *http.Request) bool
}

func newServer(t *testing.T, files map[string][]byte) *server {
	t.Helper()
	s := &server{files: files, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		body, ok := s.files[r.URL.Path]
		hook := s.hook
		s.mu.Unlock()
		if hook != nil && hook(w, r) {
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *server) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.hits {
		n += c
	}
	return n
}

func (s *server) set(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = body
}

func newFetcher(t *testing.T) (*Fetcher, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	return &Fetcher{CacheDir: t.TempDir(), HTTP: &http.Client{}, IO: iostreams.New(out, out)}, out
}

// syncBuffer is a bytes.Buffer safe to read while downloads write to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// cacheFiles lists the regular files under the cache, relative to it,
// except lock files.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// Lock files stay (empty): they are how runs sharing a cache take turns.
		if !d.IsDir() && d.Name() != ".lock" {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

func art(component, version string, urls ...string) source.Artifact {
	return source.Artifact{
		Component: component, Version: version,
		FileName: component + "-" + version + ".tar.gz", URLs: urls,
	}
}

func TestFetchAllDownloadsAndCaches(t *testing.T) {
	nginx, openssl := tarball("nginx"), tarball("openssl")
	srv := newServer(t, map[string][]byte{
		"/nginx/nginx-1.30.1.tar.gz":            nginx,
		"/openssl/openssl-3.0.20.tar.gz":        openssl,
		"/openssl/openssl-3.0.20.tar.gz.sha256": []byte(sha(openssl) + " *openssl-3.0.20.tar.gz\n"),
	})
	f, out := newFetcher(t)
	a1 := art("nginx", "1.30.1", srv.URL+"/nginx/nginx-1.30.1.tar.gz")
	a2 := art("openssl", "3.0.20", srv.URL+"/openssl/openssl-3.0.20.tar.gz")
	a2.ChecksumURL = srv.URL + "/openssl/openssl-3.0.20.tar.gz.sha256"

	res, err := f.FetchAll(context.Background(), []source.Artifact{a1, a2})
	if err != nil {
		t.Fatalf("FetchAll: %v\n%s", err, out)
	}
	if len(res) != 2 {
		t.Fatalf("got %d results", len(res))
	}
	checks := []struct {
		a        source.Artifact
		body     []byte
		verified string
	}{
		{a1, nginx, ""},
		{a2, openssl, "sha256 published at " + a2.ChecksumURL},
	}
	for i, c := range checks {
		r := res[i]
		wantPath := filepath.Join(f.CacheDir, "sha256", sha(c.body), c.a.FileName)
		if r.Path != wantPath {
			t.Errorf("%s: Path = %q, want %q", c.a.Component, r.Path, wantPath)
		}
		got, err := os.ReadFile(r.Path)
		if err != nil || !bytes.Equal(got, c.body) {
			t.Errorf("%s: cached file differs from the served tarball (err %v)", c.a.Component, err)
		}
		if r.SHA256 != sha(c.body) || r.Size != int64(len(c.body)) || r.Cached || r.Verified != c.verified {
			t.Errorf("%s: result %+v, want sha %s size %d verified %q not cached",
				c.a.Component, r, sha(c.body), len(c.body), c.verified)
		}
		if r.Artifact.Component != c.a.Component || r.Artifact.URLs[0] != c.a.URLs[0] {
			t.Errorf("result %d is for %+v, want %+v (results out of order?)", i, r.Artifact, c.a)
		}
		rec, err := os.ReadFile(filepath.Join(f.CacheDir, "tarballs", c.a.Component, URLKey(c.a.URLs[0]), c.a.FileName+".verified"))
		if err != nil {
			t.Fatalf("%s: no .verified record in the slot of its URL: %v", c.a.Component, err)
		}
		wantRec := sha(c.body) + "  " + c.a.FileName + "\n"
		if c.verified != "" {
			wantRec += "# " + c.verified + "\n"
		} else {
			wantRec += warnedLine + "\n" // the warning was given
		}
		wantRec += "#url " + c.a.URLs[0] + "\n"
		if string(rec) != wantRec {
			t.Errorf("%s: record %q, want %q", c.a.Component, rec, wantRec)
		}
	}
	// Only the tarballs (stored by sha256), the records of their URLs and
	// the published checksum (kept so that verification works offline):
	// no leftover .part-* files.
	k1, k2 := URLKey(a1.URLs[0]), URLKey(a2.URLs[0])
	wantFiles := map[string]bool{
		"sha256/" + sha(nginx) + "/nginx-1.30.1.tar.gz":              true,
		"tarballs/nginx/" + k1 + "/nginx-1.30.1.tar.gz.verified":     true,
		"sha256/" + sha(openssl) + "/openssl-3.0.20.tar.gz":          true,
		"tarballs/openssl/" + k2 + "/openssl-3.0.20.tar.gz.verified": true,
		"tarballs/openssl/" + k2 + "/openssl-3.0.20.tar.gz.sha256":   true,
	}
	files := cacheFiles(t, f.CacheDir)
	for _, p := range files {
		if !wantFiles[p] {
			t.Errorf("unexpected file in cache: %s", p)
		}
	}
	if len(files) != len(wantFiles) {
		t.Errorf("cache holds %q, want %d files", files, len(wantFiles))
	}
	log := out.String()
	for _, s := range []string{
		"downloading nginx 1.30.1 from " + a1.URLs[0],
		"downloading openssl 3.0.20 from " + a2.URLs[0],
		"fetched nginx 1.30.1 (", ")",
		"fetched openssl 3.0.20 (",
	} {
		if !strings.Contains(log, s) {
			t.Errorf("output does not mention %q:\n%s", s, log)
		}
	}

	// Second run: everything comes from the cache, with no request at all.
	before := srv.total()
	f2 := &Fetcher{CacheDir: f.CacheDir, HTTP: &http.Client{}, IO: f.IO}
	res2, err := f2.FetchAll(context.Background(), []source.Artifact{a1, a2})
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.total() - before; n != 0 {
		t.Errorf("cached FetchAll made %d HTTP requests", n)
	}
	for i, r := range res2 {
		want := res[i]
		want.Cached = true
		if r.Path != want.Path || r.SHA256 != want.SHA256 || r.Size != want.Size ||
			r.Verified != want.Verified || !r.Cached || r.Artifact.Component != want.Artifact.Component {
			t.Errorf("cached result %d = %+v, want %+v", i, r, want)
		}
	}
	if srv.count("/nginx/nginx-1.30.1.tar.gz") != 1 || srv.count("/openssl/openssl-3.0.20.tar.gz") != 1 {
		t.Errorf("tarballs requested %d and %d times, want once each",
			srv.count("/nginx/nginx-1.30.1.tar.gz"), srv.count("/openssl/openssl-3.0.20.tar.gz"))
	}
}

func TestFetchAllChecksumMismatch(t *testing.T) {
	body := tarball("openssl")
	bogus := sha([]byte("something else"))
	srv := newServer(t, map[string][]byte{
		"/openssl-3.0.20.tar.gz":        body,
		"/openssl-3.0.20.tar.gz.sha256": []byte(bogus + "  openssl-3.0.20.tar.gz\n"),
	})
	f, _ := newFetcher(t)
	a := art("openssl", "3.0.20", srv.URL+"/openssl-3.0.20.tar.gz")
	a.ChecksumURL = srv.URL + "/openssl-3.0.20.tar.gz.sha256"

	_, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err == nil {
		t.Fatal("FetchAll accepted a tarball whose published sha256 differs")
	}
	if !IsMismatch(err) {
		t.Errorf("error %v is not a mismatch", err)
	}
	for _, s := range []string{"openssl 3.0.20", a.URLs[0], "want " + bogus, "got " + sha(body)} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	if files := cacheFiles(t, f.CacheDir); len(files) != 0 {
		t.Errorf("cache holds %q after a mismatch, want nothing", files)
	}

	// Once upstream is fixed, the next run downloads and verifies it.
	srv.set("/openssl-3.0.20.tar.gz.sha256", []byte(sha(body)+"  openssl-3.0.20.tar.gz\n"))
	res, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Verified != "sha256 published at "+a.ChecksumURL || res[0].Cached {
		t.Errorf("result %+v", res[0])
	}
}

func TestFetchAllChecksumFileProblems(t *testing.T) {
	body := tarball("nginx")
	tests := []struct {
		name     string
		checksum []byte // nil: 404
		errHas   string
	}{
		{"missing", nil, "download checksum"},
		{"garbage", []byte("<html>oops</html>"), "not a sha256 checksum file"},
		{"for another file", []byte(sha(body) + "  nginx-1.30.0.tar.gz\n"), "no sha256 for nginx-1.30.1.tar.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{"/nginx-1.30.1.tar.gz": body}
			if tt.checksum != nil {
				files["/nginx-1.30.1.tar.gz.sha256"] = tt.checksum
			}
			srv := newServer(t, files)
			f, _ := newFetcher(t)
			a := art("nginx", "1.30.1", srv.URL+"/nginx-1.30.1.tar.gz")
			a.ChecksumURL = srv.URL + "/nginx-1.30.1.tar.gz.sha256"
			_, err := f.FetchAll(context.Background(), []source.Artifact{a})
			if err == nil {
				t.Fatal("FetchAll succeeded without a usable checksum")
			}
			if !strings.Contains(err.Error(), tt.errHas) || !strings.Contains(err.Error(), "nginx 1.30.1") {
				t.Errorf("error %q does not mention %q and the component", err, tt.errHas)
			}
			if IsMismatch(err) {
				t.Errorf("error %v claims a mismatch", err)
			}
			if n := srv.count("/nginx-1.30.1.tar.gz"); n != 0 {
				t.Errorf("tarball downloaded %d times though its checksum is unusable", n)
			}
			if files := cacheFiles(t, f.CacheDir); len(files) != 0 {
				t.Errorf("cache holds %q", files)
			}
		})
	}
}

func TestFetchAllFallsBackToNextURL(t *testing.T) {
	body := tarball("zlib")
	srv := newServer(t, map[string][]byte{"/fossils/zlib-1.3.1.tar.gz": body})
	f, out := newFetcher(t)
	a := art("zlib", "1.3.1", srv.URL+"/zlib-1.3.1.tar.gz", srv.URL+"/fossils/zlib-1.3.1.tar.gz")
	res, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err != nil {
		t.Fatalf("FetchAll: %v", err)
	}
	if srv.count("/zlib-1.3.1.tar.gz") != 1 || srv.count("/fossils/zlib-1.3.1.tar.gz") != 1 {
		t.Errorf("requests: first URL %d, second %d; want 1 and 1",
			srv.count("/zlib-1.3.1.tar.gz"), srv.count("/fossils/zlib-1.3.1.tar.gz"))
	}
	got, _ := os.ReadFile(res[0].Path)
	if !bytes.Equal(got, body) || res[0].SHA256 != sha(body) {
		t.Error("cached file is not the tarball from the second URL")
	}
	// The record is in the slot of the first URL, so the next run finds
	// the tarball whichever URL served it.
	if _, err := os.Stat(filepath.Join(f.CacheDir, "tarballs", "zlib", URLKey(a.URLs[0]), a.FileName+".verified")); err != nil {
		t.Errorf("no record in the slot of the first URL: %v", err)
	}
	if !strings.Contains(out.String(), "downloading zlib 1.3.1 from "+a.URLs[1]) {
		t.Errorf("output does not mention the fallback URL:\n%s", out)
	}
	if files := cacheFiles(t, f.CacheDir); len(files) != 2 {
		t.Errorf("cache holds %q, want the tarball and its record", files)
	}
}

func TestFetchAllAllURLsFail(t *testing.T) {
	srv := newServer(t, map[string][]byte{})
	f, _ := newFetcher(t)
	a := art("zlib", "1.3.1", srv.URL+"/zlib-1.3.1.tar.gz", srv.URL+"/fossils/zlib-1.3.1.tar.gz")
	_, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err == nil {
		t.Fatal("FetchAll succeeded with every URL 404")
	}
	for _, s := range []string{"zlib 1.3.1", a.URLs[0], a.URLs[1], "404"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	if files := cacheFiles(t, f.CacheDir); len(files) != 0 {
		t.Errorf("cache holds %q", files)
	}
}

func TestFetchAllNoURL(t *testing.T) {
	f, _ := newFetcher(t)
	_, err := f.FetchAll(context.Background(), []source.Artifact{art("nginx", "1.30.1")})
	if err == nil || !strings.Contains(err.Error(), "nginx 1.30.1") || !strings.Contains(err.Error(), "no download URL") {
		t.Fatalf("FetchAll = %v, want a no-URL error", err)
	}
}

func TestFetchAllEmpty(t *testing.T) {
	f, _ := newFetcher(t)
	res, err := f.FetchAll(context.Background(), nil)
	if err != nil || len(res) != 0 {
		t.Fatalf("FetchAll(nil) = %v, %v", res, err)
	}
}

func TestFetchAllRedownloadsDamagedCache(t *testing.T) {
	body := tarball("nginx")
	srv := newServer(t, map[string][]byte{"/nginx-1.30.1.tar.gz": body})
	f, out := newFetcher(t)
	a := art("nginx", "1.30.1", srv.URL+"/nginx-1.30.1.tar.gz")
	res, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(res[0].Path, []byte("bit rot"), 0o644); err != nil {
		t.Fatal(err)
	}
	res2, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.count("/nginx-1.30.1.tar.gz"); n != 2 {
		t.Errorf("tarball requested %d times, want 2 (damaged copy downloaded again)", n)
	}
	if res2[0].Cached || res2[0].SHA256 != sha(body) {
		t.Errorf("result after repair %+v", res2[0])
	}
	if got, _ := os.ReadFile(res2[0].Path); !bytes.Equal(got, body) {
		t.Error("damaged cache file was not replaced")
	}
	if log := out.String(); !strings.Contains(log, "warning: cached "+res[0].Path+" is damaged") ||
		!strings.Contains(log, "stored as "+sha(body)) {
		t.Errorf("no damage warning in output:\n%s", log)
	}
}

func TestFetchAllIgnoresTarballWithoutRecord(t *testing.T) {
	body := tarball("nginx")
	srv := newServer(t, map[string][]byte{"/nginx-1.30.1.tar.gz": body})
	f, _ := newFetcher(t)
	a := art("nginx", "1.30.1", srv.URL+"/nginx-1.30.1.tar.gz")
	// A tarball left by a crash before its record was written, or the
	// record unreadable: neither is trusted.
	final := filepath.Join(f.CacheDir, "tarballs", "nginx", URLKey(a.URLs[0]), a.FileName)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, record := range []string{"", "garbage\n"} {
		if err := os.WriteFile(final, []byte("truncated"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(final + ".verified")
		if record != "" {
			if err := os.WriteFile(final+".verified", []byte(record), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, err := f.FetchAll(context.Background(), []source.Artifact{a})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Cached || res[0].SHA256 != sha(body) {
			t.Errorf("result %+v", res[0])
		}
		if n := srv.count("/nginx-1.30.1.tar.gz"); n != i+1 {
			t.Errorf("tarball requested %d times, want %d", n, i+1)
		}
	}
}

func TestFetchAllSlotsPerURL(t *testing.T) {
	// Two mirrors serving different files under the same name never share a slot.
	one, two := []byte("from mirror one"), []byte("from mirror two")
	srv := newServer(t, map[string][]byte{"/one/pcre2-10.47.tar.gz": one, "/two/pcre2-10.47.tar.gz": two})
	f, _ := newFetcher(t)
	for _, c := range []struct {
		path string
		body []byte
	}{{"/one/pcre2-10.47.tar.gz", one}, {"/two/pcre2-10.47.tar.gz", two}} {
		res, err := f.FetchAll(context.Background(), []source.Artifact{art("pcre2", "10.47", srv.URL+c.path)})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(res[0].Path); !bytes.Equal(got, c.body) || res[0].Cached {
			t.Errorf("%s: got %q cached=%v", c.path, got, res[0].Cached)
		}
	}
}

func TestFetchAllFromDirectoryMirror(t *testing.T) {
	root := t.TempDir()
	body := tarball("pcre2")
	write := func(name string, b []byte) {
		p := filepath.Join(root, "pcre2", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pcre2-10.47.tar.gz", body)
	write("pcre2-10.47.tar.gz.sha256", []byte(sha(body)+"  pcre2-10.47.tar.gz\n"))
	write("pcre2-10.46.tar.xz", []byte("xz tarball"))
	write("pcre2-10.46.tar.xz.sha256", []byte(sha([]byte("not it"))+"  pcre2-10.46.tar.xz\n"))

	m, err := source.ParseMirror("file://" + root)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := source.Lookup("pcre2")
	a, err := source.Locate(context.Background(), nil, m, c, "10.47")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := newFetcher(t)
	res, err := f.FetchAll(context.Background(), []source.Artifact{a})
	if err != nil {
		t.Fatalf("FetchAll from %s: %v", a.URLs[0], err)
	}
	r := res[0]
	if got, _ := os.ReadFile(r.Path); !bytes.Equal(got, body) {
		t.Error("cached file differs from the mirror's")
	}
	if r.Verified != "sha256 published at "+a.ChecksumURL || r.SHA256 != sha(body) {
		t.Errorf("result %+v", r)
	}
	if fi, err := os.Lstat(r.Path); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("cached %s is not a regular file (a link into the mirror?): %v", r.Path, err)
	}
	// The cache holds a copy: the mirror may change or vanish.
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	res, err = f.FetchAll(context.Background(), []source.Artifact{a})
	if err != nil || !res[0].Cached {
		t.Fatalf("FetchAll after the mirror vanished: %+v, %v", res, err)
	}

	// A mismatch from a directory mirror is caught the same way.
	root = t.TempDir()
	write("pcre2-10.46.tar.xz", []byte("xz tarball"))
	write("pcre2-10.46.tar.xz.sha256", []byte(sha([]byte("not it"))+"  pcre2-10.46.tar.xz\n"))
	m, _ = source.ParseMirror(root)
	a, err = source.Locate(context.Background(), nil, m, c, "10.46")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.FetchAll(context.Background(), []source.Artifact{a}); !IsMismatch(err) {
		t.Errorf("FetchAll = %v, want a mismatch", err)
	}
}

func TestFetchAllCancelMidDownload(t *testing.T) {
	srv := newServer(t, map[string][]byte{})
	started := make(chan struct{})
	srv.hook = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Length", "10000000")
		w.Write(bytes.Repeat([]byte("x"), 64<<10))
		w.(http.Flusher).Flush()
		close(started)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return true
	}
	f, _ := newFetcher(t)
	a := art("nginx", "1.30.1", srv.URL+"/nginx-1.30.1.tar.gz")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := f.FetchAll(ctx, []source.Artifact{a})
		done <- err
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("download never started")
	}
	// The partial download is on disk now.
	if files := cacheFiles(t, f.CacheDir); len(files) != 1 || !strings.Contains(files[0], "/.part-") {
		t.Errorf("while downloading, cache holds %q, want one .part- file", files)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("FetchAll = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("FetchAll did not return after cancellation")
	}
	if files := cacheFiles(t, f.CacheDir); len(files) != 0 {
		t.Errorf("cache holds %q after cancellation, want nothing", files)
	}
}

func TestFetchAllShortBodyIsAnError(t *testing.T) {
	srv := newServer(t, map[string][]byte{})
	srv.hook = func(w http.ResponseWriter, r *http.Request) bool {
		// Promise more than is sent, then drop the connection.
		w.Header().Set("Content-Length", "100000")
		w.Write([]byte("partial"))
		return true
	}
	f, _ := newFetcher(t)
	_, err := f.FetchAll(context.Background(), []source.Artifact{art("nginx", "1.30.1", srv.URL+"/nginx-1.30.1.tar.gz")})
	if err == nil {
		t.Fatal("FetchAll accepted a truncated download")
	}
	if files := cacheFiles(t, f.CacheDir); len(files) != 0 {
		t.Errorf("cache holds %q", files)
	}
}

// TestFetchAllConcurrent proves downloads overlap: the server holds every
// tarball request until all n are in flight. Sequential downloads would
// leave the first one waiting alone, and it fails after a timeout.
func TestFetchAllConcurrent(t *testing.T) {
	const n = 5
	files := map[string][]byte{}
	var arts []source.Artifact
	srv := newServer(t, files)
	for i := range n {
		name := fmt.Sprintf("comp%d", i)
		files["/"+name+"-1.0.tar.gz"] = tarball(name)
		arts = append(arts, art(name, "1.0", srv.URL+"/"+name+"-1.0.tar.gz"))
	}
	var inFlight atomic.Int32
	all := make(chan struct{})
	var once sync.Once
	srv.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if inFlight.Add(1) == n {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
			return false // serve the file
		case <-time.After(5 * time.Second):
			http.Error(w, fmt.Sprintf("only %d of %d downloads in flight: not concurrent", inFlight.Load(), n),
				http.StatusServiceUnavailable)
			return true
		}
	}
	f, _ := newFetcher(t)
	res, err := f.FetchAll(context.Background(), arts)
	if err != nil {
		t.Fatalf("FetchAll: %v (a 503 means fewer than %d downloads were ever in flight at once)", err, n)
	}
	for i, r := range res {
		if r.Artifact.Component != arts[i].Component {
			t.Errorf("result %d is %s, want %s", i, r.Artifact.Component, arts[i].Component)
		}
		if got, _ := os.ReadFile(r.Path); !bytes.Equal(got, tarball(arts[i].Component)) {
			t.Errorf("%s: wrong content", arts[i].Component)
		}
	}
}

// TestFetchAllFirstFailureCancelsOthers: one bad artifact fails the whole
// fetch promptly, without waiting for a slow download to finish.
func TestFetchAllFirstFailureCancelsOthers(t *testing.T) {
	srv := newServer(t, map[string][]byte{})
	srv.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/slow.tar.gz" {
			return false // 404
		}
		w.Header().Set("Content-Length", "10000000")
		w.Write([]byte("x"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
		return true
	}
	f, _ := newFetcher(t)
	start := time.Now()
	_, err := f.FetchAll(context.Background(), []source.Artifact{
		art("slow", "1.0", srv.URL+"/slow.tar.gz"),
		art("missing", "1.0", srv.URL+"/missing.tar.gz"),
	})
	if err == nil || !strings.Contains(err.Error(), "missing 1.0") {
		t.Fatalf("FetchAll = %v, want the missing artifact's error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("FetchAll took %v: the slow download was not canceled", d)
	}
	if files := cacheFiles(t, f.CacheDir); len(files) != 0 {
		t.Errorf("cache holds %q", files)
	}
}

// TestFetchAllTerminalProgress draws the progress bar (TTY mode) while
// several downloads run, under the race detector.
func TestFetchAllTerminalProgress(t *testing.T) {
	files := map[string][]byte{}
	srv := newServer(t, files)
	var arts []source.Artifact
	for i := range 3 {
		name := fmt.Sprintf("comp%d", i)
		files["/"+name+"-1.0.tar.gz"] = tarball(name)
		arts = append(arts, art(name, "1.0", srv.URL+"/"+name+"-1.0.tar.gz"))
	}
	f, out := newFetcher(t)
	f.IO = iostreams.NewTerminal(out, out, 100)
	f.Trust.IO = f.IO
	// The first body arrives slowly: the bars are drawn meanwhile.
	srv.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/comp0-1.0.tar.gz" {
			return false
		}
		body := files[r.URL.Path]
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		for i := 0; i < len(body); i += 16 << 10 {
			w.Write(body[i:min(i+16<<10, len(body))])
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
		return true
	}
	if _, err := f.FetchAll(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	log := out.String()
	if strings.Contains(log, "downloading comp0 1.0 from") {
		t.Errorf("terminal output has per-download start lines:\n%s", log)
	}
	if !regexp.MustCompile(`\rcomp0 1\.0  [ 0-9]+% \[[=>.]+\] \([0-9.]+/[0-9.]+ KiB, [0-9.]+ [KMG]?i?B/s\)  [0-9.]+s`).MatchString(log) {
		t.Errorf("no bar for the slow download:\n%q", log)
	}
	for _, a := range arts {
		if !strings.Contains(log, "fetched "+a.Component+" 1.0") {
			t.Errorf("output does not report %s:\n%q", a.Component, log)
		}
	}
	// Lines (a download done, a warning) go above the bars, never after
	// one on its line.
	for _, line := range []string{"fetched ", "warning: "} {
		for i := strings.Index(log, line); i >= 0; {
			if i > 0 && !strings.HasSuffix(log[:i], "\n") && !strings.HasSuffix(log[:i], "\x1b[J") {
				t.Errorf("%q printed on a bar's line: %q", line, log[max(0, i-80):i+len(line)])
			}
			next := strings.Index(log[i+1:], line)
			if next < 0 {
				break
			}
			i += 1 + next
		}
	}
	if last := strings.LastIndex(log, "\x1b[K\n"); !strings.Contains(log[last:], "\x1b[J") {
		t.Errorf("the bars are not erased at the end: %q", log[max(0, len(log)-200):])
	}
}

// TestFetchAllSlowDownloadPlainProgress: without a terminal, a download
// that outlasts the interval gets a line each interval with its bytes and
// rate, and its end line its duration.
func TestFetchAllSlowDownloadPlainProgress(t *testing.T) {
	t.Parallel()
	body := tarball("slow")
	srv := newServer(t, map[string][]byte{})
	srv.hook = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		for i := 0; i < len(body); i += 8 << 10 {
			w.Write(body[i:min(i+8<<10, len(body))])
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
		return true
	}
	f, out := newFetcher(t)
	f.IO.ProgressEvery = 50 * time.Millisecond
	if _, err := f.FetchAll(context.Background(), []source.Artifact{art("nginx", "1.30.1", srv.URL+"/nginx-1.30.1.tar.gz")}); err != nil {
		t.Fatal(err)
	}
	log := out.String()
	for _, re := range []string{
		`(?m)^downloading: nginx 1\.30\.1 [0-9.]+ KiB of 52\.0 KiB at [0-9.]+ [KMG]?i?B/s, [0-9.]+s$`,
		`(?m)^fetched nginx 1\.30\.1 \(52\.0 KiB in [0-9.]+s\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("no line like %s in:\n%s", re, log)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		1 << 20: "1.0 MiB", 5*(1<<20) + (1 << 19): "5.5 MiB",
	} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestFetchAllWarnsUnverifiedOnce: the "nothing to verify" warning is
// given in full once per cached tarball (the cache records it); later
// runs name the unverified tarballs in one summary line. A tarball cached
// by an older version, whose record does not say so, is warned about
// once more and then recorded.
func TestFetchAllWarnsUnverifiedOnce(t *testing.T) {
	pcre, zlib, openssl := tarball("pcre2"), tarball("zlib"), tarball("openssl")
	srv := newServer(t, map[string][]byte{
		"/pcre2-10.42.tar.gz":           pcre,
		"/zlib-1.2.13.tar.gz":           zlib,
		"/openssl-3.0.20.tar.gz":        openssl,
		"/openssl-3.0.20.tar.gz.sha256": []byte(sha(openssl) + "\n"),
	})
	arts := []source.Artifact{
		art("pcre2", "10.42", srv.URL+"/pcre2-10.42.tar.gz"),
		art("zlib", "1.2.13", srv.URL+"/zlib-1.2.13.tar.gz"),
		art("openssl", "3.0.20", srv.URL+"/openssl-3.0.20.tar.gz"),
	}
	arts[2].ChecksumURL = srv.URL + "/openssl-3.0.20.tar.gz.sha256"
	cache := t.TempDir()
	full := func(name string) string { return "warning: " + name + ": nothing to verify" }
	const both = "warning: 2 tarballs unverified (pcre2 10.42, zlib 1.2.13): nothing to check them against, as said when they were first fetched"
	for _, step := range []struct {
		name string
		// forget removes the note of the warning from zlib's record, as
		// an older nginx-build left it.
		forget    bool
		warned    []string // full warnings given
		notWarned []string
		summary   string
	}{
		{name: "first download", warned: []string{"pcre2 10.42", "zlib 1.2.13"}},
		{name: "cached", notWarned: []string{"pcre2 10.42", "zlib 1.2.13"}, summary: both},
		{name: "cached again", notWarned: []string{"pcre2 10.42", "zlib 1.2.13"}, summary: both},
		{name: "record from before", forget: true, warned: []string{"zlib 1.2.13"}, notWarned: []string{"pcre2 10.42"},
			summary: "warning: 1 tarball unverified (pcre2 10.42): nothing to check it against"},
		{name: "then noted", notWarned: []string{"pcre2 10.42", "zlib 1.2.13"}, summary: both},
	} {
		if step.forget {
			final := filepath.Join(cache, "tarballs", "zlib", URLKey(arts[1].URLs[0]), arts[1].FileName)
			if err := writeRecord(final, record{SHA256: sha(zlib)}); err != nil {
				t.Fatal(err)
			}
		}
		out := &syncBuffer{}
		f := &Fetcher{CacheDir: cache, HTTP: &http.Client{}, IO: iostreams.New(out, out)}
		res, err := f.FetchAll(context.Background(), arts)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		log := out.String()
		for _, name := range step.warned {
			if strings.Count(log, full(name)) != 1 {
				t.Errorf("%s: want the full warning for %s once:\n%s", step.name, name, log)
			}
		}
		for _, name := range append(step.notWarned, "openssl 3.0.20") {
			if strings.Contains(log, full(name)) {
				t.Errorf("%s: full warning for %s repeated:\n%s", step.name, name, log)
			}
		}
		if step.summary == "" && strings.Contains(log, "unverified (") || !strings.Contains(log, step.summary) {
			t.Errorf("%s: want summary %q:\n%s", step.name, step.summary, log)
		}
		if strings.Count(log, "unverified (") > 1 || strings.Contains(log, "openssl 3.0.20)") {
			t.Errorf("%s: one summary line, without the verified openssl:\n%s", step.name, log)
		}
		if !res[0].Unverified || !res[1].Unverified || res[2].Unverified {
			t.Errorf("%s: Unverified = %v %v %v, want true true false", step.name, res[0].Unverified, res[1].Unverified, res[2].Unverified)
		}
	}
}
