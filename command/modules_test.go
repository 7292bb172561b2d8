package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeNginx is a stand-in for an installed nginx: it answers -V like a
// distribution's build and accepts any configuration on -t.
func fakeNginx(t *testing.T, configureArgs string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nginx")
	script := "#!/bin/sh\ncase \"$1\" in\n-V) cat >&2 <<'EOF'\nnginx version: nginx/1.30.1\nbuilt by gcc 12.2.0 (Debian 12.2.0-14)\nconfigure arguments: " +
		configureArgs + "\nEOF\n;;\n-t) echo \"$@\" > \"$(dirname \"$0\")/t.args\" ;;\nesac\nexit 0\n"
	os.WriteFile(bin, []byte(script), 0o755)
	return bin
}

func TestModulesFromBinaryPlumbing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	mod := filepath.Join(dir, "mymod")
	os.MkdirAll(mod, 0o755)
	os.WriteFile(filepath.Join(mod, "config"), []byte("ngx_addon_name=mymod\n"), 0o644)
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[{"name": "mymod", "form": "local", "url": "mymod"}]`), 0o644)
	bin := fakeNginx(t, "--with-cc-opt='-g -O2 -fPIC' --prefix=/usr/share/nginx --with-compat --with-http_ssl_module "+
		"--with-http_geoip_module=dynamic --with-stream=dynamic --add-dynamic-module=/build/debian/modules/http-echo")
	out := filepath.Join(dir, "out")

	r := run(t, "modules", "--from-binary", bin, "-m", mods, "-d", f.work, "-o", out, "--mirror", f.m.URL)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	want := []string{"--add-dynamic-module=" + mod, "--with-cc-opt=-g -O2 -fPIC", "--prefix=/usr/share/nginx", "--with-compat",
		"--with-http_ssl_module", "--with-stream=dynamic"}
	if got := f.configureArgs(t); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("configure args\n%q\nwant\n%q", got, want)
	}
	mustContain(t, "output", r.err, "leaving out", "--with-http_geoip_module=dynamic", "--add-dynamic-module=/build/debian/modules/http-echo",
		bin+" loads all 1 module(s)", "load_module "+filepath.Join(out, "ngx_mymod_module.so"))
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != "ngx_mymod_module.so" {
		t.Errorf("output dir: %v, want only ngx_mymod_module.so (not nginx's own stream module)", entries)
	}
	targs, _ := os.ReadFile(filepath.Join(filepath.Dir(bin), "t.args"))
	if !strings.Contains(string(targs), "-t") {
		t.Errorf("the target binary was not asked to load the modules: %q", targs)
	}

	// Without --with-compat: warned, and not added behind the binary's back.
	bin = fakeNginx(t, "--with-http_ssl_module")
	r = run(t, "modules", "--from-binary", bin, "-m", mods, "-d", f.work, "-o", out, "--mirror", f.m.URL)
	if r.code != 0 || !strings.Contains(r.err, "was built without --with-compat") {
		t.Errorf("no compat: exit %d\n%s", r.code, r.err)
	}
	if got := strings.Join(f.configureArgs(t), " "); strings.Contains(got, "--with-compat") {
		t.Errorf("--with-compat added for a binary without it: %s", got)
	}
}

func TestModulesUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"modules", "--from-binary", "/bin/true"}, 2, "missing -m"},
		{[]string{"modules", "-m", "x.json"}, 2, "exactly one of --from-binary"},
		{[]string{"modules", "-m", "x.json", "--from-configure-args", "--with-compat"}, 2, "needs -v VERSION"},
		{[]string{"modules", "-m", "x.json", "--from-binary", "/nonexistent/nginx"}, 1, "cannot run /nonexistent/nginx -V"},
	} {
		r := run(t, tc.args...)
		if r.code != tc.code || !strings.Contains(r.err, tc.want) {
			t.Errorf("%q: exit %d (want %d)\n%s", tc.args, r.code, tc.code, r.err)
		}
	}
}

func TestMovedGitRevRebuilds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := gitRepo(t, filepath.Join(dir, "mod"))
	git(t, repo, "tag", "v1")
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[{"name": "mod", "url": "`+repo+`", "rev": "v1"}]`), 0o644)
	args := f.args("-m", mods)
	if r := run(t, args...); r.code != 0 {
		t.Fatalf("first build: %s", r.err)
	}
	if r := run(t, args...); !strings.Contains(r.err, "up to date") {
		t.Fatalf("unchanged rerun rebuilt:\n%s", r.err)
	}
	// The tag moves to a new commit: same modules.json, different input.
	gitCommit(t, repo, "second")
	git(t, repo, "tag", "-f", "v1")
	r := run(t, args...)
	if r.code != 0 || strings.Contains(r.err, "up to date") {
		t.Fatalf("moved tag did not rebuild: exit %d\n%s", r.code, r.err)
	}
	if got, want := gitHead(t, filepath.Join(f.work, "nginx", "1.30.1", "mod")), gitHead(t, repo); got != want {
		t.Errorf("module at %s, want the moved tag's %s", got, want)
	}
}
