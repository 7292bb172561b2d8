package modules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/module3rd"
)

func testCache(t *testing.T) Cache {
	var out bytes.Buffer
	return Cache{Dir: t.TempDir(), IO: iostreams.New(&out, &out)}
}

func TestFor(t *testing.T) {
	t.Parallel()
	for form, want := range map[string]Form{"git": gitForm{}, "hg": hgForm{}, "local": localForm{}, "tarball": tarballForm{}, "debian": tarballForm{}} {
		got, err := For(form)
		if err != nil || reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Errorf("For(%q) = %T, %v; want %T", form, got, err, want)
		}
	}
	for _, form := range []string{"svn", ""} {
		if f, err := For(form); err == nil || f != nil || !strings.Contains(err.Error(), fmt.Sprintf("unknown module form %q", form)) {
			t.Errorf("For(%q) = %v, %v", form, f, err)
		}
	}
}

func TestGitFormPin(t *testing.T) {
	t.Parallel()
	repo, first, second := testrepo.GitRepo(t)
	missing := filepath.Join(t.TempDir(), "no-such-repo")
	const fixed = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name      string
		url, rev  string
		want      string
		wantCache bool // resolved in the cache's clone
		wantErr   string
	}{
		{name: "tag", url: repo, rev: "v1", want: first},
		{name: "branch", url: repo, rev: "main", want: second},
		{name: "default branch", url: repo, want: second},
		{name: "full commit id as is", url: missing, rev: fixed, want: fixed},
		{name: "abbreviated commit through the cache", url: repo, rev: first[:10], want: first, wantCache: true},
		{name: "missing rev", url: repo, rev: "nope", wantErr: `module m: rev "nope" does not exist in ` + repo},
		{name: "missing abbreviated commit", url: repo, rev: "abcdef1234", wantErr: `rev "abcdef1234" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := testCache(t)
			m := module3rd.Module{Name: "m", Form: "git", URL: tt.url, Rev: tt.rev}
			got, err := gitForm{}.Pin(context.Background(), c, m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Pin = %q, want %q", got, tt.want)
			}
			if _, err := os.Stat(c.Repo(m)); (err == nil) != tt.wantCache {
				t.Errorf("cache clone exists: %v, want %v", err == nil, tt.wantCache)
			}
		})
	}
}

func TestLocalFormProvision(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := module3rd.Module{Name: "here", Form: "local", URL: dir}
	tree, commit, err := localForm{}.Provision(context.Background(), testCache(t), m, Provision{Dir: filepath.Join(t.TempDir(), "here")})
	if err != nil || tree != dir || commit != "" {
		t.Errorf("Provision = %q, %q, %v; want the module's own directory", tree, commit, err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{filepath.Join(dir, "missing"), file} {
		m.URL = url
		if _, _, err := (localForm{}).Provision(context.Background(), testCache(t), m, Provision{}); err == nil || !strings.Contains(err.Error(), "module here: local directory "+url+" not found") {
			t.Errorf("%s: err = %v", url, err)
		}
	}
	if c, err := (localForm{}).Pin(context.Background(), testCache(t), m); c != "" || err != nil {
		t.Errorf("Pin = %q, %v", c, err)
	}
}

func TestTarballFormProvision(t *testing.T) {
	t.Parallel()
	m := module3rd.Module{Name: "t", Form: "tarball", URL: "https://example.org/t.tar.gz"}
	called := false
	extract := func(ctx context.Context, tarball, dir string) error { called = true; return nil }
	if _, _, err := (tarballForm{}).Provision(context.Background(), testCache(t), m, Provision{Dir: "/x/t", Extract: extract}); err == nil || !strings.Contains(err.Error(), "module t: tarball was not fetched") || called {
		t.Errorf("without a tarball: err = %v, extracted %v", err, called)
	}
	var gotTarball, gotDir string
	extract = func(ctx context.Context, tarball, dir string) error { gotTarball, gotDir = tarball, dir; return nil }
	tree, commit, err := tarballForm{}.Provision(context.Background(), testCache(t), m, Provision{Dir: "/x/t", Tarball: "/cache/t.tar.gz", Extract: extract})
	if err != nil || tree != "/x/t" || commit != "" || gotTarball != "/cache/t.tar.gz" || gotDir != "/x/t" {
		t.Errorf("Provision = %q, %q, %v; extracted %q into %q", tree, commit, err, gotTarball, gotDir)
	}
	boom := fmt.Errorf("boom")
	if _, _, err := (tarballForm{}).Provision(context.Background(), testCache(t), m, Provision{Dir: "/x/t", Tarball: "/c", Extract: func(context.Context, string, string) error { return boom }}); err != boom {
		t.Errorf("extract error: %v", err)
	}
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestTarballArtifact(t *testing.T) {
	t.Parallel()
	local := filepath.Join(t.TempDir(), "echo-1.0.tar.gz")
	if err := os.WriteFile(local, []byte("tarball bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	localSum := fileSum(t, local)
	pinned := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		module  module3rd.Module
		wantURL string
		wantKey string
		wantPin string
		wantErr string
	}{
		{name: "path", module: module3rd.Module{Name: "echo", Form: "tarball", URL: local},
			wantURL: "file://" + filepath.ToSlash(local), wantKey: "sha256:" + localSum},
		{name: "file URL", module: module3rd.Module{Name: "echo", Form: "tarball", URL: "file://" + local},
			wantURL: "file://" + local, wantKey: "sha256:" + localSum},
		{name: "URL", module: module3rd.Module{Name: "echo", Form: "tarball", URL: "https://example.org/echo-1.0.tar.gz"},
			wantURL: "https://example.org/echo-1.0.tar.gz"},
		{name: "URL with sha256", module: module3rd.Module{Name: "echo", Form: "tarball", URL: "https://example.org/echo-1.0.tar.gz", Checksum: "sha256:" + strings.ToUpper(pinned)},
			wantURL: "https://example.org/echo-1.0.tar.gz", wantKey: "https://example.org/echo-1.0.tar.gz#sha256:" + pinned, wantPin: pinned},
		{name: "bad checksum", module: module3rd.Module{Name: "echo", Form: "tarball", URL: "https://example.org/e.tar.gz", Checksum: "md5:x"}, wantErr: "module echo:"},
		{name: "missing file", module: module3rd.Module{Name: "echo", Form: "tarball", URL: local + ".gone"}, wantErr: "module echo:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := TarballArtifact(tt.module)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(a.URLs) != 1 || a.URLs[0] != tt.wantURL || a.CacheKey != tt.wantKey || a.PinnedSHA256 != tt.wantPin {
				t.Errorf("artifact = %+v; want URL %q, CacheKey %q, pin %q", a, tt.wantURL, tt.wantKey, tt.wantPin)
			}
			if a.Component != "module-echo" || a.FileName != "echo-1.0.tar.gz" || a.PinnedBy != "modules.json" {
				t.Errorf("artifact = %+v", a)
			}
		})
	}
	// A local tarball is known by its content: new content, new key. (A
	// file of its own: the subtests above run after this.)
	moving := filepath.Join(t.TempDir(), "echo-1.0.tar.gz")
	if err := os.WriteFile(moving, []byte("tarball bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	mm := module3rd.Module{Name: "echo", Form: "tarball", URL: moving}
	before, _ := TarballArtifact(mm)
	if err := os.WriteFile(moving, []byte("other bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := TarballArtifact(mm)
	if err != nil || after.CacheKey == before.CacheKey || after.CacheKey != "sha256:"+fileSum(t, moving) {
		t.Errorf("cache key %q after the content changed (was %q), %v", after.CacheKey, before.CacheKey, err)
	}
}

func TestLocalTarballSHA256(t *testing.T) {
	t.Parallel()
	local := filepath.Join(t.TempDir(), "t.tar.gz")
	if err := os.WriteFile(local, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := fileSum(t, local)
	tests := []struct {
		module  module3rd.Module
		want    string
		wantErr string
	}{
		{module: module3rd.Module{Name: "t", Form: "tarball", URL: local}, want: sum},
		{module: module3rd.Module{Name: "t", Form: "tarball", URL: "file://" + local}, want: sum},
		{module: module3rd.Module{Name: "t", Form: "tarball", URL: "https://example.org/t.tar.gz"}},
		{module: module3rd.Module{Name: "t", Form: "git", URL: local}},
		{module: module3rd.Module{Name: "t", Form: "debian", URL: local}},
		{module: module3rd.Module{Name: "t", Form: "tarball", URL: local + ".gone", Pos: "modules.json:4"}, wantErr: "modules.json:4: module t:"},
	}
	for _, tt := range tests {
		got, err := LocalTarballSHA256(tt.module)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: err = %v, want %q", tt.module, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%+v: = %q, %v; want %q", tt.module, got, err, tt.want)
		}
	}
}

// TestCheckoutGitReportsFailedClone: a module whose cache clone is missing
// cannot be cloned into its tree, and that is the error returned (it used
// to be dropped, and the run failed later at checkout, or not at all).
func TestCheckoutGitReportsFailedClone(t *testing.T) {
	t.Parallel()
	c := testCache(t)
	m := module3rd.Module{Name: "m", Form: "git", URL: "https://example.invalid/m.git", Rev: "main"}
	dir := filepath.Join(t.TempDir(), "m")
	commit, err := c.CheckoutGit(context.Background(), m, strings.Repeat("a", 40), dir, filepath.Join(t.TempDir(), "m.log"))
	if err == nil || !strings.Contains(err.Error(), "module m: git clone:") || strings.Contains(err.Error(), "git checkout") {
		t.Fatalf("CheckoutGit = %q, %v; want the clone's error", commit, err)
	}
	if commit != "" {
		t.Errorf("commit = %q after a failed clone", commit)
	}

	// And the happy path, for contrast: a cache clone at hand is checked out.
	repo, first, _ := testrepo.GitRepo(t)
	good := module3rd.Module{Name: "g", Form: "git", URL: repo, Rev: "v1"}
	if err := c.FetchGit(context.Background(), good, first); err != nil {
		t.Fatal(err)
	}
	gdir := filepath.Join(t.TempDir(), "g")
	got, err := c.CheckoutGit(context.Background(), good, first, gdir, filepath.Join(t.TempDir(), "g.log"))
	if err != nil || got != first {
		t.Fatalf("CheckoutGit = %q, %v; want %s", got, err, first)
	}
	if b, err := os.ReadFile(filepath.Join(gdir, "config")); err != nil || string(b) != "ngx_addon_name=x\n" {
		t.Errorf("config = %q, %v", b, err)
	}
	// An existing tree whose fetch fails is reported too: remove the cache clone.
	if err := os.RemoveAll(c.Repo(good)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CheckoutGit(context.Background(), good, first, gdir, filepath.Join(t.TempDir(), "g.log")); err == nil || !strings.Contains(err.Error(), "module g: git fetch:") {
		t.Errorf("failed fetch: err = %v", err)
	}
}

// Without git on PATH, pinning a git module says what to install, not
// exec's "executable file not found". (Not parallel: it changes PATH.)
func TestGitNotInstalledNamesThePackage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	m := module3rd.Module{Name: "m", Form: "git", URL: "https://example.org/m.git", Rev: "main"}
	_, err := gitForm{}.Pin(context.Background(), testCache(t), m)
	if err == nil || !strings.Contains(err.Error(), "git is not installed: install it (apt-get install git)") {
		t.Fatalf("err = %v, want git named with its package", err)
	}
}
