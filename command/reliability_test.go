package command

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/testmirror"
)

func TestCacheCommands(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if r := run(t, "fetch", "--mirror", f.m.URL, "-v", "1.30.1", "-zlib", "-zlibversion", "1.2.13"); r.code != 0 {
		t.Fatalf("fetch: %s", r.err)
	}
	r := run(t, "cache", "ls")
	if r.code != 0 || strings.Count(r.out, "\n") != 3 || !strings.Contains(r.out, "nginx-1.30.1.tar.gz") || !strings.Contains(r.out, "zlib-1.2.13.tar.xz") {
		t.Errorf("cache ls: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := run(t, "cache", "verify"); r.code != 0 || !strings.Contains(r.err, "all 2 cached tarball(s) match") {
		t.Errorf("cache verify: exit %d\n%s", r.code, r.err)
	}
	// Damage one file: verify reports it, removes it, fails.
	matches, _ := filepath.Glob(filepath.Join(f.cache, "sha256", "*", "zlib-1.2.13.tar.xz"))
	if len(matches) != 1 {
		t.Fatalf("zlib in cache: %v", matches)
	}
	os.WriteFile(matches[0], []byte("rotten"), 0o644)
	r = run(t, "cache", "verify")
	if r.code != 1 || !strings.Contains(r.out, matches[0]+": damaged") {
		t.Errorf("cache verify of a damaged file: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if _, err := os.Stat(matches[0]); err == nil {
		t.Errorf("damaged file kept")
	}
	if r := run(t, "cache", "clean", "--older-than", "1h"); r.code != 0 || !strings.Contains(r.err, "freed 0 B") {
		t.Errorf("clean --older-than on fresh files: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, "cache", "clean"); r.code != 0 || !strings.Contains(r.err, "freed") {
		t.Errorf("clean: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, "cache", "ls"); !strings.Contains(r.err, "0 tarball(s)") {
		t.Errorf("cache not empty after clean:\n%s%s", r.out, r.err)
	}
}

// buildTool is nginx-build as a program, for tests that need real
// processes (signals, two processes sharing a cache): this test binary,
// which with asToolEnv set is main (TestMain runs Execute), so nothing
// is compiled again.
func buildTool(t *testing.T) string {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// toolCommand runs the tool with args and the process's environment plus
// asToolEnv and env.
func toolCommand(tool string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(tool, args...)
	cmd.Env = append(append(os.Environ(), asToolEnv+"=1"), env...)
	return cmd
}

// waitUntil is how long a test may wait for a process: until shortly
// before the test binary's own deadline (-timeout), so that a hang fails
// the test rather than the whole run, and a slow machine never does.
func waitUntil(t *testing.T) time.Time {
	if d, ok := t.Deadline(); ok {
		return d.Add(-time.Until(d) / 20)
	}
	return time.Now().Add(5 * time.Minute)
}

// slowMirror serves the fixture's mirror, writing tarball bodies slowly.
func slowMirror(t *testing.T, dir string, perChunk time.Duration) (*httptest.Server, func(string) int) {
	t.Helper()
	var mu sync.Mutex
	hits := map[string]int{}
	fs := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		if !strings.Contains(r.URL.Path, ".tar.") {
			fs.ServeHTTP(w, r)
			return
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.URL.Path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		for i := 0; i < len(data); i += 512 {
			w.Write(data[i:min(i+512, len(data))])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(perChunk):
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func(p string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[p]
	}
}

func TestConcurrentFetchProcessesShareTheCache(t *testing.T) {
	t.Parallel()
	tool := buildTool(t)
	f := newFixture(t)
	srv, hits := slowMirror(t, f.m.Dir, 2*time.Millisecond)
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := toolCommand(tool, []string{"NGINX_BUILD_CACHE=" + f.cache, "NGINX_BUILD_MIRROR="},
				"fetch", "--mirror", srv.URL, "-v", "1.30.1", "-openssl", "-opensslversion", "3.0.20", "--lockfile", filepath.Join(t.TempDir(), "none.lock"))
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Errorf("fetch %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	for _, p := range []string{"/nginx/nginx-1.30.1.tar.gz", "/openssl/openssl-3.0.20.tar.gz"} {
		if n := hits(p); n != 1 {
			t.Errorf("%s downloaded %d times, want once (the other run waits and uses it)", p, n)
		}
	}
	copies, _ := filepath.Glob(filepath.Join(f.cache, "sha256", "*", "*.tar.gz"))
	if len(copies) != 2 {
		t.Errorf("cache holds %v", copies)
	}
}

// interrupt starts the tool with the cache dir and env (NAME=value
// entries) added to the environment, waits until ready says the moment
// has come, sends SIGINT and returns its exit code, output and how long
// it took to stop.
func interrupt(t *testing.T, tool, cache string, env []string, ready func(out string) bool, args ...string) (int, string, time.Duration) {
	t.Helper()
	cmd := toolCommand(tool, append([]string{"NGINX_BUILD_CACHE=" + cache, "NGINX_BUILD_MIRROR="}, env...), args...)
	var out syncBuf
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Only a process that hangs past the test's own deadline is killed.
	giveUp := time.NewTimer(time.Until(waitUntil(t)))
	defer giveUp.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !ready(out.String()) {
		select {
		case <-done:
			t.Fatalf("the moment to interrupt never came: exited first:\n%s", out.String())
		case <-giveUp.C:
			cmd.Process.Kill()
			<-done
			t.Fatalf("the moment to interrupt never came:\n%s", out.String())
		case <-tick.C:
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	start := time.Now()
	select {
	case <-done:
	case <-giveUp.C:
		cmd.Process.Kill()
		<-done
		t.Fatalf("did not stop within %s of SIGINT:\n%s", time.Since(start).Round(time.Second), out.String())
	}
	took := time.Since(start)
	if took > 15*time.Second {
		t.Fatalf("did not stop within 15 s of SIGINT (took %s):\n%s", took, out.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), took
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestInterruptedBuildsRecover(t *testing.T) {
	t.Parallel()
	tool := buildTool(t)
	f := newFixture(t)
	lock := filepath.Join(t.TempDir(), "none.lock")
	// A big tarball (mostly zeros, small compressed) so that both the
	// download from the slow server and the extraction take a while.
	entries := []testmirror.Entry{{Name: "pcre2-10.99/"}}
	zeros := strings.Repeat("\x00", 4<<20)
	for i := range 40 {
		entries = append(entries, testmirror.Entry{Name: "pcre2-10.99/big" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Body: zeros})
	}
	entries[0].Type = '5'
	f.m.Add(t, "pcre2", "pcre2-10.99.tar.gz", entries)
	slow, _ := slowMirror(t, f.m.Dir, 5*time.Millisecond)

	// 1. During the download.
	code, out, took := interrupt(t, tool, f.cache, nil, func(o string) bool { return strings.Contains(o, "downloading pcre2") },
		"-d", f.work, "--mirror", slow.URL, "-v", "1.30.1", "-pcre", "-pcreversion", "10.99", "--lockfile", lock)
	if code == 0 || !strings.Contains(out, "interrupted") || took > 5*time.Second {
		t.Errorf("interrupted download: exit %d after %s\n%s", code, took, out)
	}
	if finals, _ := filepath.Glob(filepath.Join(f.cache, "sha256", "*", "pcre2-10.99.tar.gz")); len(finals) != 0 {
		t.Errorf("an interrupted download left %v in the cache", finals)
	}

	// 2. During extraction (from the cache, now filled).
	if r := run(t, "fetch", "--mirror", f.m.URL, "-v", "1.30.1", "-pcre", "-pcreversion", "10.99", "--lockfile", lock); r.code != 0 {
		t.Fatalf("fetch: %s", r.err)
	}
	build := filepath.Join(f.work, "nginx", "1.30.1")
	code, out, _ = interrupt(t, tool, f.cache, nil, func(string) bool {
		m, _ := filepath.Glob(filepath.Join(build, ".extract-*"))
		return len(m) > 0
	}, "-d", f.work, "--mirror", f.m.URL, "-v", "1.30.1", "-pcre", "-pcreversion", "10.99", "--lockfile", lock)
	if code == 0 {
		t.Errorf("interrupted extraction exited 0:\n%s", out)
	}
	if left, _ := filepath.Glob(filepath.Join(build, ".extract-*")); len(left) != 0 {
		t.Errorf("interrupted extraction left %v", left)
	}

	// 3. During make.
	code, out, took = interrupt(t, tool, f.cache, nil, func(o string) bool { return strings.Contains(o, "compiling with make") },
		"-d", f.work, "--mirror", f.m.URL, "-v", "1.30.1", "-pcre", "-pcreversion", "10.99", "--lockfile", lock, "--", "--test-slow-make")
	if code == 0 || took > 8*time.Second {
		t.Errorf("interrupted make: exit %d after %s\n%s", code, took, out)
	}

	// The next run picks up cleanly and builds for real.
	r := runCtx(t, context.Background(), "-d", f.work, "--mirror", f.m.URL, "-v", "1.30.1", "-pcre", "-pcreversion", "10.99", "--lockfile", lock)
	if r.code != 0 || strings.Contains(r.err, "up to date") {
		t.Fatalf("run after interruptions: exit %d\n%s", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Join(build, "nginx-1.30.1", "objs", "nginx")); err != nil {
		t.Errorf("no binary after the recovering run: %v", err)
	}
}

func TestSeveralMirrorsTriedInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A first mirror that has nginx but not zlib.
	partial := testmirror.New(t)
	partial.AddNginx(t, "nginx", "1.30.1")
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	r := run(t, "-d", f.work, "--mirror", partial.URL, "--mirror", f.m.URL, "-v", "1.30.1", "-zlib", "-zlibversion", "1.2.13")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	if partial.Requests("/nginx/nginx-1.30.1.tar.gz") != 1 || f.m.Requests("/zlib/zlib-1.2.13.tar.xz") != 1 || f.m.Requests("/nginx/nginx-1.30.1.tar.gz") != 0 {
		t.Errorf("nginx should come from the first mirror, zlib from the second")
	}
	// A first mirror that is down: versions and tarballs from the next one.
	setenv(t, "NGINX_BUILD_MIRROR", deadURL+","+f.m.URL)
	r = run(t, "-d", f.work, "-v", "1.30.x", "--cache-dir", t.TempDir(), "-clear")
	if r.code != 0 || !strings.Contains(r.err, "trying mirror "+f.m.URL) {
		t.Errorf("dead first mirror: exit %d\n%s", r.code, r.err)
	}
}

// TestDiskErrorsNameThePath: a work dir or cache that cannot be written
// (here: a file where a directory must go; root ignores permission bits)
// is reported with the path, not as a generic failure.
func TestDiskErrorsNameThePath(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	blocker := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(blocker, []byte("x"), 0o644)
	r := run(t, "-d", filepath.Join(blocker, "work"), "--mirror", f.m.URL, "-v", "1.30.1")
	if r.code != 1 || !strings.Contains(r.err, blocker) || !strings.Contains(r.err, "not a directory") {
		t.Errorf("unwritable work dir: exit %d\n%s", r.code, r.err)
	}
	r = run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "1.30.1", "--cache-dir", filepath.Join(blocker, "cache"))
	if r.code != 1 || !strings.Contains(r.err, blocker) || !strings.Contains(r.err, "not a directory") {
		t.Errorf("unwritable cache: exit %d\n%s", r.code, r.err)
	}
}

// Two runs on one work dir do not build into each other: the second waits
// for the first, saying which process it waits for, and then finds the
// build up to date; with --no-wait it fails at once instead.
func TestConcurrentRunsTakeTurnsInTheBuildDir(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	build := filepath.Join(f.work, "nginx", "1.30.1")
	lock := build + ".lock"
	// A make of ten compile steps, one at a time: two seconds of build.
	args := f.args("-j", "1", "--", "--test-compile=10")
	first := make(chan result, 1)
	go func() { first <- run(t, args...) }()
	// The second run starts once the first holds the build dir.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, _ := os.ReadFile(lock); len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first run never locked the build dir")
		}
		time.Sleep(20 * time.Millisecond)
	}
	held := "held by pid " + strconv.Itoa(os.Getpid()) // both runs are this process

	start := time.Now()
	r := run(t, append([]string{"--no-wait"}, args...)...)
	if r.code != 1 || time.Since(start) > 5*time.Second {
		t.Errorf("--no-wait: exit %d after %s, want 1 at once\n%s", r.code, time.Since(start), r.err)
	}
	mustContain(t, "--no-wait error", r.err, "the build in "+build+" is "+held+" (--no-wait)")

	r = run(t, args...)
	if r.code != 0 {
		t.Fatalf("second run: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "second run", r.err, "waiting for the build in "+build+" "+held, "is up to date")
	if a := <-first; a.code != 0 || strings.Contains(a.err, "waiting") {
		t.Fatalf("first run: exit %d\n%s", a.code, a.err)
	}
	// The lock is released on the way out: a third run does not wait.
	r = run(t, args...)
	if r.code != 0 || strings.Contains(r.err, "waiting") || !strings.Contains(r.err, "is up to date") {
		t.Errorf("third run: exit %d\n%s", r.code, r.err)
	}
}
