// Package testrepo makes the small real inputs unit tests build from: a
// git repository with history, a tarball, a file. It is for tests only.
package testrepo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Git runs git in dir with a fixed identity and no signing, and returns
// its trimmed output; a failure fails the test.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// GitRepo makes a repository of an nginx module config with two commits
// on branch main, the first tagged v1; it returns its path and the two
// commits.
func GitRepo(t testing.TB) (dir, first, second string) {
	t.Helper()
	dir = t.TempDir()
	Git(t, dir, "init", "-q", "-b", "main")
	WriteFile(t, filepath.Join(dir, "config"), "ngx_addon_name=x\n", 0o644)
	Git(t, dir, "add", "config")
	Git(t, dir, "commit", "-q", "-m", "one")
	first = Git(t, dir, "rev-parse", "HEAD")
	Git(t, dir, "tag", "v1")
	WriteFile(t, filepath.Join(dir, "config"), "ngx_addon_name=y\n", 0o644)
	Git(t, dir, "commit", "-q", "-am", "two")
	second = Git(t, dir, "rev-parse", "HEAD")
	return dir, first, second
}

// WriteFile writes body to path with mode, making its directory.
func WriteFile(t testing.TB, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

// Tarball writes a .tar.gz of files (name → body; a name ending in / is
// a directory) into a temporary directory and returns its path.
func Tarball(t testing.TB, files map[string]string) string {
	t.Helper()
	var raw bytes.Buffer
	zw := gzip.NewWriter(&raw)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(1700000000, 0)}
		if strings.HasSuffix(name, "/") {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "src.tar.gz")
	if err := os.WriteFile(p, raw.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Bundle writes a git bundle of every branch and tag of repo to dst (as a
// mirror holds one) and returns the bundle's sha256, hex-encoded.
func Bundle(t testing.TB, repo, dst string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	Git(t, repo, "bundle", "create", dst, "--all")
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
