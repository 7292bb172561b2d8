package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCCacheRemoteSharesObjects builds real nginx 1.22.1 (system
// libraries) twice, in new work dirs with separate private ccache dirs
// that share only a Redis through --ccache-remote: the second build gets
// nearly every object from the Redis, and says so in its summary and its
// build record.
func TestCCacheRemoteSharesObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("real compile tier skipped in -short mode")
	}
	mirror := mirrorDir(t)
	for _, tool := range []string{"ccache", "redis-server"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed under CI (.ci/run installs it)", tool)
			}
			t.Skipf("%s is not installed (apt-get install ccache redis-server)", tool)
		}
	}
	tool := buildTool(t)
	srv := serveDir(t, mirror)
	remote := startRedis(t)

	tmp := t.TempDir()
	build := func(work string) string {
		env := []string{"CCACHE_DIR=" + filepath.Join(tmp, work+"-ccache"), "CCACHE_REMOTE_STORAGE=", "NGINX_BIN=", "SOURCE_DATE_EPOCH="}
		args := []string{"-d", filepath.Join(tmp, work), "-v", "1.22.1", "--mirror", srv.URL, "-j", "2", "--ccache-remote", remote}
		out, took := runToolEnv(t, tool, tmp, filepath.Join(tmp, "cache"), env, args...)
		t.Logf("%s: %s", work, took.Round(time.Second))
		return out
	}
	summary := regexp.MustCompile(`ccache: (\d+) hits, (\d+) misses \(\d+% hit rate\); remote storage: (\d+) hits, (\d+) misses — on because --ccache-remote ` + regexp.QuoteMeta(remote))

	out := build("w1")
	m := summary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("first build: no ccache summary with remote storage:\n%s", out)
	}
	t.Log(m[0])
	if misses, _ := strconv.Atoi(m[4]); misses < 50 {
		t.Errorf("first build: %s remote misses, want one per object (over 50):\n%s", m[4], out)
	}

	out = build("w2")
	m = summary.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("second build: no ccache summary with remote storage:\n%s", out)
	}
	t.Log(m[0])
	hits, _ := strconv.Atoi(m[1])
	misses, _ := strconv.Atoi(m[2])
	remoteHits, _ := strconv.Atoi(m[3])
	if hits+misses < 50 || remoteHits*10 < (hits+misses)*9 {
		t.Errorf("second build: %d of %d compiles from remote storage, want at least 90%%:\n%s", remoteHits, hits+misses, out)
	}
	rec := readCCacheRecord(t, out)
	if !rec.Used || rec.RemoteHits != remoteHits || rec.Hits != hits || !strings.Contains(rec.Reason, "--ccache-remote") {
		t.Errorf("build-info.json ccache = %+v, summary %q", rec, m[0])
	}
	bin := func(work string) string {
		return sha(t, filepath.Join(tmp, work, "nginx", "1.22.1", "nginx-1.22.1", "objs", "nginx"))
	}
	if a, b := bin("w1"), bin("w2"); a != b {
		t.Errorf("the binary built from remote objects differs: %s vs %s", b, a)
	}
}

// readCCacheRecord reads the ccache part of the build record a build
// printed the path of.
func readCCacheRecord(t *testing.T, out string) (c struct {
	Used       bool   `json:"used"`
	Reason     string `json:"reason"`
	Hits       int    `json:"hits"`
	RemoteHits int    `json:"remote_hits"`
}) {
	t.Helper()
	m := regexp.MustCompile(`build record: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no build record in:\n%s", out)
	}
	b, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		CCache *json.RawMessage `json:"ccache"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.CCache == nil {
		t.Fatalf("%s: no ccache (%v):\n%s", m[1], err, b)
	}
	if err := json.Unmarshal(*rec.CCache, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// startRedis runs a private redis-server on a free loopback port, with
// its own dir and no persistence, until the test ends, and returns its
// URL for ccache. It is stopped with SIGTERM and waited for; only if it
// has not exited when the test's deadline comes near is it killed.
func startRedis(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	logPath := filepath.Join(dir, "redis.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { stopRedis(t, cmd, exited, logPath) })

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err // for stopRedis
			b, _ := os.ReadFile(logPath)
			t.Fatalf("redis-server exited at start: %v\n%s", err, b)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return fmt.Sprintf("redis://%s", addr)
		}
		if time.Since(start) > 30*time.Second {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("redis-server does not answer on %s after 30 s:\n%s", addr, b)
		}
	}
}

// stopRedis sends redis-server SIGTERM and waits for it to exit, until
// shortly before the test's deadline (without one, as long as it takes).
func stopRedis(t *testing.T, cmd *exec.Cmd, exited chan error, logPath string) {
	cmd.Process.Signal(syscall.SIGTERM)
	var near <-chan time.Time
	if deadline, ok := t.Deadline(); ok {
		timer := time.NewTimer(time.Until(deadline.Add(-toolGrace)))
		defer timer.Stop()
		near = timer.C
	}
	select {
	case <-exited:
	case <-near:
		b, _ := os.ReadFile(logPath)
		t.Errorf("redis-server did not exit on SIGTERM before the test's deadline; killed\n%s", b)
		cmd.Process.Kill()
		<-exited
	}
}
