package command

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestPackageUsageErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "zip"}, `--format: unknown package format "zip": use deb, rpm, apk or tar.gz`},
		{[]string{"-format=msi"}, `unknown package format "msi"`},
		{[]string{"--name", "My_Nginx"}, `--name: package name "My_Nginx"`},
		{[]string{"--pkg-version", "v1"}, `--pkg-version: package version "v1": it must start with a digit`},
		{[]string{"--release", "1-2"}, `--release: package release "1-2"`},
		{[]string{"-configureonly"}, "-configureonly stops before there is a binary to package"},
		{[]string{"-idempotent"}, "-idempotent skips the build"},
		{[]string{"--", "--prefix=build/nginx"}, "--prefix=build/nginx is relative; a package needs an absolute --prefix"},
		{[]string{"--", "--prefix="}, "a package needs an absolute --prefix"},
		{[]string{"stray"}, `unexpected argument "stray"`},
		{[]string{"--name", "nginx"}, "--name nginx: nginx is the name of a package of the distribution's own nginx: installing this one would replace it"},
		{[]string{"--name", "nginx-common", "--dry-run"}, "--name nginx-common: nginx-common is the name of a package of the distribution's own nginx"},
		{[]string{"--name", "libnginx-mod-http-echo"}, "or add --force if replacing it is what you want"},
		{[]string{"--json"}, "--json goes with --dry-run"},
	} {
		r := run(t, append([]string{"package"}, f.args(tc.args...)...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q:\n%s", tc.args, r.code, tc.want, r.err)
		}
	}
	if f.m.TarballRequests() != 0 {
		t.Error("a usage error must be reported before anything is downloaded")
	}
	if r := run(t, "package", "--format", "deb"); r.code != ExitUsage || !strings.Contains(r.err, "missing -d DIR") {
		t.Errorf("no -d: exit %d\n%s", r.code, r.err)
	}
}

// TestPackageBuildsWithPackagePaths runs package against the synthetic
// mirror: the build gets the package layout compiled in, stdout stays
// free of the build's own output, and the synthetic objs/nginx (a shell
// script) is refused with a message naming it.
func TestPackageBuildsWithPackagePaths(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	r := run(t, append([]string{"package", "-format", "rpm", "-name", "web", "-o", out}, f.args("-pcre", "-pcreversion", "10.42", "--", "--with-http_v2_module")...)...)
	bin := filepath.Join(f.src(), "objs", "nginx")
	if r.code != ExitFailure || !strings.Contains(r.err, "package rpm: "+bin+" is not an ELF binary") {
		t.Fatalf("exit %d, want 1 and the binary named:\n%s", r.code, r.err)
	}
	if r.out != "" {
		t.Errorf("stdout is for the package path alone, got %q", r.out)
	}
	args := f.configureArgs(t)
	for _, want := range []string{
		"--with-pcre=../pcre2-10.42", "--with-http_v2_module", "--prefix=/usr/share/web", "--sbin-path=/usr/sbin/web",
		"--conf-path=/etc/web/nginx.conf", "--pid-path=/run/web.pid", "--error-log-path=/var/log/web/error.log",
		"--http-client-body-temp-path=/var/lib/web/body", "--modules-path=/usr/lib/web/modules",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("configure args lack %s: %q", want, args)
		}
	}
	mustContain(t, "stderr", r.err, "package layout for web (no --prefix given)")

	// The same command again reuses the build.
	r = run(t, append([]string{"package", "-format", "rpm", "-name", "web", "-o", out}, f.args("-pcre", "-pcreversion", "10.42", "--", "--with-http_v2_module")...)...)
	mustContain(t, "rerun", r.err, "up to date")

	// With --prefix the user's layout is kept as it is.
	r = run(t, append([]string{"package", "--format=tar.gz"}, f.args("--", "--prefix=/opt/web")...)...)
	if r.code != ExitFailure {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	if args := f.configureArgs(t); !slices.Equal(args, []string{"--prefix=/opt/web"}) {
		t.Errorf("with --prefix, configure args %q", args)
	}
}

// SOURCE_DATE_EPOCH stamps the package's files; a value that is not a
// number of seconds is a usage error before anything is built, as it is
// for --sbom.
func TestPackageRefusesAMalformedSourceDateEpoch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	setenv(t, "SOURCE_DATE_EPOCH", "yesterday")
	r := run(t, append([]string{"package", "--format", "tar.gz"}, f.args()...)...)
	if r.code != ExitUsage || !strings.Contains(r.err, `SOURCE_DATE_EPOCH="yesterday" is not a number of seconds since 1970 (used for the package's file times)`) {
		t.Errorf("exit %d, want 2 naming the variable:\n%s", r.code, r.err)
	}
	if f.m.TarballRequests() != 0 {
		t.Error("the bad value must be reported before anything is downloaded")
	}
}

// package --dry-run prints the plan and the package that would be
// written, and downloads and builds nothing; --force lets a distribution's
// package name through.
func TestPackageDryRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want []string // on stdout; %OUT% is the output directory
	}{
		{name: "deb", args: []string{"--format", "deb", "--arch", "amd64"},
			want: []string{"package: nginx-custom 1.30.1-1, deb for amd64", "would write %OUT%/nginx-custom_1.30.1-1_amd64.deb"}},
		{name: "rpm for arm64", args: []string{"--format", "rpm", "--arch", "arm64", "--release", "3"},
			want: []string{"package: nginx-custom 1.30.1-3, rpm for arm64", "would write %OUT%/nginx-custom-1.30.1-3.aarch64.rpm"}},
		{name: "tar.gz, own version", args: []string{"--format", "tar.gz", "--name", "web", "--pkg-version", "2.0", "--arch", "amd64"},
			want: []string{"package: web 2.0-1, tar.gz for amd64", "would write %OUT%/web-2.0-1.linux-amd64.tar.gz", "--sbin-path=/usr/sbin/web"}},
		{name: "this machine's architecture", args: []string{"--format", "deb"},
			want: []string{"package: nginx-custom 1.30.1-1, deb for " + runtime.GOARCH}},
		{name: "a distribution's name, forced", args: []string{"--name", "nginx", "--force", "--arch", "amd64"},
			want: []string{"would write %OUT%/nginx_1.30.1-1_amd64.deb", "--conf-path=/etc/nginx/nginx.conf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			out := filepath.Join(t.TempDir(), "out")
			r := run(t, append(append([]string{"package", "--dry-run", "-o", out}, tc.args...), f.args()...)...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.err)
			}
			for _, w := range tc.want {
				mustContain(t, "stdout", r.out, strings.ReplaceAll(w, "%OUT%", out))
			}
			mustContain(t, "stdout", r.out, "nginx  ", "1.30.1", "(dry run: nothing was downloaded or built)")
			if n := f.m.TarballRequests(); n != 0 {
				t.Errorf("a dry run made %d tarball requests", n)
			}
			for _, dir := range []string{f.work, out} {
				if _, err := os.Stat(dir); err == nil {
					t.Errorf("a dry run created %s", dir)
				}
			}
		})
	}
}

func TestPackageDryRunJSON(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := t.TempDir()
	r := run(t, append([]string{"package", "--dry-run", "--json", "--format", "apk", "--arch", "amd64", "-o", out}, f.args()...)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	var plan struct {
		Components []struct{ Name, Version string }
		Configure  []string
		Package    map[string]string
	}
	if err := json.Unmarshal([]byte(r.out), &plan); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	want := map[string]string{"name": "nginx-custom", "version": "1.30.1", "release": "1", "format": "apk", "arch": "amd64",
		"path": filepath.Join(out, "nginx-custom_1.30.1-r1_x86_64.apk")}
	if !maps.Equal(plan.Package, want) {
		t.Errorf("package %v, want %v", plan.Package, want)
	}
	if len(plan.Components) != 1 || plan.Components[0].Version != "1.30.1" || !slices.Contains(plan.Configure, "--sbin-path=/usr/sbin/nginx-custom") {
		t.Errorf("plan %+v", plan)
	}
}
