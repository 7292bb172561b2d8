package command

import (
	"path/filepath"
	"strings"
	"testing"
)

// Offline: a host that does not resolve gives one line naming the URL once
// and the cause, and a hint at air-gapped builds.
func TestUnreachableMirrorIsOneLineWithAHint(t *testing.T) {
	t.Parallel()
	newFixture(t)
	const mirror = "http://nginx-build-test.invalid/"
	r := run(t, "fetch", "--mirror", mirror, "-v", "1.30.1")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
	}
	lines := strings.Split(strings.TrimSpace(r.err), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "nginx-build: ") {
		t.Fatalf("want one error line and one hint, got:\n%s", r.err)
	}
	if strings.Count(lines[0], "nginx-build-test.invalid") != 2 || // the URL and the host
		!strings.Contains(lines[0], "cannot reach "+mirror+"nginx/: cannot resolve host nginx-build-test.invalid") {
		t.Errorf("error line: %s", lines[0])
	}
	if lines[1] != "hint: no network? use --mirror DIR or --source debian (see README: Air-gapped builds)" {
		t.Errorf("hint line: %s", lines[1])
	}
}

// git ls-remote's own explanation reaches the user when a custom git
// source cannot be read.
func TestGitLsRemoteFailureShowsGitsMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	repo := filepath.Join(t.TempDir(), "no-such-repo")
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-customnginx", repo, "-customnginxname", "mynginx", "-customnginxtag", "r1", "--dry-run")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "git ls-remote "+repo, "does not appear to be a git repository")
}
