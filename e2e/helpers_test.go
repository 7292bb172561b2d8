package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// toolMargin is how long before the test's deadline a tool run is
// interrupted: time for the tool to stop its children and for the test to
// clean up its temporary directories and report. toolGrace is how long
// the tool has to exit after SIGINT before it is killed.
const (
	toolMargin = time.Minute
	toolGrace  = 30 * time.Second
)

// toolRun is a command run under a limit derived from the test's deadline.
type toolRun struct {
	*exec.Cmd
	ctx   context.Context
	limit time.Duration
}

// toolCommand is the nginx-build binary run in dir with its own cache and
// no mirror from the environment. A loaded CI machine can make a real
// build take very long, so there is no fixed time limit: only when the
// test's own deadline (go test -timeout) comes near is the tool
// interrupted like Ctrl-C, which it answers by stopping its children
// and exiting; it is killed only if it does not.
func toolCommand(t *testing.T, tool, dir, cache string, env []string, args ...string) toolRun {
	t.Helper()
	deadline, _ := t.Deadline()
	r := interruptible(t, deadline, toolMargin, toolGrace, tool, args...)
	r.Dir = dir
	r.Env = append(append(os.Environ(), "NGINX_BUILD_CACHE="+cache, "NGINX_BUILD_MIRROR=", "NGINX_BUILD_SOURCE="), env...)
	return r
}

// interruptible is name run until margin before deadline (no limit for a
// zero deadline); then it gets SIGINT, and SIGKILL only if it has not
// exited grace later.
func interruptible(t *testing.T, deadline time.Time, margin, grace time.Duration, name string, args ...string) toolRun {
	t.Helper()
	r := toolRun{ctx: context.Background()}
	if !deadline.IsZero() {
		until := deadline.Add(-margin)
		r.limit = time.Until(until)
		var cancel context.CancelFunc
		r.ctx, cancel = context.WithDeadline(r.ctx, until)
		t.Cleanup(cancel)
	}
	cmd := exec.CommandContext(r.ctx, name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = grace
	r.Cmd = cmd
	return r
}

// timedOut reports whether the run reached its limit.
func (r toolRun) timedOut() bool { return errors.Is(r.ctx.Err(), context.DeadlineExceeded) }

// explain says that a failed run was stopped at its limit: interrupted,
// it exits with an error of its own that does not say why.
func (r toolRun) explain(err error) error {
	if err != nil && r.timedOut() {
		return fmt.Errorf("timed out after %s (the test's deadline is near): %w", r.limit.Round(time.Second), err)
	}
	return err
}

// runTool runs the nginx-build binary in dir (so no nginx-build.lock of the
// repository is picked up) with its own cache and no mirror from the
// environment, and fails the test if it fails.
func runTool(t *testing.T, tool, dir, cache string, args ...string) (string, time.Duration) {
	t.Helper()
	return runToolEnv(t, tool, dir, cache, nil, args...)
}

// runToolEnv is runTool with extra environment variables.
func runToolEnv(t *testing.T, tool, dir, cache string, env []string, args ...string) (string, time.Duration) {
	t.Helper()
	cmd := toolCommand(t, tool, dir, cache, env, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.explain(cmd.Run()); err != nil {
		t.Fatalf("nginx-build %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), time.Since(start)
}

// startNginx starts an nginx in the foreground (the configuration must say
// daemon off); it is stopped when the test ends. The returned buffer
// collects its output for failure messages.
func startNginx(t *testing.T, bin string, args ...string) *bytes.Buffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	return &out
}

// getRetry GETs url, retrying while nginx starts (10 s at most); hdr are
// request header name/value pairs.
func getRetry(t *testing.T, client *http.Client, url string, nginxOut *bytes.Buffer, hdr ...string) *http.Response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err == nil {
			return resp
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v\nnginx output: %s", url, err, nginxOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serveDir serves dir (a mirror of real tarballs) over HTTP on loopback
// until the test ends.
func serveDir(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv
}
