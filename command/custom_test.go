package command

import (
	"archive/tar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testmirror"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/record"
)

func TestCustomNginxFromGitAndCustomSSLTarball(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	// A git tree of an nginx fork: like nginx's own repository, it has
	// auto/configure and no ./configure.
	repo := filepath.Join(dir, "mynginx")
	os.MkdirAll(filepath.Join(repo, "auto"), 0o755)
	os.WriteFile(filepath.Join(repo, "auto", "configure"), []byte(testmirror.FakeConfigure("mynginx", "2.0.0")), 0o755)
	git(t, repo, "init", "-q")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-qm", "fork")
	git(t, repo, "tag", "r2.0")
	// A custom SSL library published as a tarball.
	f.m.AddLibrary(t, "boring", "boringssl-x.tar.gz", "boringssl-x")
	sslURL := f.m.URL + "/boring/boringssl-x.tar.gz"

	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-customnginx", repo, "-customnginxname", "mynginx", "-customnginxtag", "r2.0",
		"-customssl", sslURL, "-customsslname", "myssl", "-sbom", "custom.cdx.json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	// The SBOM knows the fork by its repository and commit, and the SSL
	// library by where it came from and its sha256; neither has a
	// license nginx-build could know.
	_, d := readSBOM(t, filepath.Join(dir, "custom.cdx.json"))
	if len(d.Components) != 2 {
		t.Fatalf("SBOM components %+v", d.Components)
	}
	fork, ssl := d.Components[0], d.Components[1]
	if fork.Name != "mynginx" || fork.Type != "application" || fork.Version != "r2.0" || fork.license() != "" ||
		len(fork.prop("commit")) != 1 || fork.prop("commit")[0] != gitHead(t, repo) ||
		len(fork.ExternalReferences) != 1 || fork.ExternalReferences[0].Type != "vcs" || fork.ExternalReferences[0].URL != repo {
		t.Errorf("SBOM: custom nginx %+v", fork)
	}
	if ssl.Name != "myssl" || ssl.Type != "library" || ssl.sha256() != fileSHA256(t, filepath.Join(f.m.Dir, "boring", "boringssl-x.tar.gz")) ||
		ssl.PURL != "pkg:generic/myssl@custom?download_url="+sslURL || ssl.license() != "" {
		t.Errorf("SBOM: custom SSL %+v", ssl)
	}
	if d.Metadata.Component.Name != "mynginx" {
		t.Errorf("SBOM subject %q, want mynginx", d.Metadata.Component.Name)
	}
	src := filepath.Join(f.work, "nginx", "mynginx", "mynginx-custom")
	b, err := os.ReadFile(filepath.Join(src, "configure.args"))
	if err != nil {
		t.Fatalf("configure did not run in %s: %v", src, err)
	}
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "--with-openssl=../myssl-custom --with-http_ssl_module" {
		t.Errorf("configure args %q", got)
	}
	if _, err := os.Stat(filepath.Join(f.work, "nginx", "mynginx", "myssl-custom", "README")); err != nil {
		t.Errorf("custom SSL tarball not extracted: %v", err)
	}
	mustContain(t, "output", r.err, "mynginx/2.0.0", "nothing to verify boringssl-x.tar.gz",
		`customnginx: building "r2.0" of `+repo+" at commit "+gitHead(t, repo)[:12])

	// Patches can target custom components by name.
	patch := filepath.Join(dir, "ssl.patch")
	os.WriteFile(patch, []byte("--- a/README\n+++ b/README\n@@ -1 +1,2 @@\n boring synthetic source\n+patched\n"), 0o644)
	r = run(t, "-d", f.work, "--mirror", f.m.URL, "-customnginx", repo, "-customnginxname", "mynginx", "-customnginxtag", "r2.0",
		"-customssl", sslURL, "-customsslname", "myssl", "-patch", "myssl="+patch, "-patch-opt", "-p1")
	if r.code != 0 {
		t.Fatalf("patched: exit %d\n%s", r.code, r.err)
	}
	readme, _ := os.ReadFile(filepath.Join(f.work, "nginx", "mynginx", "myssl-custom", "README"))
	if !strings.Contains(string(readme), "patched") {
		t.Errorf("patch for the custom SSL library not applied:\n%s", readme)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-d", f.work, "-customnginx", repo, "-customnginxtag", "a/../b"}, "must be a plain tag or branch name"},
		{[]string{"-d", f.work, "-customssl", sslURL, "-customsslname", "openssl"}, "name of a built-in component"},
		{[]string{"-d", f.work, "-customssl", sslURL, "-customsslname", "../x"}, "must be a plain name"},
		{[]string{"-d", f.work, "-customssl", sslURL, "-customsslname", "x", "-openssl"}, "-openssl and -customssl cannot be used together"},
	} {
		if r := run(t, tc.args...); r.code != 2 || !strings.Contains(r.err, tc.want) {
			t.Errorf("%q: exit %d\n%s", tc.args, r.code, r.err)
		}
	}
}

func TestOpenRestyBundle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// OpenResty's bundle: its configure takes -jN and nginx's options, and
	// make leaves the binary in build/nginx-<core>/objs/nginx.
	configure := `#!/bin/sh
printf '%s\n' "$@" > configure.args
for a in "$@"; do
	case "$a" in --with-pcre=*) d=${a#*=}; [ -d "$d" ] || { echo "missing $d" >&2; exit 1; } ;; esac
done
mkdir -p build/nginx-1.27.1/objs
printf '#!/bin/sh\necho "nginx version: openresty/1.27.1.2" >&2\n' > build/nginx-1.27.1/objs/nginx.in
printf 'all:\n\tcp build/nginx-1.27.1/objs/nginx.in build/nginx-1.27.1/objs/nginx\n\tchmod +x build/nginx-1.27.1/objs/nginx\n' > Makefile
`
	f.m.Add(t, "openresty", "openresty-1.27.1.2.tar.gz", []testmirror.Entry{
		{Name: "openresty-1.27.1.2/configure", Body: configure, Mode: 0o755},
	})
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-openresty", "-openrestyversion", "1.27.1.2", "-pcre", "-pcreversion", "10.42", "-j", "3")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	build := filepath.Join(f.work, "openresty", "1.27.1.2")
	b, _ := os.ReadFile(filepath.Join(build, "openresty-1.27.1.2", "configure.args"))
	// Library paths are absolute: OpenResty runs nginx's configure from build/nginx-*/.
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "--with-pcre="+filepath.Join(build, "pcre2-10.42")+" -j3" {
		t.Errorf("configure args %q", got)
	}
	mustContain(t, "output", r.err, "openresty/1.27.1.2", filepath.Join(build, "openresty-1.27.1.2", "build", "nginx-1.27.1", "objs", "nginx"))
}

// A custom nginx from a tarball of a git tree (GitHub's archive/…tar.gz)
// has auto/configure and no ./configure, like a git checkout.
func TestCustomNginxFromGitArchiveTarball(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.m.Add(t, "fork", "release-2.0.tar.gz", []testmirror.Entry{
		{Name: "nginx-release-2.0/", Type: tar.TypeDir},
		{Name: "nginx-release-2.0/auto/configure", Body: testmirror.FakeConfigure("fork", "2.0"), Mode: 0o755},
		{Name: "nginx-release-2.0/src/core/nginx.h", Body: "#define NGINX_VERSION \"2.0\"\n"},
	})
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-customnginx", f.m.URL+"/fork/release-2.0.tar.gz",
		"-customnginxname", "fork", "-customnginxtag", "2.0", "--", "--with-debug")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	src := filepath.Join(f.work, "nginx", "fork", "fork-custom")
	if got := strings.Join(readLines(t, filepath.Join(src, "configure.args")), " "); got != "--with-debug" {
		t.Errorf("configure args %q", got)
	}
	mustContain(t, "output", r.err, "fork/2.0")
}

// forkRepo makes a git repository of an nginx fork whose default branch
// is branch: like nginx's own repository, it has auto/configure and no
// ./configure. It returns its path.
func forkRepo(t *testing.T, dir, branch string) string {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "auto"), 0o755)
	os.WriteFile(filepath.Join(dir, "auto", "configure"), []byte(testmirror.FakeConfigure("fork", "2.0.0")), 0o755)
	git(t, dir, "init", "-q", "-b", branch)
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "fork")
	return dir
}

// treeRecord is the build record's entry of a git tree, as the test
// compares it.
type treeRecord struct{ name, rev, commit, component string }

// TestCustomSourcesLayout: custom sources are where nginx-build puts
// them, for scripts that cd there: a custom nginx N (customnginx without
// -customnginxname) in <d>/nginx/N/N-custom, tag or no tag, git or
// tarball; a custom SSL library S (customssl without -customsslname)
// beside the server tree as S-custom, given to configure as
// --with-openssl=../S-custom. The tag and commit are in build-info.json.
// -clear removes <d>/nginx/N.
func TestCustomSourcesLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// args are the custom flags; REPO, SSLREPO and MIRROR stand for
		// the fork's and the SSL library's repositories and the mirror.
		args     []string
		buildDir string // below the work dir
		src      string // below buildDir
		ssl      string // the SSL library's tree below buildDir
		trees    []treeRecord
		say      []string
	}{
		{name: "git with tag", args: []string{"-customnginx", "REPO", "-customnginxname", "mynginx", "-customnginxtag", "r2.0"},
			buildDir: "nginx/mynginx", src: "mynginx-custom",
			trees: []treeRecord{{"mynginx-custom", "r2.0", "TAGGED", "mynginx"}},
			say:   []string{`customnginx: building "r2.0" of REPO at commit TAGGED`, "configuring mynginx r2.0 at TAGGED"}},
		{name: "git default branch and name", args: []string{"-customnginx", "REPO"},
			buildDir: "nginx/customnginx", src: "customnginx-custom",
			trees: []treeRecord{{"customnginx-custom", "HEAD", "HEAD", "customnginx"}},
			say:   []string{"customnginx: building the default branch of REPO at commit HEAD", "configuring customnginx (default branch) at HEAD"}},
		{name: "tarball with tag", args: []string{"-customnginx", "MIRROR/fork/release-2.0.tar.gz", "-customnginxname", "fork", "-customnginxtag", "2.0"},
			buildDir: "nginx/fork", src: "fork-custom"},
		{name: "tarball default name", args: []string{"-customnginx", "MIRROR/fork/release-2.0.tar.gz"},
			buildDir: "nginx/customnginx", src: "customnginx-custom"},
		{name: "custom SSL tarball default name", args: []string{"-v", "1.30.1", "-customssl", "MIRROR/boring/boringssl-x.tar.gz"},
			buildDir: "nginx/1.30.1", src: "nginx-1.30.1", ssl: "customssl-custom"},
		{name: "custom SSL git default branch", args: []string{"-customnginx", "REPO", "-customnginxtag", "r2.0", "-customssl", "SSLREPO", "-customsslname", "myssl"},
			buildDir: "nginx/customnginx", src: "customnginx-custom", ssl: "myssl-custom",
			trees: []treeRecord{{"customnginx-custom", "r2.0", "TAGGED", "customnginx"}, {"myssl-custom", "HEAD", "SSLHEAD", "myssl"}},
			say:   []string{"customssl: building the default branch of SSLREPO at commit SSLHEAD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			dir := t.TempDir()
			chdir(t, dir)
			repo := forkRepo(t, filepath.Join(dir, "fork"), "main")
			git(t, repo, "tag", "r2.0")
			tagged := gitHead(t, repo)
			gitCommit(t, repo, "after-the-tag")
			sslRepo := gitRepo(t, filepath.Join(dir, "ssl"))
			f.m.Add(t, "fork", "release-2.0.tar.gz", []testmirror.Entry{
				{Name: "nginx-release-2.0/", Type: tar.TypeDir},
				{Name: "nginx-release-2.0/auto/configure", Body: testmirror.FakeConfigure("fork", "2.0"), Mode: 0o755},
			})
			f.m.AddLibrary(t, "boring", "boringssl-x.tar.gz", "boringssl-x")
			head, sslHead := gitHead(t, repo), gitHead(t, sslRepo)
			expand := strings.NewReplacer("SSLREPO", sslRepo, "REPO", repo, "MIRROR", f.m.URL,
				"TAGGED", tagged, "SSLHEAD", sslHead, "HEAD", head).Replace
			// Messages abbreviate commits.
			expandShort := strings.NewReplacer("SSLREPO", sslRepo, "REPO", repo,
				"TAGGED", tagged[:12], "SSLHEAD", sslHead[:12], "HEAD", head[:12]).Replace

			args := []string{"-d", f.work, "--mirror", f.m.URL}
			for _, a := range tt.args {
				args = append(args, expand(a))
			}
			r := run(t, args...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.err)
			}
			buildDir := filepath.Join(f.work, filepath.FromSlash(tt.buildDir))
			src := filepath.Join(buildDir, tt.src)
			want := ""
			if tt.ssl != "" {
				want = "--with-openssl=../" + tt.ssl + " --with-http_ssl_module"
			}
			if got := strings.Join(readLines(t, filepath.Join(src, "configure.args")), " "); got != want {
				t.Errorf("configure args %q, want %q", got, want)
			}
			if tt.ssl != "" {
				if _, err := os.Stat(filepath.Join(buildDir, tt.ssl)); err != nil {
					t.Errorf("no SSL tree beside the server's: %v", err)
				}
			}
			for _, s := range tt.say {
				mustContain(t, "stderr", r.err, expandShort(s))
			}
			rec, err := record.Read(buildDir)
			if err != nil {
				t.Fatal(err)
			}
			var trees []treeRecord
			for _, m := range rec.Modules {
				trees = append(trees, treeRecord{m.Name, m.Rev, m.Commit, m.Component})
			}
			var wantTrees []treeRecord
			for _, w := range tt.trees {
				wantTrees = append(wantTrees, treeRecord{w.name, w.rev, expand(w.commit), w.component})
			}
			if !slices.Equal(trees, wantTrees) {
				t.Errorf("build-info.json trees %+v, want %+v", trees, wantTrees)
			}

			// -clear removes the build dir, and only it.
			os.WriteFile(filepath.Join(buildDir, "left-over"), nil, 0o644)
			os.WriteFile(filepath.Join(f.work, "keep"), nil, 0o644)
			r = run(t, append(args, "-clear")...)
			if r.code != 0 {
				t.Fatalf("-clear: exit %d\n%s", r.code, r.err)
			}
			mustContain(t, "-clear", r.err, "removing "+buildDir+" (-clear)")
			if _, err := os.Stat(filepath.Join(buildDir, "left-over")); err == nil {
				t.Errorf("-clear left %s", buildDir)
			}
			if _, err := os.Stat(filepath.Join(f.work, "keep")); err != nil {
				t.Errorf("-clear removed more than %s: %v", buildDir, err)
			}
			if _, err := os.Stat(filepath.Join(src, "configure.args")); err != nil {
				t.Errorf("-clear did not rebuild in %s: %v", src, err)
			}
		})
	}
}

// TestCustomNginxDefaultBranchIsLocked: a custom nginx from git without a
// tag is built from its repository's default branch (HEAD there, whatever
// the branch is called), and the commit is said, recorded and pinned in
// the lockfile. Once the branch moves on, a --locked build (and any build
// with the lockfile) still builds the pinned commit; `lock` moves the pin.
func TestCustomNginxDefaultBranchIsLocked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := forkRepo(t, filepath.Join(dir, "fork"), "trunk")
	pinned := gitHead(t, repo)
	// A newer commit on another branch is not the default branch.
	git(t, repo, "checkout", "-q", "-b", "feature")
	gitCommit(t, repo, "feature-work")
	git(t, repo, "checkout", "-q", "trunk")
	flags := []string{"--mirror", f.m.URL, "-customnginx", repo}
	src := filepath.Join(f.work, "nginx", "customnginx", "customnginx-custom")
	said := func(commit string) string {
		return "customnginx: building the default branch of " + repo + " at commit " + commit[:12]
	}
	lockedTree := func(what string) pin.Module {
		t.Helper()
		l, err := lockfile.Read(filepath.Join(dir, "nginx-build.lock"))
		if err != nil || l == nil {
			t.Fatalf("%s: lockfile: %v", what, err)
		}
		if len(l.Modules) != 1 {
			t.Fatalf("%s: lockfile modules %+v", what, l.Modules)
		}
		return l.Modules[0]
	}

	r := run(t, append([]string{"lock"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("lock: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "lock", r.err, said(pinned))
	if m := lockedTree("lock"); m.Name != "customnginx-custom" || m.URL != repo || m.Rev != "HEAD" || m.Commit != pinned {
		t.Fatalf("lockfile pins %+v, want the default branch (HEAD) at %s", m, pinned)
	}

	// The default branch moves on; the lockfile holds the build back.
	gitCommit(t, repo, "newer")
	newer := gitHead(t, repo)
	r = run(t, append([]string{"-d", f.work, "--locked"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("--locked: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "--locked", r.err, said(pinned)+" (pinned in nginx-build.lock)")
	if got := git(t, src, "rev-parse", "HEAD"); got != pinned {
		t.Errorf("--locked built %s, want the pinned %s", got, pinned)
	}
	rec, err := record.Read(filepath.Join(f.work, "nginx", "customnginx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Modules) != 1 || rec.Modules[0].Rev != "HEAD" || rec.Modules[0].Commit != pinned || rec.Modules[0].Component != "customnginx" {
		t.Errorf("build-info.json trees %+v, want the default branch at %s", rec.Modules, pinned)
	}
	// Without --locked, the lockfile pins as well (a fresh build: -clear).
	r = run(t, append([]string{"-d", f.work, "-clear"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("with the lockfile: exit %d\n%s", r.code, r.err)
	}
	if got := git(t, src, "rev-parse", "HEAD"); got != pinned {
		t.Errorf("with the lockfile, built %s, want the pinned %s", got, pinned)
	}

	// `lock` resolves the default branch again.
	r = run(t, append([]string{"lock"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("relock: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "relock", r.err, said(newer))
	if m := lockedTree("relock"); m.Commit != newer {
		t.Fatalf("relocked %+v, want %s", m, newer)
	}
	r = run(t, append([]string{"-d", f.work, "--locked"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("--locked after relock: exit %d\n%s", r.code, r.err)
	}
	if got := git(t, src, "rev-parse", "HEAD"); got != newer {
		t.Errorf("after relocking, built %s, want %s", got, newer)
	}
}

// TestLockfileFromBeforeTheCustomLayoutStillPins: lockfiles written before
// custom sources moved to <name>-custom name the tree <name>-<tag>. Their
// pin still holds (here under --locked, after the tag was moved), and
// the next `lock` writes the new name.
func TestLockfileFromBeforeTheCustomLayoutStillPins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := forkRepo(t, filepath.Join(dir, "fork"), "main")
	git(t, repo, "tag", "v1")
	pinned := gitHead(t, repo)
	flags := []string{"--mirror", f.m.URL, "-customnginx", repo, "-customnginxname", "mynginx", "-customnginxtag", "v1"}
	if r := run(t, append([]string{"lock"}, flags...)...); r.code != 0 {
		t.Fatalf("lock: exit %d\n%s", r.code, r.err)
	}
	lockPath := filepath.Join(dir, "nginx-build.lock")
	b, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	old := strings.ReplaceAll(string(b), `"mynginx-custom"`, `"mynginx-v1"`)
	if old == string(b) {
		t.Fatalf("lockfile has no mynginx-custom entry:\n%s", b)
	}
	os.WriteFile(lockPath, []byte(old), 0o644)

	gitCommit(t, repo, "later")
	git(t, repo, "tag", "-f", "v1")
	r := run(t, append([]string{"-d", f.work, "--locked"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("--locked with the old lockfile: exit %d\n%s", r.code, r.err)
	}
	if got := git(t, filepath.Join(f.work, "nginx", "mynginx", "mynginx-custom"), "rev-parse", "HEAD"); got != pinned {
		t.Errorf("built %s, want the commit the old lockfile pins, %s", got, pinned)
	}
}
