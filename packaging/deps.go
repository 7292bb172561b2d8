package packaging

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
)

// Needed is one shared library (DT_NEEDED) that the binary or a module
// loads at run time, with the files that need it.
type Needed struct {
	Soname string
	By     []string // base names
}

// ELFInfo is what the packager needs to know about the binaries.
type ELFInfo struct {
	// Arch is the binary's architecture in Go's naming (amd64, arm64, …),
	// which nfpm maps to each format's own; "" when unknown.
	Arch string
	// Is64 is true for ELFCLASS64 (rpm marks such sonames "(64bit)").
	Is64 bool
	// Needed are the shared libraries, sorted by soname.
	Needed []Needed
}

// GlibcLinked reports whether the binaries need glibc, which Alpine (musl)
// does not have.
func (e ELFInfo) GlibcLinked() bool {
	return slices.ContainsFunc(e.Needed, func(n Needed) bool { return n.Soname == "libc.so.6" })
}

// ReadELF reads the binary's and the modules' dynamic sections. What is
// linked statically (--with-pcre=DIR, --with-openssl=DIR, --with-zlib=DIR)
// is not there, so it gets no dependency.
func ReadELF(binary string, modules []string) (ELFInfo, error) {
	var info ELFInfo
	by := map[string][]string{}
	for i, p := range append([]string{binary}, modules...) {
		f, err := elf.Open(p)
		if err != nil {
			return info, fmt.Errorf("%s is not an ELF binary, so its shared libraries cannot be read: %w", p, err)
		}
		libs, err := f.ImportedLibraries()
		if i == 0 {
			info.Arch = goArch(f)
			info.Is64 = f.Class == elf.ELFCLASS64
		}
		f.Close()
		if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
			return info, fmt.Errorf("read the dynamic section of %s: %w", p, err)
		}
		for _, l := range libs {
			by[l] = append(by[l], filepath.Base(p))
		}
	}
	for so, files := range by {
		info.Needed = append(info.Needed, Needed{Soname: so, By: files})
	}
	sort.Slice(info.Needed, func(i, j int) bool { return info.Needed[i].Soname < info.Needed[j].Soname })
	return info, nil
}

// goArch names an ELF file's machine the way Go (and so nfpm) does.
func goArch(f *elf.File) string {
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_386:
		return "386"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_ARM:
		return "arm7"
	case elf.EM_PPC64:
		if f.ByteOrder.String() == "LittleEndian" {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_RISCV:
		return "riscv64"
	case elf.EM_LOONGARCH:
		return "loong64"
	}
	return ""
}

// NormalizeArch maps the common names of an architecture (Go's, Debian's,
// rpm's, Alpine's) to Go's, to compare --arch with the binary's.
func NormalizeArch(a string) string {
	switch a {
	case "x86_64":
		return "amd64"
	case "aarch64":
		return "arm64"
	case "i386", "i686", "x86":
		return "386"
	case "armhf", "armv7", "armv7hl", "arm6", "armel":
		return "arm7"
	case "ppc64el":
		return "ppc64le"
	}
	return a
}

// libPackages names, per soname, the package that provides it on Debian
// (deb), on Fedora/RHEL (rpm) and on Alpine (apk). "" means the format has
// no such package: for apk, glibc's libraries (a glibc binary does not run
// on Alpine at all, which is warned about separately).
func libPackages() map[string][3]string {
	glibc := [3]string{"libc6", "glibc", ""}
	musl := [3]string{"musl", "musl-libc", "musl"}
	return map[string][3]string{
		// the C library; linux-vdso is the kernel's, nothing to install
		"libc.so.6":              glibc,
		"libm.so.6":              glibc,
		"libdl.so.2":             glibc,
		"libpthread.so.0":        glibc,
		"librt.so.1":             glibc,
		"libresolv.so.2":         glibc,
		"ld-linux-x86-64.so.2":   glibc,
		"ld-linux-aarch64.so.1":  glibc,
		"linux-vdso.so.1":        {},
		"libc.musl-x86_64.so.1":  musl,
		"libc.musl-aarch64.so.1": musl,
		"libcrypt.so.1":          {"libcrypt1", "libxcrypt", ""},
		// what nginx links by default and with the common options
		"libpcre2-8.so.0":  {"libpcre2-8-0", "pcre2", "pcre2"},
		"libpcre.so.3":     {"libpcre3", "", ""},
		"libpcre.so.1":     {"", "pcre", "pcre"},
		"libssl.so.3":      {"libssl3", "openssl-libs", "libssl3"},
		"libcrypto.so.3":   {"libssl3", "openssl-libs", "libcrypto3"},
		"libssl.so.1.1":    {"libssl1.1", "openssl-libs", "libssl1.1"},
		"libcrypto.so.1.1": {"libssl1.1", "openssl-libs", "libcrypto1.1"},
		"libz.so.1":        {"zlib1g", "zlib", "zlib"},
		// nginx's optional modules (xslt, image_filter, geoip, perl)
		"libxml2.so.2":    {"libxml2", "libxml2", "libxml2"},
		"libxslt.so.1":    {"libxslt1.1", "libxslt", "libxslt"},
		"libexslt.so.0":   {"libxslt1.1", "libxslt", "libxslt"},
		"libgd.so.3":      {"libgd3", "gd", "gd"},
		"libGeoIP.so.1":   {"libgeoip1", "GeoIP", "geoip"},
		"libperl.so.5.36": {"libperl5.36", "perl-libs", ""},
		// libraries popular third-party modules link
		"libmaxminddb.so.0":    {"libmaxminddb0", "libmaxminddb", "libmaxminddb"},
		"libbrotlienc.so.1":    {"libbrotli1", "libbrotli", "brotli-libs"},
		"libbrotlicommon.so.1": {"libbrotli1", "libbrotli", "brotli-libs"},
		"libzstd.so.1":         {"libzstd1", "libzstd", "zstd-libs"},
		"libgcc_s.so.1":        {"libgcc-s1", "libgcc", "libgcc"},
		"libstdc++.so.6":       {"libstdc++6", "libstdc++", "libstdc++"},
	}
}

// OwnerFunc finds the package that provides a soname on the build machine
// (false when it cannot tell); nil means use the table alone.
type OwnerFunc func(ctx context.Context, soname string) (pkg string, ok bool)

// Depends turns the needed sonames into the format's dependencies: the
// owner's answer when it has one (on Debian, dpkg knows the real package,
// including renames such as libssl3t64), else the built-in table. Sonames
// the table does not know become rpm's and apk's soname dependencies
// ("libfoo.so.1()(64bit)", "so:libfoo.so.1"), which their package managers
// resolve themselves; for deb they are left out with a warning.
func Depends(ctx context.Context, f Format, info ELFInfo, owner OwnerFunc) (deps, warnings []string) {
	if f == TarGz {
		return nil, nil
	}
	table := libPackages()
	col := map[Format]int{Deb: 0, RPM: 1, APK: 2}[f]
	seen := map[string]bool{}
	add := func(d string) {
		if d != "" && !seen[d] {
			seen[d] = true
			deps = append(deps, d)
		}
	}
	for _, n := range info.Needed {
		if owner != nil {
			if pkg, ok := owner(ctx, n.Soname); ok {
				add(pkg)
				continue
			}
		}
		row, known := table[n.Soname]
		switch {
		case known && row[col] != "":
			add(row[col])
		case known && row == [3]string{}:
			// the kernel's vDSO and the like: nothing to install
		case f == RPM:
			suffix := ""
			if info.Is64 {
				suffix = "(64bit)"
			}
			add(n.Soname + "()" + suffix)
		case f == APK && !(known && row[0] == "libc6"):
			add("so:" + n.Soname)
		case f == Deb:
			warnings = append(warnings, fmt.Sprintf("no Debian package is known for %s (needed by %s): add it with --depends PACKAGE", n.Soname, strings.Join(n.By, ", ")))
		}
	}
	if f == APK && info.GlibcLinked() {
		warnings = append(warnings, "the binary is linked against glibc (libc.so.6): it will not run on Alpine Linux, whose C library is musl; build with nginx-build on Alpine for a usable apk")
	}
	sort.Strings(deps)
	return deps, warnings
}

// DpkgOwner asks dpkg which installed package provides a soname for the
// binary's architecture (goarch, as in ELFInfo.Arch). It answers false
// where dpkg is not installed or does not know the library.
func DpkgOwner(goarch string) OwnerFunc {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		return nil
	}
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	triplet := map[string]string{
		"amd64": "x86_64-linux-gnu", "386": "i386-linux-gnu", "arm64": "aarch64-linux-gnu",
		"arm7": "arm-linux-gnueabihf", "ppc64le": "powerpc64le-linux-gnu", "s390x": "s390x-linux-gnu",
		"riscv64": "riscv64-linux-gnu", "loong64": "loongarch64-linux-gnu",
	}[goarch]
	return func(ctx context.Context, soname string) (string, bool) {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, "dpkg-query", "-S", "*/"+soname)
		cmd.Stdout = &out
		if cmd.Run() != nil {
			return "", false
		}
		return pickOwner(out.String(), soname, triplet)
	}
}

// pickOwner chooses from dpkg -S output ("pkg[:arch][, pkg2]: /path"
// lines) the package whose library sits in the architecture's multiarch
// directory, or the only candidate.
func pickOwner(out, soname, triplet string) (string, bool) {
	var all, native []string
	for _, line := range strings.Split(out, "\n") {
		pkgs, p, ok := strings.Cut(line, ": ")
		if !ok || strings.HasPrefix(line, "diversion ") || filepath.Base(p) != soname {
			continue
		}
		for _, pkg := range strings.Split(pkgs, ", ") {
			pkg, _, _ = strings.Cut(strings.TrimSpace(pkg), ":")
			all = append(all, pkg)
			if triplet != "" && strings.Contains(p, "/"+triplet+"/") {
				native = append(native, pkg)
			}
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	slices.Sort(native)
	native = slices.Compact(native)
	switch {
	case len(native) == 1:
		return native[0], true
	case len(all) == 1:
		return all[0], true
	}
	return "", false
}
