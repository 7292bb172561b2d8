package command

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fmtSscan(s string, v *int) (int, error) { return fmt.Sscan(s, v) }

func filepathWalk(t *testing.T, root string, fn func(string)) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fn(p)
		}
		return nil
	})
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.email=t@example.test", "-c", "user.name=t", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitRepo makes a real git repository holding an nginx module config.
func gitRepo(t *testing.T, dir string) string {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	git(t, dir, "init", "-q")
	os.WriteFile(filepath.Join(dir, "config"), []byte("ngx_addon_name=mod\n"), 0o644)
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "first")
	return dir
}

func gitCommit(t *testing.T, dir, msg string) {
	t.Helper()
	os.WriteFile(filepath.Join(dir, msg), []byte(msg), 0o644)
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", msg)
}

// gitCommits is gitCommit for each of msgs in turn, in one git process
// (git fast-import) rather than two per commit.
func gitCommits(t *testing.T, dir string, msgs ...string) {
	t.Helper()
	ref := git(t, dir, "symbolic-ref", "HEAD")
	var in strings.Builder
	for i, msg := range msgs {
		fmt.Fprintf(&in, "commit %s\ncommitter t <t@example.test> %d +0000\ndata %d\n%s\n", ref, time.Now().Unix(), len(msg), msg)
		if i == 0 {
			fmt.Fprintf(&in, "from %s\n", gitHead(t, dir))
		}
		fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", msg, len(msg), msg)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v\n%s", err, out)
	}
	// The work tree and index follow, as after git commit.
	git(t, dir, "reset", "-q", "--hard")
}

func gitHead(t *testing.T, dir string) string { return git(t, dir, "rev-parse", "HEAD") }
