package command

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/nginx-build/nginx-build/mirrorindex"
)

// A signature nginx-build cannot check (by a key it does not trust, or by
// one pinned for the component that cannot be had offline) is a warning
// naming the key when a strong check has passed already (here a lockfile
// pin, as Debian's Sources index pins OpenSSL for --source debian); a BAD
// signature by a known key stays fatal, pin or not.
func TestUnknownSignerAfterAStrongCheckIsAWarning(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	release, mark := newTestKey(t, "Release Manager"), newTestKey(t, "Mark")
	release.sign(t, f, "nginx", "nginx-1.30.1.tar.gz")
	mark.sign(t, f, "zlib", "zlib-1.2.13.tar.xz")
	ks := newKeyServer(t)
	ks.publish(t, "zlib", mark)
	lock := filepath.Join(t.TempDir(), "nginx-build.lock")
	zlib := []string{"-zlib", "-zlibversion", "1.2.13"}
	r := run(t, append([]string{"lock", "--lockfile", lock, "--mirror", f.m.URL, "-v", "1.30.1", "--keyring", release.keyring}, zlib...)...)
	if r.code != 0 {
		t.Fatalf("lock: exit %d\n%s", r.code, r.err)
	}
	ks.Close() // offline: zlib's pinned key cannot be had
	locked, _ := os.ReadFile(lock)

	// Neither nginx's signer nor zlib's pinned key at hand, both pinned
	// in the lockfile: warnings naming the keys, and the build goes on.
	r = run(t, f.args(append(zlib, "--lockfile", lock, "--cache-dir", t.TempDir())...)...)
	if r.code != 0 {
		t.Fatalf("lockfile pin, unknown signer: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "build", r.err,
		"warning: nginx 1.30.1: nginx-1.30.1.tar.gz is signed by key "+release.fingerprint()+", which nginx-build does not trust for nginx: the signature is not checked; the tarball is verified by the sha256 pinned in nginx-build.lock",
		"warning: zlib 1.2.13: zlib-1.2.13.tar.xz is signed by key "+mark.fingerprint()+", which may be a key nginx-build pins for zlib but could not get (zlib's release key "+mark.fingerprint()+": ",
		"verified nginx 1.30.1: sha256 pinned in nginx-build.lock")
	// The lockfile keeps what was verified when it was locked.
	if now, _ := os.ReadFile(lock); string(now) != string(locked) {
		t.Errorf("the lockfile was rewritten for an unchecked signature:\n%s\n---\n%s", locked, now)
	}

	// Without a strong check the unknown signer is fatal, as before.
	r = run(t, f.args("--cache-dir", t.TempDir(), "--lockfile", filepath.Join(t.TempDir(), "none.lock"))...)
	if r.code != 1 || !strings.Contains(r.err, "is signed by key "+release.fingerprint()+", which nginx-build does not trust for nginx") {
		t.Errorf("no strong check: exit %d\n%s", r.code, r.err)
	}

	// A BAD signature by a trusted key: fatal although the pin matches.
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, release.entity, strings.NewReader("another tarball"), nil); err != nil {
		t.Fatal(err)
	}
	f.m.WriteFile(t, "nginx", "nginx-1.30.1.tar.gz.asc", sig.Bytes())
	r = run(t, f.args("--lockfile", lock, "--cache-dir", t.TempDir(), "--keyring", release.keyring)...)
	if r.code != 1 || !strings.Contains(r.err, "BAD signature on nginx-1.30.1.tar.gz") {
		t.Errorf("bad signature with a lockfile pin: exit %d\n%s", r.code, r.err)
	}
}

// A tarball nothing upstream verified (the fixture publishes no checksum
// for pcre2) is mirrored with a .sha256 of the mirror's own, and
// index.json says so: a build from the mirror under --verify strict
// refuses it, and --verify auto says what its checksum is worth.
func TestMirrorDoesNotVouchForUnverifiedTarballs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	release := newTestKey(t, "Release Manager")
	release.sign(t, f, "nginx", "nginx-1.30.1.tar.gz")
	out := filepath.Join(t.TempDir(), "airgap")
	flags := []string{"-v", "1.30.1", "-pcre", "-pcreversion", "10.42", "-openssl", "-opensslversion", "3.0.20", "--keyring", release.keyring}
	r := run(t, append([]string{"mirror", out, "--mirror", f.m.URL}, flags...)...)
	if r.code != 0 {
		t.Fatalf("mirror: exit %d\n%s", r.code, r.err)
	}
	b, _ := os.ReadFile(filepath.Join(out, "index.json"))
	var idx mirrorindex.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	for _, file := range idx.Files {
		if want := file.Path == "pcre2/pcre2-10.42.tar.gz"; file.UnverifiedUpstream != want {
			t.Errorf("index.json: %s unverified upstream = %v, want %v:\n%s", file.Path, file.UnverifiedUpstream, want, b)
		}
	}

	r = run(t, append([]string{"-d", f.work, "--mirror", out, "--dry-run"}, flags...)...)
	mustContain(t, "dry run", r.out, "pcre2-10.42.tar.gz.sha256, the mirror's own (unverified upstream)")

	r = run(t, append([]string{"-d", f.work, "--mirror", out, "--cache-dir", t.TempDir(), "--verify", "strict"}, flags...)...)
	if r.code != 1 {
		t.Fatalf("strict build from the mirror: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "strict", r.err, "verify pcre2 10.42: pcre2-10.42.tar.gz was unverified upstream when mirror "+out+" mirrored it", "--verify strict refuses it")

	r = run(t, append([]string{"-d", f.work, "--mirror", out, "--cache-dir", t.TempDir()}, flags...)...)
	if r.code != 0 {
		t.Fatalf("auto build from the mirror: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "auto", r.err, "verified pcre2 10.42: sha256 pinned by the mirror "+out+" (unverified upstream)",
		"verified openssl 3.0.20: sha256 published at file://"+out)
}
