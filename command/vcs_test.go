package command

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nginx-build/nginx-build/lockfile"
)

// Builds sharing a cache (parallel CI jobs) must not trip over each
// other's clone of the same git module: only one clones, the others wait
// and reuse it.
func TestConcurrentBuildsShareTheGitCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	repo := gitRepo(t, filepath.Join(dir, "mod"))
	var msgs []string
	for i := range 30 { // enough history that a clone takes a moment
		msgs = append(msgs, fmt.Sprintf("c%d", i))
	}
	gitCommits(t, repo, msgs...)
	git(t, repo, "tag", "v1")
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[{"name": "mod", "url": "`+repo+`", "rev": "v1"}]`), 0o644)
	const n = 4
	var wg sync.WaitGroup
	res := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work := filepath.Join(dir, fmt.Sprintf("work%d", i))
			res[i] = runCtx(t, context.Background(), "-d", work, "--mirror", f.m.URL, "-v", "1.30.1", "-m", mods,
				"--lockfile", filepath.Join(dir, "none.lock"))
		}()
	}
	wg.Wait()
	for i, r := range res {
		if r.code != 0 {
			t.Errorf("build %d: exit %d\n%s", i, r.code, r.err)
		}
	}
	clones, _ := filepath.Glob(filepath.Join(f.cache, "git", "*.git"))
	if len(clones) != 1 {
		t.Errorf("git cache holds %v, want one clone", clones)
	}
	leftovers, _ := filepath.Glob(filepath.Join(f.cache, "git", "*part*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary clones left in the cache: %v", leftovers)
	}
	for i := range n {
		head := gitHead(t, filepath.Join(dir, fmt.Sprintf("work%d", i), "nginx", "1.30.1", "mod"))
		if head != gitHead(t, repo) {
			t.Errorf("build %d has the module at %s", i, head)
		}
	}
}

// A rev may be an abbreviated commit, which git ls-remote cannot see: it
// is looked up in the cache's clone. One that does not exist is an error
// at its place in modules.json.
func TestShortCommitRev(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := gitRepo(t, filepath.Join(dir, "mod"))
	first := gitHead(t, repo)
	gitCommit(t, repo, "second")
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[{"name": "mod", "url": "`+repo+`", "rev": "`+first[:7]+`"}]`), 0o644)
	r := run(t, f.args("-m", mods)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	if got := gitHead(t, filepath.Join(f.work, "nginx", "1.30.1", "mod")); got != first {
		t.Errorf("module at %s, want %s", got, first)
	}
	rec, _ := os.ReadFile(filepath.Join(f.work, "nginx", "1.30.1", "build-info.json"))
	mustContain(t, "build record", string(rec), `"commit": "`+first+`"`)

	os.WriteFile(mods, []byte("[\n  {\"name\": \"mod\", \"url\": \""+repo+"\", \"rev\": \"abcdef1\"}\n]"), 0o644)
	r = run(t, f.args("-m", mods)...)
	if r.code != 1 {
		t.Fatalf("missing short commit: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, mods+":2:3: module mod: rev \"abcdef1\" does not exist in "+repo)
}

// git's own words reach the user when ls-remote fails, and git never
// prompts for a password: a private repository is an error, not a hang.
func TestGitLsRemoteErrorsShowGitsMessage(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	mods := filepath.Join(dir, "modules.json")
	missing := filepath.Join(dir, "no-such-repo")
	os.WriteFile(mods, []byte(`[{"name": "mod", "url": "`+missing+`", "rev": "v1"}]`), 0o644)
	r := run(t, f.args("-m", mods)...)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, mods+":1:2: module mod: git ls-remote "+missing, "does not appear to be a git repository")

	// A server that wants credentials: git must not ask for them, whatever
	// the environment says.
	t.Setenv("GIT_TERMINAL_PROMPT", "")
	os.Unsetenv("GIT_TERMINAL_PROMPT")
	srv := authServer(t)
	os.WriteFile(mods, []byte(`[{"name": "mod", "url": "`+srv+`/private.git", "rev": "v1"}]`), 0o644)
	r = run(t, f.args("-m", mods)...)
	if r.code != 1 {
		t.Fatalf("private repo: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "git ls-remote "+srv+"/private.git", "terminal prompts disabled")
}

// authServer is a git HTTP server that answers every request with 401.
func authServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="private"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// needHg skips a test without Mercurial, except in CI, which must have it.
func needHg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("hg"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("hg (Mercurial) is not installed; CI must have it: %v", err)
		}
		t.Skip("hg (Mercurial) is not installed")
	}
}

func hg(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("hg", append([]string{"--config", "ui.username=t <t@example.test>"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HGPLAIN=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hg %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func hgCommit(t *testing.T, dir, file string) string {
	t.Helper()
	os.WriteFile(filepath.Join(dir, file), []byte(file+"\n"), 0o644)
	// Add, commit and learn the changeset in one (slow to start) hg.
	out := hg(t, dir, "commit", "-A", "-m", file, "--debug")
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "committed changeset "); ok {
			if _, node, ok := strings.Cut(rest, ":"); ok && len(node) == 40 {
				return node
			}
		}
	}
	t.Fatalf("hg commit --debug named no changeset:\n%s", out)
	return ""
}

// hg modules are cached like git ones and pinned to a changeset up front:
// a branch that moves rebuilds, the changeset is recorded, and a rev that
// does not exist fails before anything is downloaded.
func TestHgModule(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		// About 30 Mercurial processes at ~0.3 s of CPU each (Python
		// start-up) in one chain of runs: the full tier runs it.
		t.Skip("-short: Mercurial is slow to start; run without -short")
	}
	needHg(t)
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := filepath.Join(dir, "hgmod")
	os.MkdirAll(repo, 0o755)
	hg(t, repo, "init")
	os.WriteFile(filepath.Join(repo, "config"), []byte("ngx_addon_name=hgmod\n"), 0o644)
	first := hgCommit(t, repo, "config")
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[{"name": "hgmod", "form": "hg", "url": "`+repo+`", "rev": "default"}]`), 0o644)
	args := f.args("-m", mods)
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	mod := filepath.Join(f.work, "nginx", "1.30.1", "hgmod")
	if got := hg(t, mod, "log", "-r", ".", "-T", "{node}"); got != first {
		t.Errorf("module at %s, want %s", got, first)
	}
	mustContain(t, "configure args", strings.Join(f.configureArgs(t), " "), "--add-module=../hgmod")
	rec, _ := os.ReadFile(filepath.Join(f.work, "nginx", "1.30.1", "build-info.json"))
	mustContain(t, "build record", string(rec), `"commit": "`+first+`"`)
	if clones, _ := filepath.Glob(filepath.Join(f.cache, "hg", "*.hg")); len(clones) != 1 {
		t.Errorf("hg cache holds %v, want one clone", clones)
	}
	if r := run(t, args...); !strings.Contains(r.err, "up to date") {
		t.Errorf("unchanged rerun rebuilt:\n%s", r.err)
	}

	// The branch moves: same modules.json, new changeset, rebuilt from
	// the cache after a pull.
	second := hgCommit(t, repo, "ngx_hgmod.c")
	r = run(t, args...)
	if r.code != 0 || strings.Contains(r.err, "up to date") {
		t.Fatalf("moved branch did not rebuild: exit %d\n%s", r.code, r.err)
	}
	if got := hg(t, mod, "log", "-r", ".", "-T", "{node}"); got != second {
		t.Errorf("module at %s, want %s", got, second)
	}

	// The lockfile pins the changeset; a locked build keeps it while the
	// branch moves on.
	if r := run(t, "lock", "--mirror", f.m.URL, "-v", "1.30.1", "-m", mods); r.code != 0 {
		t.Fatalf("lock: %s", r.err)
	}
	l, _ := lockfile.Read(filepath.Join(dir, "nginx-build.lock"))
	if len(l.Modules) != 1 || l.Modules[0].Commit != second || l.Modules[0].Form != "hg" {
		t.Fatalf("lockfile modules %+v, want hg at %s", l.Modules, second)
	}
	hgCommit(t, repo, "third")
	if r := run(t, append(args, "--locked")...); r.code != 0 {
		t.Fatalf("locked build: exit %d\n%s", r.code, r.err)
	}
	if got := hg(t, mod, "log", "-r", ".", "-T", "{node}"); got != second {
		t.Errorf("locked build has the module at %s, want %s", got, second)
	}
	os.Remove(filepath.Join(dir, "nginx-build.lock"))

	// A rev that does not exist: an error at its place, before any download.
	g := newFixture(t)
	os.WriteFile(mods, []byte("[\n  {\"name\": \"hgmod\", \"form\": \"hg\", \"url\": \""+repo+"\", \"rev\": \"nosuch\"}\n]"), 0o644)
	r = run(t, "-d", g.work, "--mirror", g.m.URL, "-v", "1.30.1", "-m", mods)
	if r.code != 1 {
		t.Fatalf("bad rev: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, mods+`:2:3: module hgmod: rev "nosuch" does not exist in `+repo)
	if n := g.m.TarballRequests(); n != 0 {
		t.Errorf("%d tarball requests before the bad rev was reported", n)
	}
}
