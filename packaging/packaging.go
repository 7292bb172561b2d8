// Package packaging turns a finished nginx build into an installable
// package — deb, rpm or apk through nfpm, or a plain tar.gz with the same
// file layout: the binary, its dynamic modules, the default configuration
// of the nginx source tree (marked as configuration files, so upgrades and
// removals keep the administrator's edits), the default pages, a systemd
// unit, and dependencies on the shared libraries the binary really loads.
//
// Every path comes from the binary's own configure arguments (see Layout):
// a package that put nginx.conf anywhere else than where the binary looks
// for it would install a server that does not start.
package packaging

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/apk"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	"github.com/goreleaser/nfpm/v2/rpm"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/nginxbin"
)

// Format is a package format.
type Format string

// The formats nginx-build writes.
const (
	Deb   Format = "deb"
	RPM   Format = "rpm"
	APK   Format = "apk"
	TarGz Format = "tar.gz"
)

// Formats lists the formats, for help texts and errors.
func Formats() []Format { return []Format{Deb, RPM, APK, TarGz} }

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown package format %q: use deb, rpm, apk or tar.gz", s)
}

// Meta is the package's own metadata.
type Meta struct {
	Name        string
	Version     string
	Release     string
	Maintainer  string
	Description string // first line is the summary
	License     string
	// Arch is Go's name for the architecture (amd64, arm64, …) or a
	// format's own (x86_64, aarch64); "" means the binary's.
	Arch string
	// Depends are added to the dependencies found in the binary.
	Depends []string
}

var (
	namePattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	versionPattern = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)
	releasePattern = regexp.MustCompile(`^[A-Za-z0-9.+~]+$`)
	// shellSafe paths may be named in a maintainer script unquoted.
	shellSafe = regexp.MustCompile(`^/[A-Za-z0-9/._+-]+$`)
)

// CheckName checks a package name against the rules all three formats
// accept (Debian's are the strictest).
func CheckName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("package name %q: use lowercase letters, digits and + - . (at least two characters, starting with a letter or digit)", name)
	}
	return nil
}

// ReservedName says why a package may not be called name without the
// user insisting, or "" when it may: distributions (Debian, Ubuntu,
// Fedora, RHEL, Alpine) and nginx.org ship their nginx under these
// names. A package of the same name replaces theirs on install, and its
// files (/etc/nginx/…) collide with the packages it would not replace,
// such as nginx-common.
func ReservedName(name string) string {
	switch name {
	case "nginx", "nginx-common", "nginx-core", "nginx-full", "nginx-light", "nginx-extras",
		"nginx-filesystem", "nginx-all-modules", "nginx-openrc", "nginx-doc":
		return fmt.Sprintf("%s is the name of a package of the distribution's own nginx: installing this one would replace it, and its files would collide with those of the distribution's other nginx packages (nginx-common's /etc/nginx)", name)
	}
	for _, prefix := range []string{"libnginx-mod-", "nginx-mod-", "nginx-module-"} {
		if strings.HasPrefix(name, prefix) {
			return fmt.Sprintf("%s is named like the distribution's (or nginx.org's) packages of nginx modules (%s*): installing this one would replace such a package", name, prefix)
		}
	}
	return ""
}

// CheckVersion checks a package version: it must start with a digit, and
// "-" is reserved for the release.
func CheckVersion(v string) error {
	if !versionPattern.MatchString(v) {
		return fmt.Errorf("package version %q: it must start with a digit and contain only letters, digits and . + ~", v)
	}
	return nil
}

// CheckRelease checks a package release (Debian revision, rpm release).
func CheckRelease(r string) error {
	if !releasePattern.MatchString(r) {
		return fmt.Errorf("package release %q: use letters, digits and . + ~", r)
	}
	return nil
}

// Build is a finished build, as the builder left it.
type Build struct {
	// Binary is the built nginx (objs/nginx); its source tree is the
	// directory above objs/, holding conf/ and html/.
	Binary string
	// Record is the build record (build-info.json), shipped as
	// documentation when it exists.
	Record string
	// Requested are the configure arguments the build asked for; the
	// layout they give is compared with the binary's (nil: not compared).
	Requested []string
}

// SourceDir is the nginx source tree the binary was built in.
func (b Build) SourceDir() string { return filepath.Dir(filepath.Dir(b.Binary)) }

// Modules are the dynamic modules make built beside the binary.
func (b Build) Modules() ([]string, error) {
	return filepath.Glob(filepath.Join(filepath.Dir(b.Binary), "*.so"))
}

// Request is one package to write.
type Request struct {
	Format Format
	Meta   Meta
	Build  Build
	// OutDir receives the package.
	OutDir string
	// Owner finds the package of a soname on this machine (see DpkgOwner);
	// nil uses the built-in table alone.
	Owner OwnerFunc
	// Warn receives what the user should know but does not stop packaging.
	Warn func(format string, args ...any)
	// SourceDate, when set, is the time stamped on every file of the
	// package (SOURCE_DATE_EPOCH, which the command layer parses with
	// internal/sourcedate); nil stamps the binary's mtime.
	SourceDate *time.Time
}

// Result is a written package.
type Result struct {
	Path    string
	Layout  Layout
	Depends []string
	Needed  []Needed
	Files   []string // destinations of the files (not directories), sorted
}

// Inspect runs the binary's nginx -V: its version and the configure
// arguments compiled into it, the truth about where it looks for files.
func Inspect(ctx context.Context, binary string) (configure.VersionInfo, error) {
	out, err := nginxbin.NginxV(ctx, binary)
	if err != nil {
		return configure.VersionInfo{}, err
	}
	info, err := configure.ParseV(out)
	if err != nil {
		return info, fmt.Errorf("%s -V: %w", binary, err)
	}
	return info, nil
}

// Make writes the package and returns where it is.
func Make(ctx context.Context, req Request) (Result, error) {
	var res Result
	warn := req.Warn
	if warn == nil {
		warn = func(string, ...any) {}
	}
	b := req.Build
	vinfo, err := Inspect(ctx, b.Binary)
	if err != nil {
		return res, err
	}
	if res.Layout, err = LayoutFromArgs(vinfo.ConfigureArgs); err != nil {
		return res, fmt.Errorf("%s: %w", b.Binary, err)
	}
	if b.Requested != nil {
		if want, err := LayoutFromArgs(b.Requested); err == nil {
			for _, d := range res.Layout.Differences(want) {
				warn("%s", d)
			}
		}
	}
	for _, w := range res.Layout.PolicyWarnings(req.Format) {
		warn("%s", w)
	}
	modules, err := b.Modules()
	if err != nil {
		return res, err
	}
	elfInfo, err := ReadELF(b.Binary, modules)
	if err != nil {
		return res, err
	}
	res.Needed = elfInfo.Needed
	deps, warnings := Depends(ctx, req.Format, elfInfo, req.Owner)
	for _, w := range warnings {
		warn("%s", w)
	}
	res.Depends = deps
	for _, d := range req.Meta.Depends {
		if !slices.Contains(res.Depends, d) {
			res.Depends = append(res.Depends, d)
		}
	}
	meta := req.Meta
	if meta.Arch != "" && elfInfo.Arch != "" && NormalizeArch(meta.Arch) != elfInfo.Arch {
		warn("--arch %s, but %s is built for %s: the package will not run there", meta.Arch, b.Binary, elfInfo.Arch)
	}
	if meta.Arch == "" {
		meta.Arch = elfInfo.Arch
	}
	if meta.Arch == "" {
		return res, fmt.Errorf("cannot tell the architecture of %s: give --arch", b.Binary)
	}
	if meta.Description == "" {
		meta.Description = fmt.Sprintf("%s %s built with nginx-build\nConfigure arguments: %s", vinfo.Name, vinfo.Version, strings.Join(vinfo.ConfigureArgs, " "))
	}

	staging, err := os.MkdirTemp("", "nginx-build-package-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(staging)
	info, err := buildInfo(req.Format, meta, res.Layout, b, modules, staging, mtime(req.SourceDate, b.Binary))
	if err != nil {
		return res, err
	}
	info.Depends = res.Depends
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if err := os.MkdirAll(req.OutDir, 0o755); err != nil {
		return res, fmt.Errorf("create output directory: %w", err)
	}
	res.Path, res.Files, err = write(req.Format, info, req.OutDir)
	return res, err
}

// mtime is the time stamped on every file of the package: the binary's,
// so that packaging the same build twice gives the same files, unless
// SOURCE_DATE_EPOCH (the reproducible-builds convention) says otherwise.
// sourceDate is that date as the caller read it; nil means the caller did
// not, and the environment is consulted, as before Request.SourceDate.
func mtime(sourceDate *time.Time, binary string) time.Time {
	if sourceDate != nil {
		return sourceDate.UTC()
	}
	if fi, err := os.Stat(binary); err == nil {
		return fi.ModTime().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

// buildInfo assembles nfpm's description of the package. Generated files
// (the unit, maintainer scripts) are written into staging.
func buildInfo(f Format, m Meta, l Layout, b Build, modules []string, staging string, stamp time.Time) (*nfpm.Info, error) {
	var c files.Contents
	file := func(src, dst string, mode os.FileMode, typ string) {
		c = append(c, &files.Content{Source: src, Destination: dst, Type: typ, FileInfo: &files.ContentFileInfo{Mode: mode}})
	}
	file(b.Binary, l.Sbin, 0o755, files.TypeFile)
	for _, so := range modules {
		file(so, path.Join(l.Modules, filepath.Base(so)), 0o644, files.TypeFile)
	}
	// The configuration make install would install, every file of conf/.
	// They are the administrator's to edit: config|noreplace makes them
	// conffiles (deb) and %config(noreplace) (rpm), kept on upgrade and
	// on removal.
	src := b.SourceDir()
	confs, err := regularFiles(filepath.Join(src, "conf"))
	if err != nil {
		return nil, fmt.Errorf("the nginx source tree's configuration: %w", err)
	}
	for _, need := range []string{"nginx.conf", "mime.types"} {
		if !slices.Contains(confs, need) {
			return nil, fmt.Errorf("the nginx source tree %s has no conf/%s to package", src, need)
		}
	}
	for _, name := range confs {
		target := path.Join(l.ConfDir(), name)
		if name == "nginx.conf" {
			target = l.Conf // --conf-path may name it otherwise
		}
		file(filepath.Join(src, "conf", name), target, 0o644, files.TypeConfigNoReplace)
	}
	pages, err := regularFiles(filepath.Join(src, "html"))
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("the nginx source tree's default pages: %w", err)
	}
	for _, name := range pages {
		file(filepath.Join(src, "html", name), path.Join(l.HTMLDir(), name), 0o644, files.TypeFile)
	}
	if b.Record != "" {
		if _, err := os.Stat(b.Record); err == nil {
			file(b.Record, path.Join("/usr/share/doc", m.Name, filepath.Base(b.Record)), 0o644, files.TypeFile)
		}
	}
	// Directories nginx writes to but does not create: the logs', the pid
	// file's, the temp files' parents, and the modules directory.
	dirs := []string{l.Modules, path.Dir(l.PID), path.Dir(l.HTTPLog)}
	if l.ErrorLog != "" {
		dirs = append(dirs, path.Dir(l.ErrorLog))
	}
	for _, t := range l.TempDirs {
		dirs = append(dirs, path.Dir(t))
	}
	var state []string
	seen := map[string]bool{}
	for _, d := range dirs {
		if seen[d] || systemDir(d) {
			continue
		}
		if _, ok := runtimeDir(d + "/x"); ok {
			continue // under /run: systemd's RuntimeDirectory= makes it at each start
		}
		seen[d] = true
		c = append(c, &files.Content{Destination: d, Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: 0o755}})
		if strings.HasPrefix(d, "/var/") && safePath(d) {
			state = append(state, d)
		}
	}

	summary, _, _ := strings.Cut(m.Description, "\n")
	info := &nfpm.Info{
		Name: m.Name, Arch: m.Arch, Platform: "linux", Version: m.Version, VersionSchema: "none",
		Release: m.Release, Section: "httpd", Priority: "optional", Maintainer: m.Maintainer,
		Description: m.Description, License: m.License, MTime: stamp,
		Overridables: nfpm.Overridables{
			RPM: nfpm.RPM{Summary: summary, Group: "System Environment/Daemons"},
		},
	}
	if f != APK {
		// Alpine has no systemd (it uses OpenRC): the apk gets no unit.
		unit := filepath.Join(staging, m.Name+".service")
		desc := summary
		if err := os.WriteFile(unit, []byte(SystemdUnit(m.Name, desc, l)), 0o644); err != nil {
			return nil, err
		}
		file(unit, path.Join("/usr/lib/systemd/system", m.Name+".service"), 0o644, files.TypeFile)
	}
	if f == Deb || f == RPM {
		scripts := map[string]string{
			"postinstall": postInstall(), "preremove": preRemove(m.Name), "postremove": postRemove(state),
		}
		for name, body := range scripts {
			if err := os.WriteFile(filepath.Join(staging, name), []byte(body), 0o755); err != nil {
				return nil, err
			}
		}
		info.Scripts = nfpm.Scripts{
			PostInstall: filepath.Join(staging, "postinstall"),
			PreRemove:   filepath.Join(staging, "preremove"),
			PostRemove:  filepath.Join(staging, "postremove"),
		}
	}
	info.Contents = c
	return nfpm.WithDefaults(info), nil
}

// systemDir reports whether a directory belongs to the base system, which
// a package must not claim.
func systemDir(d string) bool {
	switch d {
	case "/", "/etc", "/opt", "/run", "/var/run", "/tmp", "/var", "/var/tmp", "/var/log", "/var/lib", "/var/cache",
		"/usr", "/usr/lib", "/usr/lib64", "/usr/share", "/usr/sbin", "/usr/bin", "/usr/local", "/srv":
		return true
	}
	return false
}

// safePath is a path that a shell script may name without quoting issues.
func safePath(p string) bool {
	return shellSafe.MatchString(p) && !strings.Contains(p, "..")
}

// regularFiles lists the names of the regular files in dir.
func regularFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// FileName is the name Make gives the package of m in format f, known
// before anything is built (for a dry run): m.Arch must be set, as Go's
// name for it or the format's own.
func FileName(f Format, m Meta) (string, error) {
	if m.Arch == "" {
		return "", fmt.Errorf("package file name: no architecture")
	}
	info := nfpm.WithDefaults(&nfpm.Info{Name: m.Name, Arch: m.Arch, Platform: "linux", Version: m.Version, VersionSchema: "none", Release: m.Release})
	_, name, err := packagerFor(f, info)
	return name, err
}

// packagerFor is format f's packager (nil for tar.gz, written here) and
// the conventional file name of the package info describes.
func packagerFor(f Format, info *nfpm.Info) (nfpm.Packager, string, error) {
	var packager nfpm.Packager
	switch f {
	case Deb:
		packager = deb.Default
	case RPM:
		packager = rpm.DefaultRPM
	case APK:
		packager = apk.Default
	case TarGz:
		return nil, tarballName(info), nil
	default:
		return nil, "", fmt.Errorf("unknown package format %q", f)
	}
	c := *info // ConventionalFileName normalizes the arch in place
	return packager, packager.ConventionalFileName(&c), nil
}

// write writes the package into outDir under the format's conventional
// file name, through a temporary file: a failure leaves nothing that
// looks like a package.
func write(f Format, info *nfpm.Info, outDir string) (string, []string, error) {
	packager, name, err := packagerFor(f, info)
	if err != nil {
		return "", nil, err
	}
	// The packagers expand the contents in place: keep the list of
	// destinations from a copy for the result.
	contents, err := files.PrepareForPackager(info.Contents, info.Umask, string(f), info.DisableGlobbing, info.MTime)
	if err != nil {
		return "", nil, fmt.Errorf("package contents: %w", err)
	}
	var dests []string
	for _, c := range contents {
		if !c.IsDir() {
			dests = append(dests, c.Destination)
		}
	}
	// Atomic, so that an interrupted run never leaves a truncated package
	// under the name an install script or a repository would pick up.
	final := filepath.Join(outDir, name)
	err = atomicfile.WriteWith(final, 0o644, func(w io.Writer) error {
		if packager != nil {
			return packager.Package(info, w)
		}
		return writeTarGz(w, contents, info.MTime)
	})
	if err != nil {
		return "", nil, fmt.Errorf("write %s package: %w", f, err)
	}
	return final, dests, nil
}

// tarballName is NAME-VERSION-RELEASE.linux-ARCH.tar.gz.
func tarballName(info *nfpm.Info) string {
	v := info.Version
	if info.Release != "" {
		v += "-" + info.Release
	}
	return fmt.Sprintf("%s-%s.linux-%s.tar.gz", info.Name, v, info.Arch)
}

// copyN is io.Copy that names the file on failure.
func copyN(dst io.Writer, src string) (int64, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(dst, f)
	if err != nil {
		return n, fmt.Errorf("copy %s: %w", src, err)
	}
	return n, nil
}
