package command

import (
	"path/filepath"
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
