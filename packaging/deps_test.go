package packaging

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDependsPerFormat(t *testing.T) {
	info := ELFInfo{Arch: "amd64", Is64: true, Needed: []Needed{
		{Soname: "libc.so.6"}, {Soname: "libcrypt.so.1"}, {Soname: "libcrypto.so.3"}, {Soname: "libpcre2-8.so.0"},
		{Soname: "libssl.so.3"}, {Soname: "libz.so.1"},
	}}
	for _, tc := range []struct {
		f    Format
		want []string
	}{
		{Deb, []string{"libc6", "libcrypt1", "libpcre2-8-0", "libssl3", "zlib1g"}},
		{RPM, []string{"glibc", "libxcrypt", "openssl-libs", "pcre2", "zlib"}},
		// glibc's own libraries have no Alpine package; libcrypt.so.1 is
		// only named by soname (and the binary is warned about anyway).
		{APK, []string{"libcrypto3", "libssl3", "pcre2", "so:libcrypt.so.1", "zlib"}},
		{TarGz, nil},
	} {
		got, warnings := Depends(context.Background(), tc.f, info, nil)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.f, got, tc.want)
		}
		glibcWarned := slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "will not run on Alpine") })
		if glibcWarned != (tc.f == APK) {
			t.Errorf("%s: warnings %q", tc.f, warnings)
		}
	}
}

func TestDependsUnknownSonameAndOwner(t *testing.T) {
	info := ELFInfo{Is64: true, Needed: []Needed{{Soname: "libfoo.so.7", By: []string{"ngx_foo_module.so"}}, {Soname: "libz.so.1"}}}
	got, _ := Depends(context.Background(), RPM, info, nil)
	if !slices.Equal(got, []string{"libfoo.so.7()(64bit)", "zlib"}) {
		t.Errorf("rpm: %v", got)
	}
	got, _ = Depends(context.Background(), APK, info, nil)
	if !slices.Equal(got, []string{"so:libfoo.so.7", "zlib"}) {
		t.Errorf("apk: %v", got)
	}
	got, warnings := Depends(context.Background(), Deb, info, nil)
	if !slices.Equal(got, []string{"zlib1g"}) || len(warnings) != 1 || !strings.Contains(warnings[0], "libfoo.so.7 (needed by ngx_foo_module.so): add it with --depends") {
		t.Errorf("deb: %v %q", got, warnings)
	}
	// What the machine's package database says wins over the table.
	owner := func(_ context.Context, so string) (string, bool) {
		return map[string]string{"libz.so.1": "zlib1g-t64", "libfoo.so.7": "libfoo7"}[so], so != "nope"
	}
	got, warnings = Depends(context.Background(), Deb, info, owner)
	if !slices.Equal(got, []string{"libfoo7", "zlib1g-t64"}) || len(warnings) != 0 {
		t.Errorf("deb with owner: %v %q", got, warnings)
	}
}

func TestPickOwner(t *testing.T) {
	out := "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6\nlibc6-i386: /lib32/libc.so.6\nlibc6:amd64: /usr/lib/x86_64-linux-gnu/libc.so.6.old\n"
	if got, ok := pickOwner(out, "libc.so.6", "x86_64-linux-gnu"); !ok || got != "libc6" {
		t.Errorf("got %q %v", got, ok)
	}
	if got, ok := pickOwner("libfoo1: /opt/lib/libfoo.so.1\n", "libfoo.so.1", "x86_64-linux-gnu"); !ok || got != "libfoo1" {
		t.Errorf("single candidate: %q %v", got, ok)
	}
	if _, ok := pickOwner("a: /x/libfoo.so.1\nb: /y/libfoo.so.1\n", "libfoo.so.1", "x86_64-linux-gnu"); ok {
		t.Error("two foreign candidates must stay undecided")
	}
	if _, ok := pickOwner("diversion by x from: /lib/libfoo.so.1\n", "libfoo.so.1", ""); ok {
		t.Error("diversions are not owners")
	}
}

// TestDpkgOwner asks this machine's dpkg about the C library.
func TestDpkgOwner(t *testing.T) {
	owner := DpkgOwner("amd64")
	if owner == nil || !fileExists("/usr/lib/x86_64-linux-gnu/libc.so.6") {
		t.Skip("needs dpkg on amd64 Debian")
	}
	if got, ok := owner(context.Background(), "libc.so.6"); !ok || got != "libc6" {
		t.Errorf("libc.so.6: %q %v", got, ok)
	}
	if _, ok := owner(context.Background(), "libnothing-here.so.9"); ok {
		t.Error("a library no package has must not resolve")
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// needGCC skips without a C compiler, except in CI where its absence is a
// broken setup.
func needGCC(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gcc missing under CI")
		}
		t.Skip("needs gcc")
	}
}

// cc compiles C source into out with extra gcc arguments.
func cc(t *testing.T, src, out string, args ...string) {
	t.Helper()
	c := filepath.Join(t.TempDir(), "x.c")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("gcc", append([]string{"-o", out, c}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
}

// pcreProgram uses PCRE2 and zlib, so the linker must keep both.
const pcreProgram = `#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <zlib.h>
#include <stdio.h>
int main(void) {
	int err; PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)"a+", PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	printf("%p %s\n", (void *)re, zlibVersion());
	return 0;
}
`

// TestStaticPCREHasNoPCREDependency: the same program linked against the
// shared PCRE2 depends on its package; linked statically (what -pcre does
// through --with-pcre=DIR) it must not.
func TestStaticPCREHasNoPCREDependency(t *testing.T) {
	needGCC(t)
	if !fileExists("/usr/include/pcre2.h") || !fileExists("/usr/include/zlib.h") {
		if os.Getenv("CI") == "true" {
			t.Fatal("libpcre2-dev and zlib1g-dev are missing under CI")
		}
		t.Skip("needs libpcre2-dev and zlib1g-dev")
	}
	dir := t.TempDir()
	shared, static := filepath.Join(dir, "shared"), filepath.Join(dir, "static")
	cc(t, pcreProgram, shared, "-lpcre2-8", "-lz")
	cc(t, pcreProgram, static, "-Wl,-Bstatic", "-lpcre2-8", "-Wl,-Bdynamic", "-lz")
	for _, tc := range []struct {
		bin      string
		wantPCRE bool
	}{{shared, true}, {static, false}} {
		info, err := ReadELF(tc.bin, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []Format{Deb, RPM, APK} {
			deps, _ := Depends(context.Background(), f, info, nil)
			hasPCRE := slices.ContainsFunc(deps, func(d string) bool { return strings.Contains(d, "pcre") })
			if hasPCRE != tc.wantPCRE {
				t.Errorf("%s as %s: depends %v (needed %v), want pcre: %v", filepath.Base(tc.bin), f, deps, info.Needed, tc.wantPCRE)
			}
			hasZlib := slices.ContainsFunc(deps, func(d string) bool { return strings.Contains(d, "zlib") })
			if !hasZlib {
				t.Errorf("%s as %s: no zlib dependency in %v", filepath.Base(tc.bin), f, deps)
			}
		}
	}
	script := filepath.Join(dir, "nginx")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	if _, err := ReadELF(script, nil); err == nil || !strings.Contains(err.Error(), "is not an ELF binary") {
		t.Errorf("a shell script must be refused, got %v", err)
	}
}
