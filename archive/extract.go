// Package archive unpacks downloaded source tarballs (nginx, zlib, PCRE,
// OpenSSL, third-party modules) into the build tree.
//
// Tarballs come from the network and are untrusted, so extraction refuses
// anything that could write outside the destination: absolute or escaping
// names, symlinks and hard links that point outside, paths that go through
// such links, and device or FIFO nodes. The lexical checks exist to produce
// precise errors; every write additionally goes through an os.Root so that a
// gap in those checks still cannot escape the temporary extraction directory.
//
// Extraction is also bounded (see [Limits]): an archive bomb, a few
// kilobytes that decompress to gigabytes of zeros or to millions of empty
// files, is stopped once the bytes actually written or the number of
// entries pass a cap, rather than filling the disk.
package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ulikunitz/xz"

	"github.com/nginx-build/nginx-build/internal/human"
)

// UnsafeEntryError reports an archive entry that was refused.
type UnsafeEntryError struct {
	// Archive is the path of the tarball that was being extracted.
	Archive string
	// Entry is the entry name exactly as recorded in the archive.
	Entry string
	// Reason says why the entry was refused.
	Reason string
}

// Error names both the entry and the archive so that a user can tell which
// download is bad without any further context.
func (e *UnsafeEntryError) Error() string {
	return fmt.Sprintf("unsafe entry %q in %s: %s", e.Entry, e.Archive, e.Reason)
}

const (
	reasonAbsolute     = "absolute path"
	reasonLeavesRoot   = "path leaves the extraction root"
	reasonThroughLink  = "path goes through a symlink that leaves the extraction root"
	reasonLinkAbsolute = "symlink target is absolute"
	reasonLinkLeaves   = "symlink target leaves the extraction root"
	reasonHardAbsolute = "hard link target is absolute"
	reasonHardLeaves   = "hard link target leaves the extraction root"
	reasonHardToLink   = "hard link to a symlink whose target leaves the extraction root"

	// maxLinkHops bounds symlink resolution. It is well above the kernel's
	// own limit (40 on Linux), so anything we give up on the kernel would
	// refuse to follow as well.
	maxLinkHops = 255

	// tmpPrefix marks our temporary directories; the leading dot keeps
	// them out of the way of anyone listing destDir meanwhile.
	tmpPrefix = ".extract-"
)

// supportedFormats is quoted in the unknown-format error so users know what
// to feed us instead.
const supportedFormats = "gzip, bzip2, xz"

// walkError is a constant error type so the resolver's sentinels need no
// package-level variables.
type walkError string

func (e walkError) Error() string { return string(e) }

const (
	errEscape walkError = "escapes root"
	errLoop   walkError = "too many levels of symbolic links"
)

// Default caps, far above what real source trees need: nginx plus OpenSSL
// is about 100 MB in about 5,000 entries.
const (
	defaultMaxBytes   int64 = 4 << 30
	defaultMaxEntries       = 200_000
)

// Limits caps what a single extraction may produce. A zero field takes its
// value from [DefaultLimits]; a negative one is rejected.
type Limits struct {
	// MaxBytes caps the total size of the extracted data, counted as the
	// bytes actually written (plus any data decompressed after the tar end
	// marker), never as the sizes that entry headers declare.
	MaxBytes int64
	// MaxEntries caps the number of archive entries of every kind,
	// including directories, links and pax global headers.
	MaxEntries int
}

// DefaultLimits returns the caps that [Extract] applies: 4 GiB of
// extracted data and 200,000 entries.
func DefaultLimits() Limits {
	return Limits{MaxBytes: defaultMaxBytes, MaxEntries: defaultMaxEntries}
}

// resolved fills zero fields with the defaults and refuses negative ones.
func (l Limits) resolved() (Limits, error) {
	if l.MaxBytes < 0 || l.MaxEntries < 0 {
		return l, fmt.Errorf("invalid extraction limits (max bytes %d, max entries %d): must not be negative", l.MaxBytes, l.MaxEntries)
	}
	d := DefaultLimits()
	if l.MaxBytes == 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxEntries == 0 {
		l.MaxEntries = d.MaxEntries
	}
	return l, nil
}

// Which cap a [LimitError] reports.
const (
	LimitBytes   = "bytes"
	LimitEntries = "entries"
)

// LimitError reports an archive that would expand past one of the caps in
// [Limits]. It is returned unwrapped, like [UnsafeEntryError], so that a
// caller can use errors.As to add advice on raising the cap.
type LimitError struct {
	// Archive is the path of the tarball that was being extracted.
	Archive string
	// Limit is LimitBytes or LimitEntries.
	Limit string
	// Max is the cap that was exceeded (bytes or entries).
	Max int64
	// Entry is the name of the entry being processed when extraction
	// stopped; empty if it stopped after the last entry.
	Entry string
	// Entries and Bytes say how far extraction got: entries seen and bytes
	// written before it stopped.
	Entries int
	Bytes   int64
}

// Error says that a limit, not a damaged or malicious-looking entry, was
// hit, and how far extraction had come.
func (e *LimitError) Error() string {
	where := "after the last entry"
	if e.Entry != "" {
		where = fmt.Sprintf("at entry %d %q", e.Entries, e.Entry)
	}
	if e.Limit == LimitEntries {
		return fmt.Sprintf("extract %s: archive has more than %d entries (limit on entry count; stopped %s, %s written)",
			e.Archive, e.Max, where, humanBytes(e.Bytes))
	}
	return fmt.Sprintf("extract %s: archive expands beyond %s (limit on extracted size; stopped %s, %s written)",
		e.Archive, humanBytes(e.Max), where, humanBytes(e.Bytes))
}

// humanBytes keeps the package's short name for the tool-wide format.
func humanBytes(n int64) string { return human.Bytes(n) }

// Extract unpacks the tarball at src (gzip, bzip2 or xz compressed tar, detected by magic bytes, not by file name)
// into destDir/want, where want is e.g. "zlib-1.2.13". It is atomic: it extracts into a temporary directory inside
// destDir and renames into place at the end, so an interrupted run never leaves a half-extracted want dir.
// If destDir/want already exists it is replaced (removed after the new tree is ready).
// If the archive's entries all live under a single top-level directory (whatever its name, e.g. "zlib-1.2.13.dfsg/"),
// that directory's contents become destDir/want; otherwise (several top-level entries) the entries themselves go into destDir/want.
//
// Refused entries are reported as *UnsafeEntryError, returned unwrapped
// because its message already names the archive.
//
// Extract applies [DefaultLimits]; an archive that exceeds them fails with
// a *LimitError and, like any other failure, leaves nothing behind.
func Extract(ctx context.Context, src, destDir, want string) error {
	return ExtractWithLimits(ctx, src, destDir, want, Limits{})
}

// ExtractWithLimits is [Extract] with explicit caps on the extracted size
// and the number of entries; zero fields of lim take the defaults.
func ExtractWithLimits(ctx context.Context, src, destDir, want string, lim Limits) error {
	lim, err := lim.resolved()
	if err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	if err := checkWant(want); err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}

	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	defer f.Close()

	stream, err := decompressor(src, f)
	if err != nil {
		return err
	}

	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	removeStaleTemps(destDir, time.Now())
	// The temporary directory lives inside destDir so the final rename
	// stays on one filesystem and is therefore atomic.
	tmp, err := os.MkdirTemp(destDir, tmpPrefix+want+"-")
	if err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	if err := extractInto(ctx, src, stream, tmp, filepath.Join(destDir, want), lim); err != nil {
		if rmErr := os.RemoveAll(tmp); rmErr != nil {
			return errors.Join(err, fmt.Errorf("extract %s: clean up: %w", src, rmErr))
		}
		return err
	}
	if err := os.RemoveAll(tmp); err != nil {
		// The new tree is already in place; only the previous one (parked
		// inside tmp) lingers, which the caller should still hear about.
		return fmt.Errorf("extract %s: remove previous tree: %w", src, err)
	}
	return nil
}

// staleAfter is the age past which a temporary extraction directory is a
// leftover: a run killed too hard to clean up (SIGKILL, power loss).
const staleAfter = 24 * time.Hour

// removeStaleTemps removes such leftovers from destDir. Younger ones may
// belong to a concurrent extraction and are left alone.
func removeStaleTemps(destDir string, now time.Time) {
	entries, err := os.ReadDir(destDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > staleAfter {
			_ = os.RemoveAll(filepath.Join(destDir, e.Name()))
		}
	}
}

// checkWant keeps want a single path element so the result cannot land
// anywhere but directly inside destDir.
func checkWant(want string) error {
	if want == "" || want == "." || want == ".." ||
		strings.ContainsAny(want, `/\`) || filepath.Base(want) != want {
		return fmt.Errorf("invalid target directory name %q: must be a single path element", want)
	}
	return nil
}

// decompressor sniffs the magic bytes because download URLs and cached file
// names do not reliably carry the right extension.
func decompressor(src string, f io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	magic, _ := br.Peek(6) // a short read just means no format matches
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("extract %s: corrupt gzip archive: %w", src, err)
		}
		return zr, nil
	case bytes.HasPrefix(magic, []byte("BZh")):
		return bzip2.NewReader(br), nil
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("extract %s: corrupt xz archive: %w", src, err)
		}
		return xr, nil
	default:
		return nil, fmt.Errorf("extract %s: unknown compression format (supported: %s compressed tar)", src, supportedFormats)
	}
}

// extractInto unpacks stream below tmp and then swaps the result into dst.
// The caller removes tmp afterwards, which also disposes of any previous
// dst that was parked there.
func extractInto(ctx context.Context, src string, stream io.Reader, tmp, dst string, lim Limits) error {
	treeDir := filepath.Join(tmp, "tree")
	if err := os.Mkdir(treeDir, 0o755); err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	root, err := os.OpenRoot(treeDir)
	if err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	x := &extractor{
		ctx:     ctx,
		archive: src,
		root:    root,
		links:   map[string]linkInfo{},
		dirs:    map[string]dirInfo{},
		tops:    map[string]struct{}{},
		buf:     make([]byte, 128<<10),
		lim:     lim,
	}
	top, err := x.run(stream)
	if cerr := root.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("extract %s: %w", src, cerr)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}

	newTree := filepath.Join(treeDir, filepath.FromSlash(top))
	parked := filepath.Join(tmp, "previous")
	hadOld := false
	if _, err := os.Lstat(dst); err == nil {
		// Renaming over a non-empty directory fails, so move the old tree
		// aside first; it is deleted only once the new one is in place.
		if err := os.Rename(dst, parked); err != nil {
			return fmt.Errorf("extract %s: move existing %s aside: %w", src, dst, err)
		}
		hadOld = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	if err := os.Rename(newTree, dst); err != nil {
		err = fmt.Errorf("extract %s: install %s: %w", src, dst, err)
		if hadOld {
			if rerr := os.Rename(parked, dst); rerr != nil {
				err = errors.Join(err, fmt.Errorf("extract %s: restore previous %s: %w", src, dst, rerr))
			}
		}
		return err
	}
	return nil
}

// linkInfo remembers a symlink we created, keyed by its real location, so
// later entries can be resolved through it without touching the disk.
type linkInfo struct {
	target string
	entry  string // archive name, for error messages
}

// dirInfo holds directory metadata that can only be applied once all
// entries are written: children bump the mtime, and a read-only mode would
// stop us from creating them.
type dirInfo struct {
	mode  fs.FileMode
	atime time.Time
	mtime time.Time
}

type extractor struct {
	ctx     context.Context
	archive string
	root    *os.Root
	links   map[string]linkInfo // real slash path → symlink
	dirs    map[string]dirInfo  // real slash path → metadata
	tops    map[string]struct{} // first element of every entry name
	buf     []byte

	lim     Limits
	entries int    // headers seen so far, global headers included
	written int64  // bytes written (or decompressed past the tar end)
	current string // name of the entry being processed, for LimitError
}

func (x *extractor) unsafe(entry, reason string) error {
	return &UnsafeEntryError{Archive: x.archive, Entry: entry, Reason: reason}
}

func (x *extractor) limit(which string, max int64) error {
	return &LimitError{
		Archive: x.archive, Limit: which, Max: max,
		Entry: x.current, Entries: x.entries, Bytes: x.written,
	}
}

// account reserves n more bytes of output, failing before anything past
// the cap is written.
func (x *extractor) account(n int) error {
	if int64(n) > x.lim.MaxBytes-x.written {
		return x.limit(LimitBytes, x.lim.MaxBytes)
	}
	x.written += int64(n)
	return nil
}

func (x *extractor) wrap(err error) error {
	return fmt.Errorf("extract %s: %w", x.archive, err)
}

// run writes every entry and returns the slash path, relative to the
// tree, of the directory that becomes the final result.
func (x *extractor) run(stream io.Reader) (string, error) {
	tr := tar.NewReader(stream)
	files := 0
	for {
		if err := x.ctx.Err(); err != nil {
			return "", x.wrap(err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		// With GODEBUG=tarinsecurepath=0 the reader flags unsafe names
		// itself; our own checks below give the better error, so carry on.
		if err != nil && !(errors.Is(err, tar.ErrInsecurePath) && hdr != nil) {
			return "", x.corrupt(err)
		}
		// Every header counts, so that even one that writes nothing
		// (a global header, a directory) cannot be repeated without end.
		x.current = hdr.Name
		x.entries++
		if x.entries > x.lim.MaxEntries {
			return "", x.limit(LimitEntries, int64(x.lim.MaxEntries))
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		files++
		if err := x.entry(hdr, tr); err != nil {
			return "", err
		}
	}
	x.current = ""
	if files == 0 {
		return "", x.wrap(errors.New("archive contains no entries"))
	}
	// Read to the end of the compressed stream so its trailing checksum
	// is verified; the tar end marker alone says nothing about that.
	// Trailing garbage after a complete, checksummed gzip member shows up
	// as gzip.ErrHeader; it is harmless and gzip(1) only warns about it.
	// What follows the end marker counts against the size cap as well, so
	// that a bomb hidden there cannot keep us decompressing for hours.
	if err := x.copy(io.Discard, stream); err != nil {
		var le *LimitError
		if errors.As(err, &le) || !errors.Is(err, gzip.ErrHeader) {
			return "", err
		}
	}

	top := "."
	if len(x.tops) == 1 {
		for name := range x.tops {
			if fi, err := x.root.Lstat(filepath.FromSlash(name)); err == nil && fi.IsDir() {
				top = name
			}
		}
	}
	// Symlinks are re-checked against the final root: a link accepted
	// earlier may now resolve differently because of later entries, and
	// once the top-level directory becomes the root, ".." from it would
	// point into destDir.
	if err := x.checkLinks(top); err != nil {
		return "", err
	}
	if err := x.finishDirs(); err != nil {
		return "", err
	}
	return top, nil
}

func (x *extractor) corrupt(err error) error {
	if x.ctx.Err() != nil {
		return x.wrap(x.ctx.Err())
	}
	return fmt.Errorf("extract %s: corrupt or truncated archive: %w", x.archive, err)
}

func (x *extractor) entry(hdr *tar.Header, tr io.Reader) error {
	name := hdr.Name
	if isAbs(name) {
		return x.unsafe(name, reasonAbsolute)
	}
	clean := path.Clean(name)
	if escapes(clean) {
		return x.unsafe(name, reasonLeavesRoot)
	}

	switch hdr.Typeflag {
	case tar.TypeChar:
		return x.unsafe(name, "character device entries are not allowed")
	case tar.TypeBlock:
		return x.unsafe(name, "block device entries are not allowed")
	case tar.TypeFifo:
		return x.unsafe(name, "FIFO entries are not allowed")
	case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse,
		tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
	default:
		return x.unsafe(name, fmt.Sprintf("unsupported entry type %q", hdr.Typeflag))
	}

	if clean == "." {
		// "./" describes the extraction root itself, which we own.
		if hdr.Typeflag == tar.TypeDir {
			return nil
		}
		return x.unsafe(name, "entry replaces the extraction root")
	}
	x.tops[strings.SplitN(clean, "/", 2)[0]] = struct{}{}

	parent, err := x.resolve(".", path.Dir(clean), ".")
	if err != nil {
		if errors.Is(err, errEscape) {
			return x.unsafe(name, reasonThroughLink)
		}
		return x.unsafe(name, err.Error())
	}
	loc := path.Join(parent, path.Base(clean))

	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.dir(hdr, loc)
	case tar.TypeSymlink:
		return x.symlink(hdr, parent, loc)
	case tar.TypeLink:
		return x.hardlink(hdr, parent, loc)
	default:
		return x.file(hdr, tr, parent, loc)
	}
}

func (x *extractor) dir(hdr *tar.Header, loc string) error {
	fi, err := x.root.Lstat(filepath.FromSlash(loc))
	switch {
	case err == nil && fi.IsDir():
	case err == nil:
		if err := x.remove(loc); err != nil {
			return err
		}
		fallthrough
	default:
		if err := x.root.MkdirAll(filepath.FromSlash(loc), 0o755); err != nil {
			return x.wrap(err)
		}
	}
	x.dirs[loc] = dirInfo{mode: safePerm(hdr), atime: hdr.AccessTime, mtime: hdr.ModTime}
	return nil
}

func (x *extractor) file(hdr *tar.Header, tr io.Reader, parent, loc string) error {
	if err := x.prepare(parent, loc); err != nil {
		return err
	}
	native := filepath.FromSlash(loc)
	// O_EXCL guarantees we write a fresh file rather than through
	// whatever might sit at this path.
	f, err := x.root.OpenFile(native, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return x.wrap(err)
	}
	err = x.copy(f, tr)
	if err == nil {
		// Chmod on the descriptor bypasses the umask, which would
		// otherwise strip meaningful bits; safePerm keeps only the safe ones.
		if err = f.Chmod(safePerm(hdr)); err != nil {
			err = x.wrap(err)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = x.wrap(cerr)
	}
	if err != nil {
		return err
	}
	// Preserved mtimes keep make from treating sources as newer than
	// whatever the build already produced from them.
	if err := x.root.Chtimes(native, hdr.AccessTime, hdr.ModTime); err != nil {
		return x.wrap(err)
	}
	return nil
}

// copy streams one entry's contents, telling a damaged archive (read side)
// apart from a local I/O problem (write side) in the error it returns.
func (x *extractor) copy(w io.Writer, r io.Reader) error {
	for {
		if err := x.ctx.Err(); err != nil {
			return x.wrap(err)
		}
		n, rerr := r.Read(x.buf)
		if n > 0 {
			// Counting what is actually written, not the declared size,
			// also covers sparse entries, whose holes are written as zeros.
			if err := x.account(n); err != nil {
				return err
			}
			if _, werr := w.Write(x.buf[:n]); werr != nil {
				return x.wrap(werr)
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return x.corrupt(rerr)
		}
	}
}

func (x *extractor) symlink(hdr *tar.Header, parent, loc string) error {
	target := hdr.Linkname
	if target == "" {
		return x.unsafe(hdr.Name, "symlink has an empty target")
	}
	// An absolute target cannot refer to the tree, whose location changes
	// when it is renamed into place.
	if isAbs(target) {
		return x.unsafe(hdr.Name, reasonLinkAbsolute)
	}
	if err := x.checkTarget(parent, target, "."); err != nil {
		return x.unsafe(hdr.Name, reasonLinkLeaves)
	}
	if err := x.prepare(parent, loc); err != nil {
		return err
	}
	if err := x.root.Symlink(target, filepath.FromSlash(loc)); err != nil {
		return x.wrap(err)
	}
	x.links[loc] = linkInfo{target: target, entry: hdr.Name}
	return nil
}

func (x *extractor) hardlink(hdr *tar.Header, parent, loc string) error {
	target := hdr.Linkname
	if isAbs(target) {
		return x.unsafe(hdr.Name, reasonHardAbsolute)
	}
	clean := path.Clean(target)
	if clean == "." || escapes(clean) {
		return x.unsafe(hdr.Name, reasonHardLeaves)
	}
	tparent, err := x.resolve(".", path.Dir(clean), ".")
	if err != nil {
		return x.unsafe(hdr.Name, reasonHardLeaves)
	}
	tloc := path.Join(tparent, path.Base(clean))
	if tloc == loc {
		// Linking a file to itself is a no-op some archivers emit.
		return nil
	}
	// Linking a symlink copies the link itself, whose relative target is
	// then interpreted from a new directory and must be checked again.
	li, isLink := x.links[tloc]
	if isLink {
		if err := x.checkTarget(parent, li.target, "."); err != nil {
			return x.unsafe(hdr.Name, reasonHardToLink)
		}
	}
	if err := x.prepare(parent, loc); err != nil {
		return err
	}
	if err := x.root.Link(filepath.FromSlash(tloc), filepath.FromSlash(loc)); err != nil {
		return x.wrap(err)
	}
	if isLink {
		x.links[loc] = linkInfo{target: li.target, entry: hdr.Name}
	}
	return nil
}

// prepare makes room for a non-directory at loc. Like tar(1), a later
// entry replaces an earlier one; removing first also means we never write
// through a symlink left there by a previous entry.
func (x *extractor) prepare(parent, loc string) error {
	if parent != "." {
		if err := x.root.MkdirAll(filepath.FromSlash(parent), 0o755); err != nil {
			return x.wrap(err)
		}
	}
	fi, err := x.root.Lstat(filepath.FromSlash(loc))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return x.wrap(err)
	}
	if fi.IsDir() {
		return x.wrap(fmt.Errorf("%s: cannot replace existing directory", loc))
	}
	return x.remove(loc)
}

func (x *extractor) remove(loc string) error {
	if err := x.root.Remove(filepath.FromSlash(loc)); err != nil {
		return x.wrap(err)
	}
	delete(x.links, loc)
	return nil
}

// checkTarget reports whether a symlink in dir with the given target would
// resolve to somewhere outside root.
func (x *extractor) checkTarget(dir, target, root string) error {
	_, err := x.resolve(dir, target, root)
	if errors.Is(err, errLoop) {
		// A loop never resolves, so it cannot lead anywhere; the kernel
		// refuses it too.
		return nil
	}
	return err
}

// resolve walks rel from dir the way the kernel would, following the
// symlinks created so far, and returns the resulting real path. It fails
// with errEscape as soon as the walk climbs above root. Components that do
// not exist yet are treated as plain directories, since that is what
// MkdirAll will make of them.
func (x *extractor) resolve(dir, rel, root string) (string, error) {
	hops := 0
	return x.walk(dir, rel, root, &hops)
}

func (x *extractor) walk(cur, rel, root string, hops *int) (string, error) {
	for _, c := range strings.Split(rel, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if cur == root {
				return "", errEscape
			}
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		li, ok := x.links[next]
		if !ok {
			cur = next
			continue
		}
		*hops++
		if *hops > maxLinkHops {
			return "", errLoop
		}
		if isAbs(li.target) {
			return "", errEscape
		}
		r, err := x.walk(cur, li.target, root, hops)
		if err != nil {
			return "", err
		}
		cur = r
	}
	return cur, nil
}

func (x *extractor) checkLinks(top string) error {
	locs := make([]string, 0, len(x.links))
	for loc := range x.links {
		locs = append(locs, loc)
	}
	// Sorted so that the same bad archive always yields the same error.
	sort.Strings(locs)
	for _, loc := range locs {
		li := x.links[loc]
		if top != "." && !within(loc, top) {
			return x.unsafe(li.entry, reasonThroughLink)
		}
		if err := x.checkTarget(path.Dir(loc), li.target, top); err != nil {
			return x.unsafe(li.entry, reasonLinkLeaves)
		}
	}
	return nil
}

func (x *extractor) finishDirs() error {
	locs := make([]string, 0, len(x.dirs))
	for loc := range x.dirs {
		locs = append(locs, loc)
	}
	// Children first, so setting a child's times does not disturb the
	// parent's already-restored mtime.
	sort.Slice(locs, func(i, j int) bool { return len(locs[i]) > len(locs[j]) })
	for _, loc := range locs {
		if err := x.ctx.Err(); err != nil {
			return x.wrap(err)
		}
		d := x.dirs[loc]
		native := filepath.FromSlash(loc)
		// The owner keeps full access so the tree can be built in and
		// later replaced by the next Extract.
		if err := x.root.Chmod(native, d.mode|0o700); err != nil {
			return x.wrap(err)
		}
		if err := x.root.Chtimes(native, d.atime, d.mtime); err != nil {
			return x.wrap(err)
		}
	}
	return nil
}

// safePerm is the permission an entry gets on disk: its own permission
// bits without setuid/setgid/sticky (they have no business in a build
// tree) and without group or other write, so no other local user can
// change sources or build output that end up in a binary run as root.
func safePerm(hdr *tar.Header) fs.FileMode {
	return hdr.FileInfo().Mode().Perm() &^ 0o022
}

// isAbs rejects both Unix-style and host-style absolute names, since an
// archive made on one system may be unpacked on another.
func isAbs(name string) bool {
	return strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) ||
		filepath.IsAbs(name) || filepath.VolumeName(name) != ""
}

func escapes(clean string) bool {
	return clean == ".." || strings.HasPrefix(clean, "../")
}

func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}
