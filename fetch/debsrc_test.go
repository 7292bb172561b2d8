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

// fakeApt puts a fake apt-get (and apt-config pointing at an empty apt
// configuration with a Debian deb822 sources file) first on PATH.
func fakeApt(t *testing.T, aptGet string) (sourcesFile string) {
	t.Helper()
	bin, etc := t.TempDir(), t.TempDir()
	parts := filepath.Join(etc, "sources.list.d")
	os.MkdirAll(parts, 0o755)
	sourcesFile = filepath.Join(parts, "debian.sources")
	os.WriteFile(sourcesFile, []byte("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n"), 0o644)
	for name, body := range map[string]string{
		"apt-get":    aptGet,
		"apt-config": fmt.Sprintf("echo \"LIST='%s/sources.list'\"\necho \"PARTS='%s/'\"\n", etc, parts),
	} {
		os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return sourcesFile
}

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
`)
	f, _ := newFetcher(t)
	res, err := f.FetchAll(context.Background(), []source.Artifact{debArtifact(f, sha([]byte("orig tarball\n")))})
	if err != nil {
		t.Fatalf("FetchAll = %v, want the orig despite exit 100", err)
	}
	if b, _ := os.ReadFile(res[0].Path); string(b) != "orig tarball\n" {
		t.Errorf("cached %q", b)
	}
}

// TestDebsrcWithoutDebSrc: apt-get's complaint about missing deb-src
// URIs becomes the one-line fix for this machine's apt sources.
func TestDebsrcWithoutDebSrc(t *testing.T) {
	sources := fakeApt(t, `echo "Reading package lists..."
echo "E: You must put some 'deb-src' URIs in your sources.list" >&2
exit 100
`)
	f, _ := newFetcher(t)
	_, err := f.FetchAll(context.Background(), []source.Artifact{debArtifact(f, strings.Repeat("0", 64))})
	want := "sed -i 's/^Types: deb$/Types: deb deb-src/' " + sources + " && apt-get update"
	if !errors.Is(err, source.ErrNoDebSrc) || !strings.Contains(err.Error(), want) {
		t.Errorf("FetchAll = %v, want the deb-src fix %q", err, want)
	}
}

// TestDebsrcCancelled: apt-get's download methods (children of apt-get)
// do not outlive a cancelled run.
func TestDebsrcCancelled(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	fakeApt(t, "sleep 60 & echo $! > "+pidFile+"\nwait\n")
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
