package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

var testMtime = time.Date(2022, 10, 13, 12, 0, 0, 0, time.UTC)

// ent describes one tar entry to generate.
type ent struct {
	name string
	typ  byte
	body string
	link string
	mode int64
}

func dirEnt(name string) ent { return ent{name: name, typ: tar.TypeDir, mode: 0o755} }
func fileEnt(name, body string, mode int64) ent {
	return ent{name: name, typ: tar.TypeReg, body: body, mode: mode}
}
func symEnt(name, target string) ent {
	return ent{name: name, typ: tar.TypeSymlink, link: target, mode: 0o777}
}
func hardEnt(name, target string) ent {
	return ent{name: name, typ: tar.TypeLink, link: target, mode: 0o644}
}

func tarBytes(t *testing.T, ents []ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		if e.typ == tar.TypeXGlobalHeader {
			// The writer insists that a global header carries nothing
			// but its records.
			hdr := &tar.Header{
				Name:       e.name,
				Typeflag:   e.typ,
				PAXRecords: map[string]string{"comment": "0123456789abcdef"},
				Format:     tar.FormatPAX,
			}
			if err := tw.WriteHeader(hdr); err != nil {
				t.Fatalf("write global header: %v", err)
			}
			continue
		}
		hdr := &tar.Header{
			Name:     e.name,
			Typeflag: e.typ,
			Linkname: e.link,
			Mode:     e.mode,
			ModTime:  testMtime,
			Size:     int64(len(e.body)),
			Format:   tar.FormatPAX,
		}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("write header %q: %v", e.name, err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compress(t *testing.T, format string, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch format {
	case "gzip":
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	case "xz":
		xw, err := xz.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := xw.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := xw.Close(); err != nil {
			t.Fatal(err)
		}
	case "bzip2":
		// The standard library has no bzip2 writer, so borrow the tool
		// when it is around; testdata/simple.tar.bz2 covers bzip2 otherwise.
		bin, err := exec.LookPath("bzip2")
		if err != nil {
			t.Skip("bzip2 binary not available")
		}
		cmd := exec.Command(bin, "-c")
		cmd.Stdin = bytes.NewReader(raw)
		cmd.Stdout = &buf
		if err := cmd.Run(); err != nil {
			t.Fatalf("bzip2: %v", err)
		}
	default:
		t.Fatalf("unknown format %q", format)
	}
	return buf.Bytes()
}

// writeArchive stores the archive in its own directory so that checks on
// destDir's surroundings are not confused by it. The name deliberately has
// no extension: detection must work from content alone.
func writeArchive(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "download")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gzArchive(t *testing.T, ents ...ent) string {
	t.Helper()
	return writeArchive(t, compress(t, "gzip", tarBytes(t, ents)))
}

// newDest returns destDir nested one level down, so that an escape by one
// or two ".." would be visible in the parent.
func newDest(t *testing.T) (parent, dest string) {
	t.Helper()
	parent = t.TempDir()
	dest = filepath.Join(parent, "dest")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	return parent, dest
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// assertClean checks the promise that a failed Extract leaves nothing
// behind: no temp dir, no want dir, nothing next to destDir.
func assertClean(t *testing.T, parent, dest string) {
	t.Helper()
	if got := listDir(t, dest); len(got) != 0 {
		t.Errorf("destDir not empty after failure: %v", got)
	}
	if got := listDir(t, parent); len(got) != 1 || got[0] != "dest" {
		t.Errorf("unexpected files next to destDir: %v", got)
	}
}

// tree returns a compact description of everything below dir, used to
// compare layouts in one assertion.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, rel+" -> "+target)
		case d.IsDir():
			out = append(out, rel+"/")
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, rel+"="+string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestExtractLayout(t *testing.T) {
	tests := []struct {
		name   string
		format string
		ents   []ent
		want   []string
	}{
		{
			name:   "single top-level dir is renamed",
			format: "gzip",
			ents: []ent{
				dirEnt("zlib-1.2.13.dfsg/"),
				fileEnt("zlib-1.2.13.dfsg/zlib.h", "h", 0o644),
				dirEnt("zlib-1.2.13.dfsg/contrib/"),
				fileEnt("zlib-1.2.13.dfsg/contrib/x.c", "c", 0o644),
			},
			want: []string{"contrib/", "contrib/x.c=c", "zlib.h=h"},
		},
		{
			name:   "xz",
			format: "xz",
			ents: []ent{
				dirEnt("zlib-1.2.13.dfsg/"),
				fileEnt("zlib-1.2.13.dfsg/zlib.h", "xz", 0o644),
			},
			want: []string{"zlib.h=xz"},
		},
		{
			name:   "bzip2",
			format: "bzip2",
			ents: []ent{
				dirEnt("zlib-1.2.13.dfsg/"),
				fileEnt("zlib-1.2.13.dfsg/zlib.h", "bz", 0o644),
			},
			want: []string{"zlib.h=bz"},
		},
		{
			name:   "leading dot slash is ignored",
			format: "gzip",
			ents: []ent{
				dirEnt("./"),
				dirEnt("./nginx-1.2.3/"),
				fileEnt("./nginx-1.2.3/configure", "sh", 0o755),
				fileEnt("nginx-1.2.3/README", "r", 0o644),
			},
			want: []string{"README=r", "configure=sh"},
		},
		{
			name:   "missing parent dir entries",
			format: "gzip",
			ents: []ent{
				fileEnt("pkg-1.0/src/core/a.c", "a", 0o644),
				fileEnt("pkg-1.0/auto/cc/gcc", "g", 0o755),
			},
			want: []string{"auto/", "auto/cc/", "auto/cc/gcc=g", "src/", "src/core/", "src/core/a.c=a"},
		},
		{
			name:   "several top-level entries",
			format: "gzip",
			ents: []ent{
				fileEnt("README", "r", 0o644),
				dirEnt("src/"),
				fileEnt("src/a.c", "a", 0o644),
			},
			want: []string{"README=r", "src/", "src/a.c=a"},
		},
		{
			name:   "single top-level file is not stripped",
			format: "gzip",
			ents:   []ent{fileEnt("./only.c", "o", 0o644)},
			want:   []string{"only.c=o"},
		},
		{
			name:   "single top-level symlink is not stripped",
			format: "gzip",
			ents:   []ent{symEnt("self", ".")},
			want:   []string{"self -> ."},
		},
		{
			name:   "pax global header is skipped",
			format: "gzip",
			ents: []ent{
				{name: "pax_global_header", typ: tar.TypeXGlobalHeader},
				fileEnt("pkg-2.0/a", "a", 0o644),
			},
			want: []string{"a=a"},
		},
		{
			name:   "later entry replaces earlier one",
			format: "gzip",
			ents: []ent{
				fileEnt("p/a", "old", 0o644),
				symEnt("p/b", "a"),
				fileEnt("p/a", "new", 0o644),
				fileEnt("p/b", "plain", 0o644),
			},
			want: []string{"a=new", "b=plain"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := writeArchive(t, compress(t, tc.format, tarBytes(t, tc.ents)))
			parent, dest := newDest(t)
			if err := Extract(context.Background(), src, dest, "out"); err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if got := tree(t, filepath.Join(dest, "out")); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("tree:\n got %q\nwant %q", got, tc.want)
			}
			if got := listDir(t, dest); len(got) != 1 || got[0] != "out" {
				t.Errorf("destDir holds %v, want only [out]", got)
			}
			if got := listDir(t, parent); len(got) != 1 {
				t.Errorf("files next to destDir: %v", got)
			}
		})
	}
}

func TestExtractBzip2Testdata(t *testing.T) {
	_, dest := newDest(t)
	if err := Extract(context.Background(), filepath.Join("testdata", "simple.tar.bz2"), dest, "pcre2"); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	got := tree(t, filepath.Join(dest, "pcre2"))
	want := []string{"README=hello bzip2\n", "configure=#!/bin/sh\necho ok\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("tree: got %q want %q", got, want)
	}
	fi, err := os.Stat(filepath.Join(dest, "pcre2", "configure"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("configure mode %v, want 0755", fi.Mode().Perm())
	}
}

func TestExtractMetadata(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits and symlinks")
	}
	src := gzArchive(t,
		dirEnt("nginx-1.2.3/"),
		fileEnt("nginx-1.2.3/configure", "#!/bin/sh\n", 0o755),
		fileEnt("nginx-1.2.3/auto/make", "#!/bin/sh\n", 0o750),
		fileEnt("nginx-1.2.3/README", "read me\n", 0o644),
		fileEnt("nginx-1.2.3/private", "p", 0o600),
		fileEnt("nginx-1.2.3/suid", "s", 0o4755|0o2000),
		ent{name: "nginx-1.2.3/ro/", typ: tar.TypeDir, mode: 0o555},
		fileEnt("nginx-1.2.3/ro/inside", "i", 0o644),
		ent{name: "nginx-1.2.3/sticky/", typ: tar.TypeDir, mode: 0o1777},
		ent{name: "nginx-1.2.3/shared/", typ: tar.TypeDir, mode: 0o775},
		fileEnt("nginx-1.2.3/world", "w", 0o666),
		fileEnt("nginx-1.2.3/group", "g", 0o775),
		symEnt("nginx-1.2.3/link", "README"),
		symEnt("nginx-1.2.3/auto/up", "../README"),
		symEnt("nginx-1.2.3/dangling", "does-not-exist"),
		symEnt("nginx-1.2.3/loop1", "loop2"),
		symEnt("nginx-1.2.3/loop2", "loop1"),
		hardEnt("nginx-1.2.3/hard", "nginx-1.2.3/README"),
		hardEnt("./nginx-1.2.3/hard2", "./nginx-1.2.3/auto/../README"),
	)
	_, dest := newDest(t)
	if err := Extract(context.Background(), src, dest, "nginx-1.2.3"); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	root := filepath.Join(dest, "nginx-1.2.3")

	modes := []struct {
		name string
		mode fs.FileMode
	}{
		{"configure", 0o755},
		{"auto/make", 0o750},
		{"README", 0o644},
		{"private", 0o600},
		{"suid", 0o755}, // setuid/setgid dropped
		{"ro", fs.ModeDir | 0o755},
		// Sticky, group and other write dropped: nobody else may change
		// the build tree.
		{"sticky", fs.ModeDir | 0o755},
		{"shared", fs.ModeDir | 0o755},
		{"world", 0o644},
		{"group", 0o755},
	}
	for _, m := range modes {
		fi, err := os.Lstat(filepath.Join(root, m.name))
		if err != nil {
			t.Errorf("%s: %v", m.name, err)
			continue
		}
		if fi.Mode() != m.mode {
			t.Errorf("%s: mode %v, want %v", m.name, fi.Mode(), m.mode)
		}
		if !fi.ModTime().Equal(testMtime) {
			t.Errorf("%s: mtime %v, want %v", m.name, fi.ModTime(), testMtime)
		}
	}
	if fi, err := os.Stat(root); err != nil || !fi.ModTime().Equal(testMtime) {
		t.Errorf("top dir mtime not preserved: %v %v", fi, err)
	}

	links := map[string]string{
		"link":     "README",
		"auto/up":  "../README",
		"dangling": "does-not-exist",
		"loop1":    "loop2",
	}
	for name, want := range links {
		got, err := os.Readlink(filepath.Join(root, name))
		if err != nil || got != want {
			t.Errorf("symlink %s -> %q (%v), want %q", name, got, err, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(root, "auto", "up")); err != nil || string(b) != "read me\n" {
		t.Errorf("reading through auto/up: %q %v", b, err)
	}

	readme, err := os.Stat(filepath.Join(root, "README"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"hard", "hard2"} {
		fi, err := os.Lstat(filepath.Join(root, h))
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(readme, fi) {
			t.Errorf("%s is not a hard link to README", h)
		}
	}
}

func TestExtractUnsafe(t *testing.T) {
	tests := []struct {
		name      string
		ents      []ent
		badEntry  string
		reasonSub string
	}{
		{
			name:      "absolute path",
			ents:      []ent{fileEnt("/etc/passwd", "x", 0o644)},
			badEntry:  "/etc/passwd",
			reasonSub: "absolute",
		},
		{
			name:      "dot dot",
			ents:      []ent{fileEnt("pkg/a", "a", 0o644), fileEnt("../../evil", "x", 0o644)},
			badEntry:  "../../evil",
			reasonSub: "leaves the extraction root",
		},
		{
			name:      "dot dot after cleaning",
			ents:      []ent{fileEnt("./pkg/../../../evil", "x", 0o644)},
			badEntry:  "./pkg/../../../evil",
			reasonSub: "leaves the extraction root",
		},
		{
			name:      "dot dot directory",
			ents:      []ent{dirEnt("pkg/../../")},
			badEntry:  "pkg/../../",
			reasonSub: "leaves the extraction root",
		},
		{
			name:      "absolute symlink",
			ents:      []ent{dirEnt("pkg/"), symEnt("pkg/etc", "/etc")},
			badEntry:  "pkg/etc",
			reasonSub: "absolute",
		},
		{
			name:      "relative symlink escaping",
			ents:      []ent{symEnt("pkg/a/b/up", "../../../../evil")},
			badEntry:  "pkg/a/b/up",
			reasonSub: "symlink target leaves",
		},
		{
			name:      "symlink to parent of root",
			ents:      []ent{symEnt("up", "..")},
			badEntry:  "up",
			reasonSub: "symlink target leaves",
		},
		{
			name: "symlink escaping through another symlink",
			ents: []ent{
				symEnt("pkg/here", "."),
				// Lexically this is pkg/x/../here/../.. = ".", but here
				// is "." so the real walk climbs one level higher.
				symEnt("pkg/x/l", "../here/../.."),
			},
			badEntry:  "pkg/x/l",
			reasonSub: "symlink target leaves",
		},
		{
			// l is harmless when written and only starts escaping once x
			// becomes a symlink, so the write through it must be refused.
			name: "path through symlink that escapes",
			ents: []ent{
				symEnt("l", "x/.."),
				symEnt("x", "."),
				fileEnt("l/evil", "x", 0o644),
			},
			badEntry:  "l/evil",
			reasonSub: "goes through a symlink",
		},
		{
			name: "symlink made escaping by a later entry",
			ents: []ent{
				symEnt("l", "x/.."),
				symEnt("x", "."),
			},
			badEntry:  "l",
			reasonSub: "symlink target leaves",
		},
		{
			// Fine inside the temp dir, but once pkg becomes the want dir
			// it would point into destDir.
			name:      "symlink escaping the top-level dir",
			ents:      []ent{dirEnt("pkg/"), symEnt("pkg/up", "..")},
			badEntry:  "pkg/up",
			reasonSub: "symlink target leaves",
		},
		{
			name:      "absolute hard link",
			ents:      []ent{hardEnt("pkg/passwd", "/etc/passwd")},
			badEntry:  "pkg/passwd",
			reasonSub: "absolute",
		},
		{
			name:      "hard link escaping",
			ents:      []ent{hardEnt("pkg/passwd", "../../../etc/passwd")},
			badEntry:  "pkg/passwd",
			reasonSub: "hard link target leaves",
		},
		{
			name: "hard link relocating a symlink",
			ents: []ent{
				symEnt("pkg/a/b/s", "../../c"),
				hardEnt("pkg/h", "pkg/a/b/s"),
			},
			badEntry:  "pkg/h",
			reasonSub: "hard link to a symlink",
		},
		{
			name:      "character device",
			ents:      []ent{{name: "pkg/null", typ: tar.TypeChar, mode: 0o666}},
			badEntry:  "pkg/null",
			reasonSub: "character device",
		},
		{
			name:      "block device",
			ents:      []ent{{name: "pkg/sda", typ: tar.TypeBlock, mode: 0o660}},
			badEntry:  "pkg/sda",
			reasonSub: "block device",
		},
		{
			name:      "fifo",
			ents:      []ent{fileEnt("pkg/a", "a", 0o644), {name: "pkg/fifo", typ: tar.TypeFifo, mode: 0o644}},
			badEntry:  "pkg/fifo",
			reasonSub: "FIFO",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := gzArchive(t, tc.ents...)
			parent, dest := newDest(t)
			err := Extract(context.Background(), src, dest, "out")
			var ue *UnsafeEntryError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want *UnsafeEntryError", err)
			}
			if ue.Entry != tc.badEntry {
				t.Errorf("Entry = %q, want %q", ue.Entry, tc.badEntry)
			}
			if ue.Archive != src {
				t.Errorf("Archive = %q, want %q", ue.Archive, src)
			}
			if !strings.Contains(ue.Reason, tc.reasonSub) {
				t.Errorf("Reason = %q, want it to mention %q", ue.Reason, tc.reasonSub)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.badEntry)) {
				t.Errorf("message %q does not name the entry", err)
			}
			assertClean(t, parent, dest)
		})
	}
}

func TestUnsafeEntryErrorMessage(t *testing.T) {
	e := &UnsafeEntryError{Archive: "/path/x.tar.gz", Entry: "../../etc/passwd", Reason: "path leaves the extraction root"}
	want := `unsafe entry "../../etc/passwd" in /path/x.tar.gz: path leaves the extraction root`
	if e.Error() != want {
		t.Errorf("got %q, want %q", e.Error(), want)
	}
}

func TestExtractReplacesExisting(t *testing.T) {
	parent, dest := newDest(t)
	old := filepath.Join(dest, "zlib-1.2.13")
	if err := os.MkdirAll(filepath.Join(old, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, "sub", "stale.o"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A refused archive must leave the existing tree untouched.
	bad := gzArchive(t, fileEnt("zlib/a", "a", 0o644), fileEnt("../evil", "x", 0o644))
	var ue *UnsafeEntryError
	if err := Extract(context.Background(), bad, dest, "zlib-1.2.13"); !errors.As(err, &ue) {
		t.Fatalf("got %v, want *UnsafeEntryError", err)
	}
	if got := tree(t, old); strings.Join(got, "|") != "sub/|sub/stale.o=stale" {
		t.Fatalf("existing tree changed by failed extraction: %q", got)
	}

	good := gzArchive(t, dirEnt("zlib-1.2.13.dfsg/"), fileEnt("zlib-1.2.13.dfsg/zlib.h", "fresh", 0o644))
	if err := Extract(context.Background(), good, dest, "zlib-1.2.13"); err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if got := tree(t, old); strings.Join(got, "|") != "zlib.h=fresh" {
		t.Errorf("tree after replace: %q", got)
	}
	if got := listDir(t, dest); len(got) != 1 || got[0] != "zlib-1.2.13" {
		t.Errorf("destDir holds %v, want only the new tree", got)
	}
	if got := listDir(t, parent); len(got) != 1 {
		t.Errorf("files next to destDir: %v", got)
	}
}

func TestExtractBadInput(t *testing.T) {
	tarball := tarBytes(t, []ent{
		dirEnt("pkg/"),
		fileEnt("pkg/big", strings.Repeat("nginx ", 20000), 0o644),
		fileEnt("pkg/small", "s", 0o644),
	})
	gz := compress(t, "gzip", tarball)
	xzData := compress(t, "xz", tarball)
	flipped := bytes.Clone(gz)
	flipped[len(flipped)-6] ^= 0xff // inside the CRC32 trailer

	tests := []struct {
		name    string
		data    []byte
		wantSub string
	}{
		{"truncated gzip", gz[:len(gz)/2], "corrupt"},
		{"gzip checksum mismatch", flipped, "corrupt"},
		{"gzip of garbage", compress(t, "gzip", []byte(strings.Repeat("not a tar ", 100))), "corrupt"},
		{"truncated xz", xzData[:len(xzData)/2], "corrupt"},
		{"bad gzip header", append([]byte{0x1f, 0x8b, 0xff}, gz[3:]...), "corrupt"},
		{"plain tar", tarball, "unknown compression format (supported: gzip, bzip2, xz"},
		{"text file", []byte("<html>404 Not Found</html>"), "unknown compression format (supported: gzip, bzip2, xz"},
		{"empty file", nil, "unknown compression format"},
		{"empty archive", compress(t, "gzip", tarBytes(t, nil)), "no entries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := writeArchive(t, tc.data)
			parent, dest := newDest(t)
			err := Extract(context.Background(), src, dest, "out")
			if err == nil {
				t.Fatal("Extract succeeded on bad input")
			}
			var ue *UnsafeEntryError
			if errors.As(err, &ue) {
				t.Errorf("bad input reported as unsafe entry: %v", err)
			}
			if !strings.Contains(err.Error(), src) {
				t.Errorf("error %q does not name the archive", err)
			}
			if !strings.Contains(err.Error(), tc.wantSub) {
				t.Errorf("error %q does not mention %q", err, tc.wantSub)
			}
			assertClean(t, parent, dest)
		})
	}
}

func TestExtractMissingFile(t *testing.T) {
	parent, dest := newDest(t)
	src := filepath.Join(t.TempDir(), "missing.tar.gz")
	err := Extract(context.Background(), src, dest, "out")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
	assertClean(t, parent, dest)
}

func TestExtractInvalidWant(t *testing.T) {
	src := gzArchive(t, fileEnt("pkg/a", "a", 0o644))
	for _, want := range []string{"", ".", "..", "a/b", "../x", `a\b`} {
		t.Run(fmt.Sprintf("%q", want), func(t *testing.T) {
			parent, dest := newDest(t)
			if err := Extract(context.Background(), src, dest, want); err == nil {
				t.Fatalf("Extract accepted want %q", want)
			}
			assertClean(t, parent, dest)
		})
	}
}

// cancelAfter reports cancellation once Err has been consulted n times,
// which stops extraction at a deterministic point part-way through.
type cancelAfter struct {
	context.Context
	n *atomic.Int64
}

func (c cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestExtractCancelled(t *testing.T) {
	var ents []ent
	for i := range 50 {
		ents = append(ents, fileEnt(fmt.Sprintf("pkg/f%02d", i), strings.Repeat("x", 1000), 0o644))
	}
	ents = append(ents, fileEnt("pkg/huge", strings.Repeat("y", 4<<20), 0o644))
	src := writeArchive(t, compress(t, "gzip", tarBytes(t, ents)))

	mid := func() context.Context {
		n := &atomic.Int64{}
		n.Store(20)
		return cancelAfter{context.Background(), n}
	}
	inHugeFile := func() context.Context {
		// Enough checks to get past the small files and into "huge".
		n := &atomic.Int64{}
		n.Store(50*3 + 10)
		return cancelAfter{context.Background(), n}
	}
	before := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	tests := []struct {
		name string
		ctx  func() context.Context
	}{
		{"before start", before},
		{"between entries", mid},
		{"inside a large entry", inHugeFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent, dest := newDest(t)
			err := Extract(tc.ctx(), src, dest, "out")
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			assertClean(t, parent, dest)
		})
	}
}

func TestExtractRealTarballs(t *testing.T) {
	tests := []struct {
		src, want, exe string
		large          bool
	}{
		{"/tmp/realsrc/nginx_1.22.1.orig.tar.gz", "nginx-1.22.1", "configure", false},
		{"/tmp/realsrc/zlib_1.2.13.dfsg.orig.tar.bz2", "zlib-1.2.13", "configure", false},
		{"/tmp/realsrc/pcre2_10.42.orig.tar.gz", "pcre2-10.42", "configure", false},
		{"/tmp/realsrc/openssl_3.0.20.orig.tar.gz", "openssl-3.0.20", "config", true},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if tc.large && testing.Short() {
				t.Skip("large tarball skipped in -short mode")
			}
			if _, err := os.Stat(tc.src); err != nil {
				t.Skipf("%s not available", tc.src)
			}
			dest := t.TempDir()
			if err := Extract(context.Background(), tc.src, dest, tc.want); err != nil {
				t.Fatalf("Extract: %v", err)
			}
			fi, err := os.Stat(filepath.Join(dest, tc.want, tc.exe))
			if err != nil {
				t.Fatal(err)
			}
			if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o100 == 0 {
				t.Errorf("%s/%s: mode %v, want an executable file", tc.want, tc.exe, fi.Mode())
			}
			if got := listDir(t, dest); len(got) != 1 || got[0] != tc.want {
				t.Errorf("destDir holds %v", got)
			}
		})
	}
}

// TestExtractRemovesStaleTemps: temporary directories of extractions
// killed a day ago or more are removed by the next extraction there;
// younger ones may be another run's and stay.
func TestExtractRemovesStaleTemps(t *testing.T) {
	_, dest := newDest(t)
	old := filepath.Join(dest, tmpPrefix+"pcre2-10.42-123")
	young := filepath.Join(dest, tmpPrefix+"zlib-1.3-456")
	for _, d := range []string{old, young} {
		if err := os.MkdirAll(filepath.Join(d, "src"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Now().Add(-25 * time.Hour)
	os.Chtimes(old, day, day)
	good := gzArchive(t, dirEnt("nginx-1.30.1/"), fileEnt("nginx-1.30.1/configure", "#!/bin/sh\n", 0o755))
	if err := Extract(context.Background(), good, dest, "nginx-1.30.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); err == nil {
		t.Errorf("stale %s kept", old)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("a young extraction directory was removed: %v", err)
	}
}
