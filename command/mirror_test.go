package command

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/mirrorindex"
)

func TestMirrorRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	release := newTestKey(t, "Release Manager")
	release.sign(t, f, "nginx", "nginx-1.30.1.tar.gz")
	// Upstream publishes zlib's checksum here: a mirror vouches for no
	// more than was verified when it was mirrored (see
	// TestMirrorDoesNotVouchForUnverifiedTarballs).
	f.publishSHA256(t, "zlib", "zlib-1.2.13.tar.xz")
	dir := t.TempDir()
	chdir(t, dir)
	out := filepath.Join(dir, "airgap")

	// Populate from the "upstream" (here the in-process mirror).
	flags := []string{"-v", "1.30.1", "-openssl", "-opensslversion", "3.0.20", "-zlib", "-zlibversion", "1.2.13"}
	r := run(t, append([]string{"mirror", out, "--mirror", f.m.URL, "--keyring", release.keyring}, flags...)...)
	if r.code != 0 {
		t.Fatalf("mirror: exit %d\n%s", r.code, r.err)
	}
	for _, p := range []string{"nginx/nginx-1.30.1.tar.gz", "nginx/nginx-1.30.1.tar.gz.asc", "nginx/nginx-1.30.1.tar.gz.sha256",
		"openssl/openssl-3.0.20.tar.gz", "openssl/openssl-3.0.20.tar.gz.sha256", "zlib/zlib-1.2.13.tar.xz", "index.json"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("mirror lacks %s", p)
		}
	}
	var idx mirrorindex.Index
	b, _ := os.ReadFile(filepath.Join(out, "index.json"))
	if err := json.Unmarshal(b, &idx); err != nil || len(idx.Files) != 3 || idx.Files[0].Path != "nginx/nginx-1.30.1.tar.gz" ||
		!strings.Contains(strings.Join(idx.Files[0].Verified, " "), "OpenPGP signature by Release Manager") {
		t.Errorf("index.json: %s", b)
	}

	// Twice: nothing new, and index.json (its "updated" time too) stays
	// byte for byte what it was.
	r = run(t, append([]string{"mirror", out, "--mirror", f.m.URL, "--keyring", release.keyring}, flags...)...)
	if r.code != 0 || !strings.Contains(r.err, "0 file(s) added, 3 already there") {
		t.Errorf("second mirror run: exit %d\n%s", r.code, r.err)
	}
	if again, _ := os.ReadFile(filepath.Join(out, "index.json")); string(again) != string(b) {
		t.Errorf("index.json changed although nothing was added:\n%s\n---\n%s", b, again)
	}

	// Upstream gone: build from the mirror directory alone, fresh cache,
	// --verify strict (everything was verified upstream when mirrored).
	before := f.m.TarballRequests()
	r = run(t, append([]string{"-d", f.work, "--mirror", out, "--cache-dir", t.TempDir(), "--verify", "strict", "--keyring", release.keyring}, flags...)...)
	if r.code != 0 {
		t.Fatalf("build from the mirror: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "build", r.err, "verified nginx 1.30.1: sha256 published at file://"+out, "OpenPGP signature by Release Manager")
	if f.m.TarballRequests() != before {
		t.Errorf("the build from the mirror went to upstream")
	}

	// From a lockfile: exactly what it pins.
	if r := run(t, "lock", "--mirror", out, "-v", "1.30.x", "-zlib", "-zlibversion", "1.2.13", "--keyring", release.keyring); r.code != 0 {
		t.Fatalf("lock: %s", r.err)
	}
	out2 := filepath.Join(dir, "airgap2")
	r = run(t, "mirror", out2, "--mirror", out, "--lockfile", "nginx-build.lock", "--keyring", release.keyring)
	if r.code != 0 {
		t.Fatalf("mirror --lockfile: exit %d\n%s", r.code, r.err)
	}
	entries, _ := os.ReadDir(out2)
	if len(entries) != 3 { // nginx/, zlib/, index.json
		t.Errorf("lockfile mirror holds %v", entries)
	}
}

// publishSHA256 publishes a .sha256 beside a tarball the fixture's
// mirror, standing in for upstream, already holds.
func (f *fixture) publishSHA256(t *testing.T, component, file string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.m.Dir, component, file))
	if err != nil {
		t.Fatal(err)
	}
	f.m.PublishSHA256(t, component, file, fmt.Sprintf("%x", sha256.Sum256(b)))
}
