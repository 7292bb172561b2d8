package packaging

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fakeBuild lays out what a build leaves behind — objs/nginx (a real ELF
// that answers -V like nginx, linked against zlib), a dynamic module, and
// the source tree's conf/ and html/ — with the given configure arguments.
func fakeBuild(t *testing.T, args []string) Build {
	t.Helper()
	needGCC(t)
	if !fileExists("/usr/include/zlib.h") {
		if os.Getenv("CI") == "true" {
			t.Fatal("zlib1g-dev missing under CI")
		}
		t.Skip("needs zlib1g-dev")
	}
	src := filepath.Join(t.TempDir(), "nginx-1.99.0")
	main := fmt.Sprintf(`#include <stdio.h>
#include <string.h>
#include <zlib.h>
int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "-V") == 0) {
		fprintf(stderr, "nginx version: nginx/1.99.0\nbuilt by gcc\nconfigure arguments: %%s\n", %s);
		return 0;
	}
	puts(zlibVersion());
	return 0;
}
`, strconv.Quote(strings.Join(args, " ")))
	cc(t, main, filepath.Join(src, "objs", "nginx"), "-lz")
	cc(t, "#include <zlib.h>\nconst char *v(void) { return zlibVersion(); }\n",
		filepath.Join(src, "objs", "ngx_http_test_module.so"), "-shared", "-fPIC", "-lz")
	for name, body := range map[string]string{
		"conf/nginx.conf": "events {}\n", "conf/mime.types": "types {}\n", "conf/fastcgi_params": "\n",
		"html/index.html": "<h1>hello</h1>\n", "../build-info.json": "{}\n",
	} {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Build{Binary: filepath.Join(src, "objs", "nginx"), Record: filepath.Join(src, "..", "build-info.json"), Requested: args}
}

// need skips when a reader tool is missing, except in CI (.ci/run
// installs it).
func need(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing under CI", tool)
		}
		t.Skipf("needs %s", tool)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

func makePackage(t *testing.T, f Format, b Build) (Result, []string) {
	t.Helper()
	var warnings []string
	meta := Meta{Name: "nginx-test", Version: "1.99.0", Release: "3", Maintainer: "Test <test@example.test>", License: "BSD-2-Clause"}
	res, err := Make(context.Background(), Request{
		Format: f, Build: b, OutDir: t.TempDir(), Meta: meta,
		Warn: func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	// What a dry run says it would write is what was written.
	meta.Arch = runtime.GOARCH
	if name, err := FileName(f, meta); err != nil || name != filepath.Base(res.Path) {
		t.Errorf("FileName = %q, %v; Make wrote %s", name, err, res.Path)
	}
	return res, warnings
}

var wantFiles = []string{
	"/etc/nginx-test/fastcgi_params", "/etc/nginx-test/mime.types", "/etc/nginx-test/nginx.conf",
	"/usr/lib/nginx-test/modules/ngx_http_test_module.so", "/usr/sbin/nginx-test",
	"/usr/share/doc/nginx-test/build-info.json", "/usr/share/nginx-test/html/index.html",
}

const unitPath = "/usr/lib/systemd/system/nginx-test.service"

func TestDeb(t *testing.T) {
	need(t, "dpkg-deb")
	b := fakeBuild(t, DefaultPathArgs("nginx-test", nil))
	res, warnings := makePackage(t, Deb, b)
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if runtime.GOARCH == "amd64" && filepath.Base(res.Path) != "nginx-test_1.99.0-3_amd64.deb" {
		t.Errorf("file name %s", res.Path)
	}
	want := append(slices.Clone(wantFiles), unitPath)
	slices.Sort(want)
	if !slices.Equal(res.Files, want) {
		t.Errorf("files %q", res.Files)
	}
	fields := run(t, "dpkg-deb", "-f", res.Path, "Package", "Version", "Depends", "Maintainer", "Description")
	mustContain(t, "control", fields, "Package: nginx-test\n", "Version: 1.99.0-3\n", "Depends: libc6, zlib1g\n",
		"Maintainer: Test <test@example.test>\n", "Description: nginx 1.99.0 built with nginx-build\n Configure arguments: --prefix=/usr/share/nginx-test")
	mustContain(t, "conffiles", run(t, "dpkg-deb", "-I", res.Path, "conffiles"),
		"/etc/nginx-test/nginx.conf\n", "/etc/nginx-test/mime.types\n", "/etc/nginx-test/fastcgi_params\n")
	list := run(t, "dpkg-deb", "-c", res.Path)
	mustContain(t, "data", list, "-rwxr-xr-x root/root", "./usr/sbin/nginx-test\n", "./var/log/nginx-test/\n", "./var/lib/nginx-test/\n",
		"./usr/lib/nginx-test/modules/ngx_http_test_module.so\n", "."+unitPath+"\n")
	mustContain(t, "postrm", run(t, "dpkg-deb", "-I", res.Path, "postrm"), "rm -rf '/var/log/nginx-test' '/var/lib/nginx-test'")
	mustContain(t, "unit", run(t, "dpkg-deb", "--fsys-tarfile", res.Path), "ExecStartPre=/usr/sbin/nginx-test -t -q")
}

func TestRPM(t *testing.T) {
	need(t, "rpm")
	b := fakeBuild(t, DefaultPathArgs("nginx-test", nil))
	res, _ := makePackage(t, RPM, b)
	q := func(args ...string) string {
		return run(t, "rpm", append([]string{"-qp", "--nosignature"}, append(args, res.Path)...)...)
	}
	info := q("--queryformat", "%{NAME}|%{VERSION}|%{RELEASE}|%{LICENSE}|%{ARCH}|%{SUMMARY}\n")
	want := "nginx-test|1.99.0|3|BSD-2-Clause|"
	if runtime.GOARCH == "amd64" {
		want += "x86_64|"
	}
	mustContain(t, "rpm -qp", info, want, "|nginx 1.99.0 built with nginx-build\n")
	requires := q("--requires")
	mustContain(t, "requires", requires, "glibc\n", "zlib\n")
	if strings.Contains(requires, "pcre") {
		t.Errorf("no PCRE2 is linked, yet: %s", requires)
	}
	config := q("--configfiles")
	mustContain(t, "config files", config, "/etc/nginx-test/nginx.conf\n", "/etc/nginx-test/mime.types\n")
	if strings.Contains(config, "/usr/sbin") {
		t.Errorf("the binary is not a config file: %s", config)
	}
	mustContain(t, "files", q("--list"), append(wantFiles, unitPath, "/var/log/nginx-test\n")...)
	// noreplace: rpm's flag for %config(noreplace) is bit 4 (16).
	flags := q("--queryformat", "[%{FILENAMES} %{FILEFLAGS}\n]")
	mustContain(t, "file flags", flags, "/etc/nginx-test/nginx.conf 17\n")
}

func TestAPK(t *testing.T) {
	b := fakeBuild(t, DefaultPathArgs("nginx-test", nil))
	res, warnings := makePackage(t, APK, b)
	if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "will not run on Alpine Linux") }) {
		t.Errorf("a glibc binary packaged for Alpine must be warned about: %q", warnings)
	}
	segments := readAPK(t, res.Path)
	if len(segments) < 2 {
		t.Fatalf("apk has %d gzip segments, want control and data", len(segments))
	}
	pkginfo := segments[0][".PKGINFO"]
	mustContain(t, ".PKGINFO", pkginfo, "pkgname = nginx-test\n", "pkgver = 1.99.0-r3\n", "maintainer = Test <test@example.test>\n", "depend = zlib\n")
	if runtime.GOARCH == "amd64" {
		mustContain(t, ".PKGINFO", pkginfo, "arch = x86_64\n")
	}
	if strings.Contains(pkginfo, "libc6") || strings.Contains(pkginfo, "glibc") {
		t.Errorf("glibc has no Alpine package:\n%s", pkginfo)
	}
	data := segments[len(segments)-1]
	for _, f := range wantFiles {
		if _, ok := data[strings.TrimPrefix(f, "/")]; !ok {
			t.Errorf("apk data lacks %s; has %v", f, keys(data))
		}
	}
	if _, ok := data[strings.TrimPrefix(unitPath, "/")]; ok {
		t.Error("Alpine has no systemd: the apk must not ship the unit")
	}
	if data["etc/nginx-test/nginx.conf"] != "events {}\n" {
		t.Errorf("nginx.conf is %q", data["etc/nginx-test/nginx.conf"])
	}
}

func TestTarGz(t *testing.T) {
	b := fakeBuild(t, DefaultPathArgs("nginx-test", nil))
	res, _ := makePackage(t, TarGz, b)
	if runtime.GOARCH == "amd64" && filepath.Base(res.Path) != "nginx-test-1.99.0-3.linux-amd64.tar.gz" {
		t.Errorf("file name %s", res.Path)
	}
	f, err := os.Open(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	modes := map[string]int64{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uname != "root" || h.Uid != 0 {
			t.Errorf("%s belongs to %s/%d", h.Name, h.Uname, h.Uid)
		}
		modes[h.Name] = h.Mode
	}
	for _, want := range append(wantFiles, unitPath) {
		if _, ok := modes["."+want]; !ok {
			t.Errorf("tarball lacks .%s: %v", want, keys(modes))
		}
	}
	if modes["./usr/sbin/nginx-test"] != 0o755 || modes["./etc/nginx-test/nginx.conf"] != 0o644 || modes["./var/log/nginx-test/"] != 0o755 {
		t.Errorf("modes: %o %o %o", modes["./usr/sbin/nginx-test"], modes["./etc/nginx-test/nginx.conf"], modes["./var/log/nginx-test/"])
	}
	// Same build, same archive.
	again, _ := makePackage(t, TarGz, b)
	if a, b := readFile(t, res.Path), readFile(t, again.Path); a != b {
		t.Error("packaging the same build twice gave different tarballs")
	}
}

func TestMakeErrors(t *testing.T) {
	b := fakeBuild(t, []string{"--prefix=/opt/x"})
	os.Remove(filepath.Join(b.SourceDir(), "conf", "mime.types"))
	_, err := Make(context.Background(), Request{Format: Deb, Build: b, OutDir: t.TempDir(), Meta: Meta{Name: "x1", Version: "1", Release: "1"}})
	if err == nil || !strings.Contains(err.Error(), "has no conf/mime.types to package") {
		t.Errorf("missing mime.types: %v", err)
	}
	// A binary whose compiled-in paths differ from what its build asked
	// for is packaged by its compiled-in paths, with a warning.
	b = fakeBuild(t, []string{"--prefix=/opt/x/nginx"})
	b.Requested = []string{"--prefix=/opt/x"}
	var warnings []string
	res, err := Make(context.Background(), Request{
		Format: TarGz, Build: b, OutDir: t.TempDir(), Meta: Meta{Name: "x1", Version: "1", Release: "1"},
		Warn: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Files, "/opt/x/nginx/sbin/nginx") || len(warnings) == 0 || !strings.Contains(warnings[0], "the package follows the binary") {
		t.Errorf("files %q, warnings %q", res.Files, warnings)
	}
	if runtime.GOARCH == "amd64" {
		warnings = nil
		_, err = Make(context.Background(), Request{
			Format: TarGz, Build: b, OutDir: t.TempDir(), Meta: Meta{Name: "x1", Version: "1", Release: "1", Arch: "aarch64"},
			Warn: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) },
		})
		if err != nil || !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "--arch aarch64, but") }) {
			t.Errorf("--arch aarch64 for an amd64 binary: %v %q", err, warnings)
		}
	}
	b = fakeBuild(t, []string{"--prefix=relative"})
	if _, err := Make(context.Background(), Request{Format: Deb, Build: b, OutDir: t.TempDir(), Meta: Meta{Name: "x1", Version: "1", Release: "1"}}); err == nil || !strings.Contains(err.Error(), "needs an absolute --prefix") {
		t.Errorf("relative prefix: %v", err)
	}
}

// readAPK reads an apk: gzip members (signature, control, data) each
// holding tar entries; it returns every member's regular files by name.
func readAPK(t *testing.T, p string) []map[string]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for {
		zr.Multistream(false)
		seg := map[string]string{}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("segment %d: %v", len(out), err)
			}
			if h.Typeflag == tar.TypeReg {
				b, _ := io.ReadAll(tr)
				seg[h.Name] = string(b)
			}
		}
		io.Copy(io.Discard, zr) // the rest of the member (tar padding)
		out = append(out, seg)
		if err := zr.Reset(br); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FileName is each format's conventional name, for Go's architecture
// names and the formats' own.
func TestFileName(t *testing.T) {
	t.Parallel()
	m := Meta{Name: "nginx-custom", Version: "1.30.1", Release: "2"}
	for _, tc := range []struct {
		f    Format
		arch string
		want string
	}{
		{Deb, "amd64", "nginx-custom_1.30.1-2_amd64.deb"},
		{Deb, "arm64", "nginx-custom_1.30.1-2_arm64.deb"},
		{RPM, "amd64", "nginx-custom-1.30.1-2.x86_64.rpm"},
		{RPM, "arm64", "nginx-custom-1.30.1-2.aarch64.rpm"},
		{APK, "amd64", "nginx-custom_1.30.1-r2_x86_64.apk"},
		{TarGz, "amd64", "nginx-custom-1.30.1-2.linux-amd64.tar.gz"},
	} {
		m.Arch = tc.arch
		got, err := FileName(tc.f, m)
		if err != nil || got != tc.want {
			t.Errorf("FileName(%s, %s) = %q, %v; want %q", tc.f, tc.arch, got, err, tc.want)
		}
	}
	if _, err := FileName(Deb, Meta{Name: "x1", Version: "1"}); err == nil {
		t.Error("FileName without an architecture: no error")
	}
}

func TestReservedName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		reserved bool
	}{
		{"nginx", true},
		{"nginx-common", true},
		{"nginx-full", true},
		{"nginx-filesystem", true},
		{"libnginx-mod-http-echo", true},
		{"nginx-mod-stream", true},
		{"nginx-module-njs", true},
		{"nginx-custom", false},
		{"nginx-edge", false},
		{"web", false},
	} {
		why := ReservedName(tc.name)
		if (why != "") != tc.reserved || tc.reserved && !strings.HasPrefix(why, tc.name+" is ") {
			t.Errorf("ReservedName(%q) = %q, want reserved %v", tc.name, why, tc.reserved)
		}
	}
}
