package fetch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/proctest"
	"github.com/nginx-build/nginx-build/source"
)

// fakeApt puts a fake apt-get first on PATH, with an apt-config whose
// dump points at an apt configuration with the given deb822 sources file
// (debian.sources).
func fakeApt(t *testing.T, aptGet, sources string) (sourcesFile string) {
	t.Helper()
	bin, etc := t.TempDir(), t.TempDir()
	parts := filepath.Join(etc, "sources.list.d")
	os.MkdirAll(parts, 0o755)
	sourcesFile = filepath.Join(parts, "debian.sources")
	os.WriteFile(sourcesFile, []byte(sources), 0o644)
	for name, body := range map[string]string{
		"apt-get":    aptGet,
		"apt-config": fmt.Sprintf("cat <<'EOF'\nDir::Etc::sourcelist %q;\nDir::Etc::sourceparts %q;\nEOF\n", filepath.Join(etc, "sources.list"), parts),
	} {
		os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return sourcesFile
}

// debOnly is a system's Debian sources without deb-src.
const debOnly = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n"

// noDebSrc is the start of a fake apt-get for a system without deb-src:
// only with nginx-build's private configuration (-c CONF) does it go on.
const noDebSrc = `[ "$1" = -c ] || { echo "Reading package lists..."; echo "E: You must put some 'deb-src' URIs in your sources.list" >&2; exit 100; }
conf=$2; shift 2
`

func debArtifact(f *Fetcher, sum string) source.Artifact {
	return source.Artifact{
		Component: "zlib", Version: "1.2.13", FileName: "zlib-1.2.13.tar.gz",
		URLs:         []string{source.DebianURL("zlib", "1:1.2.13.dfsg-1", "zlib_1.2.13.dfsg.orig.tar.gz")},
		PinnedSHA256: sum, PinnedBy: "Debian's Sources index",
	}
}

// TestDebsrcExit100WithOrig: apt-get exits 100 (it could not verify the
// .dsc) although the orig tarball arrived; what counts is the file.
func TestDebsrcExit100WithOrig(t *testing.T) {
	fakeApt(t, `printf 'orig tarball\n' > zlib_1.2.13.dfsg.orig.tar.gz
echo "E: Failed to fetch http://deb.debian.org/debian/pool/main/z/zlib/zlib_1.2.13.dfsg-1.dsc  Hash Sum mismatch" >&2
exit 100
`, debOnly)
	f, _ := newFetcher(t)
	res, err := f.FetchAll(context.Background(), []source.Artifact{debArtifact(f, sha([]byte("orig tarball\n")))})
	if err != nil {
		t.Fatalf("FetchAll = %v, want the orig despite exit 100", err)
	}
	if b, _ := os.ReadFile(res[0].Path); string(b) != "orig tarball\n" {
		t.Errorf("cached %q", b)
	}
}

// TestDebsrcWithoutDebSrc: when the system's apt has no deb-src, the
// package comes through nginx-build's private configuration (updated
// first), as --source debian located it.
func TestDebsrcWithoutDebSrc(t *testing.T) {
	calls := filepath.Join(t.TempDir(), "calls")
	fakeApt(t, noDebSrc+`echo "-c $conf $*" >> `+calls+`
case "$1" in
update) lists=$(sed -n 's/^Dir::State::lists "\(.*\)";$/\1/p' "$conf"); touch "$lists/x_Sources" ;;
source) printf 'orig tarball\n' > zlib_1.2.13.dfsg.orig.tar.gz ;;
esac
`, debOnly)
	f, _ := newFetcher(t)
	res, err := f.FetchAll(context.Background(), []source.Artifact{debArtifact(f, sha([]byte("orig tarball\n")))})
	if err != nil {
		t.Fatalf("FetchAll = %v", err)
	}
	if b, _ := os.ReadFile(res[0].Path); string(b) != "orig tarball\n" {
		t.Errorf("cached %q", b)
	}
	conf := filepath.Join(f.CacheDir, "debian", "apt", "apt.conf")
	b, _ := os.ReadFile(calls)
	if want := "-c " + conf + " -q update\n-c " + conf + " source --download-only -qq zlib=1:1.2.13.dfsg-1\n"; string(b) != want {
		t.Errorf("apt-get calls with -c:\n%s\nwant\n%s", b, want)
	}
}

// TestDebsrcNoDebEntries: with no deb entries to take deb-src twins of,
// the error carries the fix for this machine's apt sources.
func TestDebsrcNoDebEntries(t *testing.T) {
	sources := fakeApt(t, noDebSrc+"exit 100\n", "# no entries\n")
	f, _ := newFetcher(t)
	_, err := f.FetchAll(context.Background(), []source.Artifact{debArtifact(f, strings.Repeat("0", 64))})
	want := "adding deb-src entries for your archive under " + filepath.Dir(sources)
	if !errors.Is(err, source.ErrNoDebSrc) || !strings.Contains(err.Error(), want) {
		t.Errorf("FetchAll = %v, want the deb-src fix %q", err, want)
	}
}

// TestDebsrcCancelled: apt-get's download methods (children of apt-get)
// do not outlive a cancelled run.
func TestDebsrcCancelled(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	fakeApt(t, "sleep 60 & echo $! > "+pidFile+"\nwait\n", debOnly)
	f, _ := newFetcher(t)
	ctx, cancel := context.WithCancel(context.Background())
	go proctest.CancelWhenWritten(pidFile, cancel)
	start := time.Now()
	if _, err := f.FetchAll(ctx, []source.Artifact{debArtifact(f, strings.Repeat("0", 64))}); !errors.Is(err, context.Canceled) {
		t.Errorf("FetchAll = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("took %s to stop", took)
	}
	proctest.WaitGoneFromFile(t, pidFile, "apt-get's child")
}
