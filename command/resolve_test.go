package command

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/source"
)

// manyVersions fills the fixture's mirror with a realistic spread of
// releases (nginx stable and mainline lines, OpenSSL, a PCRE2 list).
func manyVersions(t *testing.T, f *fixture) {
	t.Helper()
	for _, v := range []string{"1.25.5", "1.26.0", "1.26.3", "1.27.4", "1.27.5", "1.28.0", "1.29.1"} {
		f.m.AddNginx(t, "nginx", v)
	}
	for _, v := range []string{"3.0.19", "3.5.5", "3.5.6", "3.5.7", "3.6.0-beta1"} {
		f.m.AddLibrary(t, "openssl", "openssl-"+v+".tar.gz", "openssl-"+v)
	}
	f.m.AddLibrary(t, "pcre2", "pcre2-10.47.tar.gz", "pcre2-10.47")
	f.m.WriteFile(t, "nginx", "README", []byte("not a tarball"))
}

func TestVersionsCommandOverMirror(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	manyVersions(t, f)
	r := run(t, "versions", "nginx", "--mirror", f.m.URL)
	want := "1.31.0 (mainline)\n1.30.1 (stable)\n1.29.1\n1.28.0\n1.27.5\n1.26.3\n1.25.5\n"
	if r.code != 0 || r.out != want {
		t.Errorf("versions nginx:\n%s\nwant\n%s\n%s", r.out, want, r.err)
	}
	r = run(t, "versions", "openssl", "--all", "--json", "--mirror", f.m.URL)
	var got struct {
		Component string
		Versions  []versionInfo
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("versions --json: %v\n%s", err, r.out)
	}
	var names []string
	defaults := 0
	openssl, _ := source.Lookup("openssl")
	for _, v := range got.Versions {
		names = append(names, v.Version)
		if v.Default != (v.Version == openssl.DefaultVersion) {
			t.Errorf("%s: default = %v, but the default OpenSSL is %s", v.Version, v.Default, openssl.DefaultVersion)
		}
		if v.Default {
			defaults++
		}
	}
	if strings.Join(names, " ") != "3.6.0-beta1 3.5.7 3.5.6 3.5.5 3.0.20 3.0.19" || !got.Versions[0].Prerelease {
		t.Errorf("versions openssl --all --json: %+v", got.Versions)
	}
	if defaults != 1 {
		t.Errorf("%d versions marked default; the mirror should hold the default OpenSSL %s (update manyVersions)", defaults, openssl.DefaultVersion)
	}
}

func TestDryRunJSONResolvesConstraints(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	manyVersions(t, f)
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "stable", "-openssl", "-opensslversion", "~3.5",
		"-pcre", "-pcreversion", "latest", "--dry-run", "--json", "--", "--with-http_v2_module")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	var plan struct {
		Components []struct{ Name, Constraint, Version, URL, Verify string }
		Configure  []string
		Script     string
	}
	if err := json.Unmarshal([]byte(r.out), &plan); err != nil {
		t.Fatalf("--dry-run --json is not JSON: %v\n%s", err, r.out)
	}
	want := [][3]string{{"nginx", "stable", "1.30.1"}, {"pcre2", "latest", "10.47"}, {"openssl", "~3.5", "3.5.7"}}
	if len(plan.Components) != 3 {
		t.Fatalf("components: %+v", plan.Components)
	}
	for i, w := range want {
		c := plan.Components[i]
		if c.Name != w[0] || c.Constraint != w[1] || c.Version != w[2] || !strings.HasPrefix(c.URL, f.m.URL+"/"+w[0]+"/") {
			t.Errorf("component %d = %+v, want %v", i, c, w)
		}
	}
	if got := strings.Join(plan.Configure, " "); got != "--with-pcre=../pcre2-10.47 --with-openssl=../openssl-3.5.7 --with-http_ssl_module --with-http_v2_module" {
		t.Errorf("configure = %s", got)
	}
	if f.m.TarballRequests() != 0 {
		t.Errorf("--dry-run downloaded %d tarballs", f.m.TarballRequests())
	}
	if _, err := os.Stat(f.work); err == nil {
		t.Errorf("--dry-run created the work dir")
	}

	// The text form shows the same plan and the script.
	r = run(t, "fetch", "--mirror", f.m.URL, "-v", "1.27.x", "--dry-run")
	if r.code != 0 || !strings.Contains(r.out, "1.27.x") || !strings.Contains(r.out, "1.27.5") || !strings.Contains(r.out, "dry run") {
		t.Errorf("fetch --dry-run: %d\n%s%s", r.code, r.out, r.err)
	}
}

func TestConstraintErrorsFromTheCommandLine(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	manyVersions(t, f)
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "~1.32", "--dry-run")
	if r.code != 1 || !strings.Contains(r.err, `nginx: no version matches "~1.32"; nearest available:`) {
		t.Errorf("no-match: exit %d\n%s", r.code, r.err)
	}
	r = run(t, "-d", f.work, "-v", "newest")
	if r.code != 2 || !strings.Contains(r.err, "~1.26") {
		t.Errorf("bad constraint: exit %d\n%s", r.code, r.err)
	}
	r = run(t, "-d", f.work, "-openssl", "-opensslversion", "mainline")
	if r.code != 2 || !strings.Contains(r.err, "only to nginx and freenginx") {
		t.Errorf("mainline for openssl: exit %d\n%s", r.code, r.err)
	}
	r = run(t, "-d", f.work, "--json")
	if r.code != 2 || !strings.Contains(r.err, "--json goes with --dry-run") {
		t.Errorf("--json alone: exit %d\n%s", r.code, r.err)
	}
}
