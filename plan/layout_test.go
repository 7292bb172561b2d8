package plan

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/pin"
)

// TestCustomLayout: custom sources are laid out as nginx-build lays them
// out, whatever their tag and form: a custom nginx N builds in
// <work>/nginx/N/N-custom, a custom SSL library S sits beside the server
// tree as S-custom and configure gets --with-openssl=../S-custom.
func TestCustomLayout(t *testing.T) {
	t.Parallel()
	const (
		gitURL     = "https://example.invalid/fork.git"
		tarballURL = "https://example.invalid/fork-2.0.tar.gz"
	)
	tests := []struct {
		name      string
		server    pin.Component
		ssl       pin.Component
		buildDir  string // below the work dir
		sourceDir string // below the build dir
		openssl   string
		gitTrees  []module3rd.Module
	}{
		{name: "git with tag", server: pin.Component{Name: "mynginx", Constraint: "r2.0", Version: "r2.0", CustomURL: gitURL},
			buildDir: "nginx/mynginx", sourceDir: "mynginx-custom",
			gitTrees: []module3rd.Module{{Name: "mynginx-custom", Form: "git", URL: gitURL, Rev: "r2.0"}}},
		{name: "git, default branch", server: pin.Component{Name: "customnginx", Constraint: DefaultBranch, Version: DefaultBranch, CustomURL: gitURL},
			buildDir: "nginx/customnginx", sourceDir: "customnginx-custom",
			gitTrees: []module3rd.Module{{Name: "customnginx-custom", Form: "git", URL: gitURL, Rev: "HEAD"}}},
		{name: "tarball with tag", server: pin.Component{Name: "fork", Constraint: "2.0", Version: "2.0", CustomURL: tarballURL},
			buildDir: "nginx/fork", sourceDir: "fork-custom"},
		{name: "tarball", server: pin.Component{Name: "customnginx", Constraint: "custom", Version: "custom", CustomURL: tarballURL},
			buildDir: "nginx/customnginx", sourceDir: "customnginx-custom"},
		{name: "custom SSL tarball", server: pin.Component{Name: "nginx", Constraint: "1.30.1", Version: "1.30.1"},
			ssl:      pin.Component{Name: "customssl", Constraint: "3.5", Version: "3.5", CustomURL: "https://example.invalid/ssl-3.5.tar.gz"},
			buildDir: "nginx/1.30.1", sourceDir: "nginx-1.30.1", openssl: "--with-openssl=../customssl-custom"},
		{name: "custom SSL from git with a custom nginx", server: pin.Component{Name: "mynginx", Constraint: "r2.0", Version: "r2.0", CustomURL: gitURL},
			ssl:      pin.Component{Name: "myssl", Constraint: DefaultBranch, Version: DefaultBranch, CustomURL: "https://example.invalid/ssl.git"},
			buildDir: "nginx/mynginx", sourceDir: "mynginx-custom", openssl: "--with-openssl=../myssl-custom",
			gitTrees: []module3rd.Module{{Name: "mynginx-custom", Form: "git", URL: gitURL, Rev: "r2.0"}, {Name: "myssl-custom", Form: "git", URL: "https://example.invalid/ssl.git", Rev: "HEAD"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := testPlan(t)
			p.Server = Component{Name: tt.server.Name, Constraint: tt.server.Constraint, CustomURL: tt.server.CustomURL}
			comps := []pin.Component{tt.server}
			if tt.ssl.Name != "" {
				p.Libraries = []Component{{Name: tt.ssl.Name, Constraint: tt.ssl.Constraint, CustomURL: tt.ssl.CustomURL}}
				comps = append(comps, tt.ssl)
			}
			p.GitSources = GitSourcesOf(p.Components())
			r := pinned(p, comps...)
			if got, want := r.BuildDir(), filepath.Join(p.WorkDir, tt.buildDir); got != want {
				t.Errorf("BuildDir = %s, want %s", got, want)
			}
			if got, want := r.SourceDir(), filepath.Join(p.WorkDir, tt.buildDir, tt.sourceDir); got != want {
				t.Errorf("SourceDir = %s, want %s", got, want)
			}
			if !slices.Equal(p.GitSources, tt.gitTrees) {
				t.Errorf("git sources = %+v, want %+v", p.GitSources, tt.gitTrees)
			}
			for _, g := range p.GitSources {
				if c, ok := p.SourceOf(g); !ok || CustomTreeName(c.Name) != g.Name {
					t.Errorf("SourceOf(%s) = %+v, %v", g.Name, c, ok)
				}
			}
			if tt.openssl == "" {
				return
			}
			script, _, _, err := generateScript(r)
			if err != nil {
				t.Fatal(err)
			}
			args, err := configure.Args(script)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(args, tt.openssl) || !slices.Contains(args, "--with-http_ssl_module") {
				t.Errorf("configure args %q lack %s", args, tt.openssl)
			}
			if got := filepath.Base(r.TreeDir(tt.ssl)); "--with-openssl=../"+got != tt.openssl {
				t.Errorf("the SSL tree is %s, configure is given %s", got, tt.openssl)
			}
		})
	}
}

// TestCustomTreeNameIsTaken: a module may not be called like a custom
// source's tree, which sits in the same directory.
func TestCustomTreeNameIsTaken(t *testing.T) {
	t.Parallel()
	p := testPlan(t)
	p.Libraries = []Component{{Name: "myssl", Constraint: "custom", CustomURL: "https://example.invalid/ssl.tar.gz"}}
	p.Modules = []module3rd.Module{{Name: "myssl-custom", Form: "git"}}
	r := pinned(p, pin.Component{Name: "nginx", Version: "1.30.1"}, pin.Component{Name: "myssl", Version: "custom", CustomURL: "https://example.invalid/ssl.tar.gz"})
	if err := r.checkModuleNames(); err == nil || !strings.Contains(err.Error(), "the source tree of myssl") {
		t.Fatalf("err = %v, want the custom SSL tree named", err)
	}
}

// TestPinDefaultBranchOfCustomSource: a custom source without a tag is
// pinned to the commit its repository's default branch (HEAD) names,
// which is said on stderr; with a lockfile, to the locked commit, even
// once the branch has moved on.
func TestPinDefaultBranchOfCustomSource(t *testing.T) {
	t.Parallel()
	repo, first, second := testrepo.GitRepo(t)
	// Another branch, checked out by nobody: HEAD stays on main.
	testrepo.Git(t, repo, "branch", "other", first)
	p := testPlan(t)
	p.Server = Component{Name: "customnginx", Constraint: DefaultBranch, CustomURL: repo}
	p.GitSources = GitSourcesOf(p.Components())
	p.Lockfile = filepath.Join(t.TempDir(), "nginx-build.lock")
	r := pinned(p, pin.Component{Name: "customnginx", Constraint: DefaultBranch, Version: DefaultBranch, CustomURL: repo})

	env, out := testEnv()
	if err := r.pinCommits(context.Background(), env, false); err != nil {
		t.Fatal(err)
	}
	if got := r.Commits["customnginx-custom"]; got != second {
		t.Fatalf("commit = %q, want main's %s", got, second)
	}
	if want := "customnginx: building the default branch of " + repo + " at commit " + second[:12] + "\n"; out.String() != want {
		t.Errorf("said %q, want %q", out.String(), want)
	}

	r = pinned(p, r.Components...)
	r.Lock = &lockfile.File{LockfileVersion: lockfile.Version, Modules: []pin.Module{
		{Name: "customnginx-custom", Form: "git", URL: repo, Rev: DefaultBranch, Commit: first},
	}}
	env, out = testEnv()
	if err := r.pinCommits(context.Background(), env, false); err != nil {
		t.Fatal(err)
	}
	if got := r.Commits["customnginx-custom"]; got != first {
		t.Fatalf("locked: commit = %q, want the locked %s", got, first)
	}
	if want := "at commit " + first[:12] + " (pinned in nginx-build.lock)"; !strings.Contains(out.String(), want) {
		t.Errorf("locked: said %q, want %q", out.String(), want)
	}
}

func TestIsTarballURL(t *testing.T) {
	t.Parallel()
	for u, want := range map[string]bool{
		"https://example.com/nginx-quic.tar.gz":                                        true,
		"https://example.com/fork-1.0.tgz?raw=1":                                       true,
		"https://github.com/o/r/archive/refs/tags/v1.tar.gz":                           true,
		"https://codeload.github.com/o/r/tar.gz/refs/tags/v1":                          true,
		"https://boringssl.googlesource.com/boringssl/+archive/refs/heads/main.tar.gz": true,
		"/srv/src/fork-2.0.tar.xz":                                                     true,
		"https://github.com/webserver-llc/angie.git":                                   false,
		"https://github.com/o/r":                                                       false,
		"https://boringssl.googlesource.com/boringssl":                                 false,
		"file:///srv/git/fork":                                                         false,
		"/srv/git/fork":                                                                false,
		"git@github.com:o/r.git":                                                       false,
	} {
		if got := IsTarballURL(u); got != want {
			t.Errorf("IsTarballURL(%q) = %v, want %v", u, got, want)
		}
	}
}
