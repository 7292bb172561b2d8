package command

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Builds sharing a cache (parallel CI jobs) must not trip over each
// other's clone of the same git module: only one clones, the others wait
// and reuse it.
func TestConcurrentBuildsShareTheGitCache(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	repo := gitRepo(t, filepath.Join(dir, "mod"))
	for i := range 30 { // enough history that a clone takes a moment
		gitCommit(t, repo, fmt.Sprintf("c%d", i))
	}
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
	f := newFixture(t)
	dir := t.TempDir()
	t.Chdir(dir)
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
	t.Chdir(dir)
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
