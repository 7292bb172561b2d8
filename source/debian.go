package source

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/nginx-build/nginx-build/internal/proc"
)

// DebianPackage is the Debian source package of a component, if Debian
// ships its upstream tarball.
func DebianPackage(component string) (string, bool) {
	switch component {
	case "nginx", "openssl", "pcre2", "zlib":
		return component, true
	}
	return "", false
}

// DebianVersion is one version of a Debian source package.
type DebianVersion struct {
	// Debian is the full version, epoch and revision included: 1:1.2.13.dfsg-1.
	Debian string
	// Upstream is the upstream release it packages: 1.2.13.
	Upstream string
	// Orig is the upstream tarball's file name (zlib_1.2.13.dfsg.orig.tar.bz2)
	// and OrigSHA256 its sha256 from apt's Sources index, which apt has
	// verified against the archive's signed Release file.
	Orig, OrigSHA256 string
	// OrigASC is upstream's signature shipped beside it, if any.
	OrigASC string
	// DebianTar is the packaging tarball (debian/upstream/signing-key.asc).
	DebianTar string
}

var (
	debianEpoch  = regexp.MustCompile(`^[0-9]+:`)
	debianRepack = regexp.MustCompile(`([.+~](dfsg|ds)[0-9]*)+$`)
)

// UpstreamOf strips a Debian version down to the upstream release:
// the epoch, the Debian revision and a repack suffix
// (1:1.2.13.dfsg-1 → 1.2.13, 1.22.1-9+deb12u9 → 1.22.1).
func UpstreamOf(debian string) string {
	v := debianEpoch.ReplaceAllString(debian, "")
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	return debianRepack.ReplaceAllString(v, "")
}

// DebianVersions lists a source package's versions known to apt, newest
// Debian version first for each upstream version: the system's apt
// first, and when it knows none (deb-src is not enabled), the Debian
// archive m's private apt configuration (PrivateApt).
func DebianVersions(ctx context.Context, m Mirror, pkg string) ([]DebianVersion, error) {
	vs, err := showsrc(ctx, Apt{}, pkg)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		apt, err := m.privateApt(ctx)
		if err != nil {
			return nil, err
		}
		if vs, err = showsrc(ctx, apt, pkg); err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("apt knows no source package %q: neither the system's apt sources nor nginx-build's deb-src twins of their deb entries (%s) have it", pkg, filepath.Dir(apt.Config))
		}
	}
	// Newest Debian revision first: `dpkg --compare-versions` order.
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && debianNewer(ctx, vs[j].Debian, vs[j-1].Debian); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
	return vs, nil
}

// showsrc is what `apt-cache showsrc` knows of pkg with apt's
// configuration; nothing (no error) when apt has no source index.
func showsrc(ctx context.Context, apt Apt, pkg string) ([]DebianVersion, error) {
	out, err := proc.Output(apt.Command(ctx, "apt-cache", "showsrc", pkg))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil && len(out) == 0 {
		if _, lerr := exec.LookPath("apt-cache"); lerr != nil {
			return nil, fmt.Errorf("--source debian needs apt (apt-cache is not installed)")
		}
	}
	return parseShowsrc(string(out), pkg), nil
}

func debianNewer(ctx context.Context, a, b string) bool {
	return proc.Run(proc.Command(ctx, "dpkg", "--compare-versions", a, "gt", b)) == nil
}

// DebianFor picks the newest Debian version packaging upstream version v.
func DebianFor(vs []DebianVersion, v string) (DebianVersion, bool) {
	for _, d := range vs {
		if d.Upstream == v {
			return d, true
		}
	}
	return DebianVersion{}, false
}

// DebianArchive is the --source debian origin: component tarballs are the
// upstream tarballs (*.orig.tar.*) of Debian's source packages, fetched
// with apt. Downloads land in dir (a cache directory), and so does the
// private apt configuration used when the system's has no deb-src
// (PrivateApt with opt, once for all copies of the Mirror).
func DebianArchive(dir string, opt AptOptions) Mirror {
	return Mirror{debianDir: dir, apt: &aptSession{dir: dir, opt: opt}}
}

// privateApt is the Debian archive's private apt configuration.
func (m Mirror) privateApt(ctx context.Context) (Apt, error) {
	if m.apt == nil {
		return PrivateApt(ctx, m.debianDir, AptOptions{})
	}
	return m.apt.private(ctx)
}

// IsDebian reports whether m is the Debian archive.
func (m Mirror) IsDebian() bool { return m.debianDir != "" }

// DebianURL is the debsrc:// address of one file of a source package, which
// fetch's Debian getter understands.
func DebianURL(pkg, debVersion, file string) string {
	return "debsrc://" + url.PathEscape(pkg) + "/" + url.PathEscape(debVersion) + "/" + url.PathEscape(file)
}

// DebianWorkDir is where the files of one source package version are
// downloaded, and where its upstream signing key is kept.
func DebianWorkDir(dir, pkg, debVersion string) string {
	return filepath.Join(dir, pkg+"_"+strings.ReplaceAll(debVersion, ":", "%3A"))
}

// locateDebian finds a component's upstream tarball in Debian's archive.
func locateDebian(ctx context.Context, m Mirror, c Component, version string) (Artifact, error) {
	pkg, ok := DebianPackage(c.Name)
	if !ok {
		return Artifact{}, fmt.Errorf("%s is not in Debian's archive; --source debian covers nginx, openssl, pcre2 and zlib", c.Name)
	}
	return LocateDebianPackage(ctx, m, c.Name, pkg, version)
}

// LocateDebianPackage finds the orig tarball of pkg (any source package,
// e.g. a libnginx-mod-http-* module) packaging upstream version; "" picks
// the newest.
func LocateDebianPackage(ctx context.Context, m Mirror, component, pkg, version string) (Artifact, error) {
	vs, err := DebianVersions(ctx, m, pkg)
	if err != nil {
		return Artifact{}, err
	}
	d := vs[0]
	if version != "" {
		var ok bool
		if d, ok = DebianFor(vs, version); !ok {
			var have []string
			for _, v := range vs {
				have = append(have, v.Upstream+" ("+v.Debian+")")
			}
			return Artifact{}, fmt.Errorf("%s %s: Debian's archive has source package %s only at %s", component, version, pkg, strings.Join(have, ", "))
		}
	}
	a := Artifact{
		Component: component, Version: d.Upstream,
		FileName:     component + "-" + d.Upstream + origExt(d.Orig),
		URLs:         []string{DebianURL(pkg, d.Debian, d.Orig)},
		PinnedSHA256: d.OrigSHA256, PinnedBy: "Debian's Sources index (" + pkg + " " + d.Debian + ")",
		SigningKeyFile: filepath.Join(DebianWorkDir(m.debianDir, pkg, d.Debian), "signing-key.asc"),
	}
	if d.OrigASC != "" {
		a.SignatureURL = DebianURL(pkg, d.Debian, d.OrigASC)
	}
	return a, nil
}

func origExt(orig string) string {
	if i := strings.Index(orig, ".orig.tar."); i >= 0 {
		return orig[i+len(".orig"):]
	}
	return ".tar.gz"
}

// debianVersions lists the upstream versions Debian has of a component.
func debianVersions(ctx context.Context, m Mirror, c Component) ([]string, error) {
	pkg, ok := DebianPackage(c.Name)
	if !ok {
		return nil, fmt.Errorf("%s is not in Debian's archive; --source debian covers nginx, openssl, pcre2 and zlib", c.Name)
	}
	vs, err := DebianVersions(ctx, m, pkg)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.Upstream)
	}
	return SortVersions(out), nil
}

// parseShowsrc reads `apt-cache showsrc` output: one stanza per source
// package version and sources entry, with the files in Checksums-Sha256.
func parseShowsrc(out, pkg string) []DebianVersion {
	var vs []DebianVersion
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var cur *DebianVersion
	inSums := false
	seen := map[string]bool{}
	flush := func() {
		// The same version is listed once per sources entry that has it.
		if cur != nil && cur.Orig != "" && !seen[cur.Debian] {
			seen[cur.Debian] = true
			vs = append(vs, *cur)
		}
		cur = nil
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
			inSums = false
		case strings.HasPrefix(line, "Package: "):
			flush()
			if strings.TrimSpace(strings.TrimPrefix(line, "Package: ")) == pkg {
				cur = &DebianVersion{}
			}
			inSums = false
		case cur == nil:
		case strings.HasPrefix(line, "Version: "):
			cur.Debian = strings.TrimSpace(strings.TrimPrefix(line, "Version: "))
			cur.Upstream = UpstreamOf(cur.Debian)
		case strings.HasPrefix(line, "Checksums-Sha256:"):
			inSums = true
		case strings.HasPrefix(line, " ") && inSums:
			f := strings.Fields(line)
			if len(f) != 3 {
				continue
			}
			switch name := f[2]; {
			case strings.Contains(name, ".orig.tar.") && strings.HasSuffix(name, ".asc"):
				cur.OrigASC = name
			case strings.Contains(name, ".orig.tar."):
				cur.Orig, cur.OrigSHA256 = name, f[0]
			case strings.Contains(name, ".debian.tar."), strings.HasSuffix(name, ".diff.gz"):
				cur.DebianTar = name
			}
		default:
			inSums = false
		}
	}
	flush()
	return vs
}
