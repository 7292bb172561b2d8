package packaging

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2/files"
)

// writeTarGz writes contents (as nfpm prepared them: parents included,
// sorted by destination) as a gzip'd tar relative to /, the layout of the
// other formats without their metadata: unpack it with tar -C / -xzf.
// Every entry belongs to root and carries the same mtime, so the same
// build gives the same archive.
func writeTarGz(w io.Writer, contents files.Contents, mtime time.Time) error {
	zw := gzip.NewWriter(w)
	zw.ModTime = mtime
	tw := tar.NewWriter(zw)
	for _, c := range contents {
		name := "." + strings.TrimSuffix(c.Destination, "/")
		hdr := &tar.Header{
			Name: name, ModTime: mtime, Uid: 0, Gid: 0, Uname: "root", Gname: "root",
			Mode: int64(c.Mode().Perm()), Format: tar.FormatPAX,
		}
		switch c.Type {
		case files.TypeDir, files.TypeImplicitDir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
			if hdr.Mode == 0 {
				hdr.Mode = 0o755
			}
		case files.TypeSymlink:
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, c.Source
		case files.TypeFile, files.TypeConfig, files.TypeConfigNoReplace, files.TypeConfigMissingOK:
			hdr.Typeflag, hdr.Size = tar.TypeReg, c.Size()
		default:
			continue // rpm-only kinds (ghost, doc…) have no file to ship
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("tar %s: %w", name, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			n, err := copyN(tw, c.Source)
			if err != nil {
				return err
			}
			if n != hdr.Size {
				return fmt.Errorf("%s changed while it was packaged", c.Source)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}
