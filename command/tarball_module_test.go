package command

import (
	"archive/tar"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testmirror"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/record"
)

func addModuleTarball(t *testing.T, m *testmirror.Mirror, file, config string) string {
	t.Helper()
	return m.Add(t, "mods", file, []testmirror.Entry{
		{Name: "tm/", Type: tar.TypeDir},
		{Name: "tm/config", Body: config},
	})
}

func recordedModule(t *testing.T, buildDir, name string) pin.Module {
	t.Helper()
	rec, err := record.Read(buildDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rec.Modules {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("module %s not in the build record %+v", name, rec.Modules)
	return pin.Module{}
}

// A tarball module given as a local path is taken as it is now: when the
// file changes, the build uses (and records) the new one, not the copy
// cached under the same path.
func TestLocalTarballModuleChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	local := filepath.Join(f.m.Dir, "mods", "tm.tar.gz")
	sum1 := addModuleTarball(t, f.m, "tm.tar.gz", "ngx_addon_name=tm1\n")
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[{"name": "tm", "form": "tarball", "url": "`+local+`"}]`), 0o644)
	args := f.args("-m", mods)
	if r := run(t, args...); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	build := filepath.Join(f.work, "nginx", "1.30.1")
	if m := recordedModule(t, build, "tm"); m.SHA256 != sum1 {
		t.Errorf("recorded sha256 %s, want %s", m.SHA256, sum1)
	}

	sum2 := addModuleTarball(t, f.m, "tm.tar.gz", "ngx_addon_name=tm2\n")
	r := run(t, args...)
	if r.code != 0 || strings.Contains(r.err, "up to date") {
		t.Fatalf("changed tarball did not rebuild: exit %d\n%s", r.code, r.err)
	}
	b, _ := os.ReadFile(filepath.Join(build, "tm", "config"))
	if string(b) != "ngx_addon_name=tm2\n" {
		t.Errorf("module config %q: the stale cached tarball was used", b)
	}
	if m := recordedModule(t, build, "tm"); m.SHA256 != sum2 {
		t.Errorf("recorded sha256 %s, want %s", m.SHA256, sum2)
	}

	// The lockfile records it too.
	if r := run(t, "lock", "--mirror", f.m.URL, "-v", "1.30.1", "-m", mods); r.code != 0 {
		t.Fatalf("lock: %s", r.err)
	}
	l, err := lockfile.Read(filepath.Join(dir, "nginx-build.lock"))
	if err != nil || len(l.Modules) != 1 || l.Modules[0].SHA256 != sum2 {
		t.Errorf("lockfile modules %+v (%v), want tm with sha256 %s", l.Modules, err, sum2)
	}
}

// A tarball URL whose pinned checksum changes is fetched again at once,
// not failed against the old cached copy.
func TestTarballModuleChecksumChangeRefetches(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	url := f.m.URL + "/mods/tm-1.0.tar.gz"
	mods := filepath.Join(dir, "modules.json")
	write := func(sum string) {
		b, _ := json.Marshal([]map[string]string{{"name": "tm", "form": "tarball", "url": url, "checksum": "sha256:" + sum}})
		os.WriteFile(mods, b, 0o644)
	}
	write(addModuleTarball(t, f.m, "tm-1.0.tar.gz", "ngx_addon_name=tm1\n"))
	args := f.args("-m", mods, "--lockfile", filepath.Join(dir, "none.lock"))
	if r := run(t, args...); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	// Upstream re-rolls the tarball and the user updates the checksum.
	sum2 := addModuleTarball(t, f.m, "tm-1.0.tar.gz", "ngx_addon_name=tm2\n")
	write(sum2)
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("new checksum: exit %d\n%s", r.code, r.err)
	}
	b, _ := os.ReadFile(filepath.Join(f.work, "nginx", "1.30.1", "tm", "config"))
	if string(b) != "ngx_addon_name=tm2\n" {
		t.Errorf("module config %q, want the new tarball's", b)
	}
	if m := recordedModule(t, filepath.Join(f.work, "nginx", "1.30.1"), "tm"); m.SHA256 != sum2 {
		t.Errorf("recorded sha256 %s, want %s", m.SHA256, sum2)
	}
}

// A module named like a component's directory would overwrite that tree:
// it is refused at its place in modules.json, before any download.
func TestModuleNameClashesWithComponent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	local := filepath.Join(f.m.Dir, "mods", "tm.tar.gz")
	addModuleTarball(t, f.m, "tm.tar.gz", "ngx_addon_name=tm\n")
	mods := filepath.Join(dir, "modules.json")
	for _, tc := range []struct{ name, what string }{
		{"pcre2-10.42", "the source tree of pcre2 10.42"},
		{"nginx-1.30.1", "the source tree of nginx 1.30.1"},
		{"build-info.json", "a file nginx-build writes there"},
	} {
		os.WriteFile(mods, []byte("[\n  {\"name\": \"ok\", \"form\": \"tarball\", \"url\": \""+local+"\"},\n  {\"name\": \""+tc.name+"\", \"form\": \"tarball\", \"url\": \""+local+"\"}\n]"), 0o644)
		r := run(t, f.args("-pcre", "-pcreversion", "10.42", "-m", mods)...)
		if r.code != 1 {
			t.Fatalf("%s: exit %d\n%s", tc.name, r.code, r.err)
		}
		mustContain(t, "error", r.err, mods+":3:3: module \""+tc.name+"\": its directory "+filepath.Join(f.work, "nginx", "1.30.1", tc.name)+" is "+tc.what)
	}
	if n := f.m.TarballRequests(); n != 0 {
		t.Errorf("%d tarball requests before the clash was reported", n)
	}
}
