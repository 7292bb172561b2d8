package fetch

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	getter "github.com/hashicorp/go-getter/v2"
	"github.com/ulikunitz/xz"

	"github.com/nginx-build/nginx-build/internal/proc"
	"github.com/nginx-build/nginx-build/source"
)

// debsrcGetter is a go-getter Getter for debsrc://PACKAGE/DEBVERSION/FILE:
// one file of a Debian source package, fetched with
// `apt-get source --download-only` (which verifies it against apt's signed
// indexes). The package's files are downloaded once into dir/PACKAGE_VERSION/,
// where upstream's signing key (debian/upstream/signing-key.asc) is also
// extracted when the packaging ships one.
type debsrcGetter struct {
	dir string
}

func (g *debsrcGetter) Detect(req *getter.Request) (bool, error) {
	return strings.HasPrefix(req.Src, "debsrc://"), nil
}

func (g *debsrcGetter) Mode(context.Context, *url.URL) (getter.Mode, error) {
	return getter.ModeFile, nil
}

func (g *debsrcGetter) Get(context.Context, *getter.Request) error {
	return fmt.Errorf("debsrc:// addresses name single files")
}

func (g *debsrcGetter) GetFile(ctx context.Context, req *getter.Request) error {
	u := req.URL()
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(parts) != 2 {
		return fmt.Errorf("malformed %s (want debsrc://PACKAGE/VERSION/FILE)", u)
	}
	pkg, err1 := url.PathUnescape(u.Host)
	ver, err2 := url.PathUnescape(parts[0])
	file, err3 := url.PathUnescape(parts[1])
	if err1 != nil || err2 != nil || err3 != nil || strings.ContainsAny(file, "/\\") || strings.HasPrefix(pkg, "-") || strings.HasPrefix(ver, "-") {
		return fmt.Errorf("malformed %s", u)
	}
	work := source.DebianWorkDir(g.dir, pkg, ver)
	if err := g.download(ctx, pkg, ver, work); err != nil {
		return err
	}
	src := filepath.Join(work, file)
	if _, err := os.Stat(src); err != nil {
		// What the package does not ship (an upstream signature, say) is
		// "not published", like an HTTP 404.
		return fmt.Errorf("bad response code: 404 (%s is not part of Debian's %s %s)", file, pkg, ver)
	}
	return copyTo(src, req.Dst)
}

// download fetches the source package's files unless they are there:
// with the system's apt, and when it has no such source package (deb-src
// is not enabled) with nginx-build's private deb-src configuration, as
// --source debian found the version. apt exits 100 when it cannot verify
// a .dsc although the tarballs did arrive: what counts is the files, so
// the exit status is only reported when the orig tarball is missing.
func (g *debsrcGetter) download(ctx context.Context, pkg, ver, work string) error {
	if done, _ := filepath.Glob(filepath.Join(work, "*.orig.tar.*")); len(done) > 0 {
		return nil
	}
	tmp := work + ".part"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out, runErr := aptGetSource(ctx, source.Apt{}, pkg, ver, tmp)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !hasOrig(tmp) && aptLacksSource(out) {
		apt, err := source.PrivateApt(ctx, g.dir, source.AptOptions{})
		if err != nil {
			return fmt.Errorf("apt-get source %s=%s: %w", pkg, ver, err)
		}
		if out, runErr = aptGetSource(ctx, apt, pkg, ver, tmp); ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if !hasOrig(tmp) {
		return fmt.Errorf("apt-get source --download-only %s=%s failed (%v): %s", pkg, ver, runErr, strings.TrimSpace(string(out)))
	}
	if debs, _ := filepath.Glob(filepath.Join(tmp, "*.debian.tar.xz")); len(debs) == 1 {
		// Best effort: without the key, the signature simply cannot be checked.
		_ = extractSigningKey(debs[0], filepath.Join(tmp, "signing-key.asc"))
	}
	os.RemoveAll(work)
	return os.Rename(tmp, work)
}

// aptGetSource downloads a source package version's files into dir.
func aptGetSource(ctx context.Context, apt source.Apt, pkg, ver, dir string) ([]byte, error) {
	cmd := apt.Command(ctx, "apt-get", "source", "--download-only", "-qq", pkg+"="+ver)
	cmd.Dir = dir
	return proc.CombinedOutput(cmd)
}

// aptLacksSource reports whether apt-get source said it has no deb-src
// at all, or not this source package.
func aptLacksSource(out []byte) bool {
	return strings.Contains(string(out), "You must put some 'deb-src' URIs") || strings.Contains(string(out), "Unable to find a source package")
}

func hasOrig(dir string) bool {
	origs, _ := filepath.Glob(filepath.Join(dir, "*.orig.tar.*"))
	return len(origs) > 0
}

// extractSigningKey copies debian/upstream/signing-key.asc out of a Debian
// packaging tarball.
func extractSigningKey(debianTar, dst string) error {
	f, err := os.Open(debianTar)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := xz.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return err
		}
		if strings.TrimPrefix(h.Name, "./") == "debian/upstream/signing-key.asc" && h.Typeflag == tar.TypeReg {
			out, err := os.Create(dst)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, io.LimitReader(tr, 1<<20)); err != nil {
				out.Close()
				return err
			}
			return out.Close()
		}
	}
}

func copyTo(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
