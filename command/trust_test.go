package command

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/record"
)

// testKey is a throwaway OpenPGP key; keyring is its armored public key file.
type testKey struct {
	entity  *openpgp.Entity
	keyring string
}

func newTestKey(t *testing.T, name string) testKey {
	t.Helper()
	// Ed25519: an RSA key takes a noticeable share of the fast tier to make.
	e, err := openpgp.NewEntity(name, "", strings.ToLower(name)+"@example.test", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	path := filepath.Join(t.TempDir(), name+".asc")
	os.WriteFile(path, buf.Bytes(), 0o644)
	return testKey{e, path}
}

// sign publishes <file>.asc beside a tarball in the fixture's mirror.
func (k testKey) sign(t *testing.T, f *fixture, component, file string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.m.Dir, component, file))
	if err != nil {
		t.Fatal(err)
	}
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, k.entity, bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	f.m.WriteFile(t, component, file+".asc", sig.Bytes())
}

func (k testKey) fingerprint() string {
	return strings.ToUpper(string(hexOf(k.entity.PrimaryKey.Fingerprint)))
}

func hexOf(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

func TestSignatureVerification(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	release := newTestKey(t, "Release Manager")
	release.sign(t, f, "nginx", "nginx-1.30.1.tar.gz")

	// Signed by a key nginx-build does not know, while it does have nginx
	// keys: an unknown signer is fatal.
	r := run(t, f.args()...)
	if r.code != 1 || !strings.Contains(r.err, "signed by key "+release.fingerprint()) || !strings.Contains(r.err, "--keyring") {
		t.Fatalf("unknown signer: exit %d\n%s", r.code, r.err)
	}
	if _, err := os.Stat(f.src()); err == nil {
		t.Errorf("a tarball with an untrusted signature was extracted")
	}

	// Trusting the key with --keyring: verified, and the signer is reported
	// and recorded.
	r = run(t, f.args("--keyring", release.keyring)...)
	if r.code != 0 {
		t.Fatalf("trusted signer: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "output", r.err, "verified nginx 1.30.1: OpenPGP signature by Release Manager", release.fingerprint())
	b, err := os.ReadFile(filepath.Join(f.work, "nginx", "1.30.1", record.File))
	if err != nil {
		t.Fatal(err)
	}
	var rec record.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Components) != 1 || rec.Components[0].Verification.Signer == nil ||
		rec.Components[0].Verification.Signer.Fingerprint != release.fingerprint() || rec.BinarySHA256 == "" ||
		len(rec.ConfigureArgs) != 0 || !strings.Contains(rec.NginxV, "nginx/1.30.1") {
		t.Errorf("build record: %s", b)
	}
}

func TestBadSignatureIsFatalAndPurged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	release := newTestKey(t, "Release Manager")
	release.sign(t, f, "nginx", "nginx-1.30.1.tar.gz")
	// The tarball changes after it was signed.
	f.m.AddNginx(t, "nginx", "1.30.1")
	path := filepath.Join(f.m.Dir, "nginx", "nginx-1.30.1.tar.gz")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, append(data, 0), 0o644)

	r := run(t, f.args("--keyring", release.keyring)...)
	if r.code != 1 || !strings.Contains(r.err, "BAD signature on nginx-1.30.1.tar.gz") {
		t.Fatalf("bad signature: exit %d\n%s", r.code, r.err)
	}
	filepathWalk(t, f.cache, func(p string) {
		if strings.Contains(p, "nginx-1.30.1.tar.gz") {
			t.Errorf("cache still holds %s", p)
		}
	})
	if _, err := os.Stat(f.src()); err == nil {
		t.Errorf("a tarball with a bad signature was extracted")
	}
}

func TestBuiltInChecksumsCatchAForgedNginx(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// The fixture's synthetic "nginx 1.22.1" is not nginx.org's 1.22.1.
	f.m.AddNginx(t, "nginx", "1.22.1")
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "1.22.1")
	if r.code != 1 || !strings.Contains(r.err, "sha512 checksum mismatch") || !strings.Contains(r.err, "1d468dcfa9bbd348b8a5dc514ac1428a789e73a92384c039b73a51ce376785f74bf942872c5594a9fcda6bbf44758bd727ce15ac2395f1aa989c507014647dcc") {
		t.Errorf("forged nginx 1.22.1: exit %d\n%s", r.code, r.err)
	}
}

func TestVerifyPolicies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	someone := newTestKey(t, "Somebody")
	someone.sign(t, f, "zlib", "zlib-1.2.13.tar.xz") // nginx-build has no zlib key

	// auto: nothing to verify against is a warning naming the component.
	r := run(t, f.args("-zlib", "-zlibversion", "1.2.13")...)
	if r.code != 0 || !strings.Contains(r.err, "zlib 1.2.13: zlib-1.2.13.tar.xz is signed, but nginx-build has no zlib signing key") ||
		!strings.Contains(r.err, "warning: nginx 1.30.1: nothing to verify") {
		t.Errorf("auto: exit %d\n%s", r.code, r.err)
	}
	// strict: the same is fatal.
	r = run(t, f.args("-zlib", "-zlibversion", "1.2.13", "--verify", "strict", "-clear")...)
	if r.code != 1 || !strings.Contains(r.err, "--verify strict refuses it") {
		t.Errorf("strict: exit %d\n%s", r.code, r.err)
	}
	// strict with the signer trusted and a published checksum: fine.
	sum := f.m.AddNginx(t, "nginx", "1.30.1")
	f.m.PublishSHA256(t, "nginx", "nginx-1.30.1.tar.gz", sum)
	r = run(t, f.args("-zlib", "-zlibversion", "1.2.13", "--verify", "strict", "--keyring", someone.keyring, "--cache-dir", t.TempDir())...)
	if r.code != 0 {
		t.Errorf("strict, all verifiable: exit %d\n%s", r.code, r.err)
	}
	// off: loud.
	r = run(t, f.args("--verify=off", "-clear")...)
	if r.code != 0 || !strings.Contains(r.err, "NOT verifying nginx 1.30.1") {
		t.Errorf("off: exit %d\n%s", r.code, r.err)
	}
	r = run(t, f.args("--verify", "maybe")...)
	if r.code != 2 || !strings.Contains(r.err, `--verify "maybe": use auto, strict or off`) {
		t.Errorf("bad policy: exit %d\n%s", r.code, r.err)
	}
	r = run(t, f.args("--keyring", filepath.Join(t.TempDir(), "missing.asc"))...)
	if r.code != 2 || !strings.Contains(r.err, "--keyring") {
		t.Errorf("missing keyring: exit %d\n%s", r.code, r.err)
	}
}

func TestLockfile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	lock := filepath.Join(dir, "nginx-build.lock")

	r := run(t, "lock", "--mirror", f.m.URL, "-v", "1.30.x", "-openssl", "-opensslversion", "3.0.x")
	if r.code != 0 || strings.TrimSpace(r.out) != lock {
		t.Fatalf("lock: exit %d\n%s%s", r.code, r.out, r.err)
	}
	l, err := lockfile.Read(lock)
	if err != nil || l == nil || len(l.Components) != 2 {
		t.Fatalf("lockfile: %+v %v", l, err)
	}
	if c := l.Components[0]; c.Name != "nginx" || c.Constraint != "1.30.x" || c.Version != "1.30.1" || len(c.SHA256) != 64 {
		t.Errorf("nginx entry %+v", c)
	}
	if c := l.Components[1]; c.Name != "openssl" || c.Version != "3.0.20" || len(c.Verified) != 1 || !strings.HasPrefix(c.Verified[0], "sha256 published at") {
		t.Errorf("openssl entry %+v", c)
	}
	before, _ := os.ReadFile(lock)

	// A newer release appears (and --refresh makes sure the index shows
	// it): builds keep the locked version.
	f.m.AddNginx(t, "nginx", "1.30.9")
	r = run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "1.30.x", "-openssl", "-opensslversion", "3.0.x", "--locked", "--refresh")
	if r.code != 0 {
		t.Fatalf("--locked build: exit %d\n%s", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Join(f.work, "nginx", "1.30.1", "nginx-1.30.1", "objs", "nginx")); err != nil {
		t.Errorf("--locked build did not build the locked 1.30.1: %v", err)
	}
	mustContain(t, "locked build", r.err, "sha256 pinned in nginx-build.lock")
	if after, _ := os.ReadFile(lock); !bytes.Equal(before, after) {
		t.Errorf("a build that matched the lockfile rewrote it")
	}

	// --locked with different flags is fatal and says what differs.
	r = run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "1.30.x", "--locked")
	if r.code != 1 || !strings.Contains(r.err, "the lockfile has openssl 3.0.20, which the flags do not ask for") {
		t.Errorf("--locked with other flags: exit %d\n%s", r.code, r.err)
	}

	// A normal build with changed flags updates the lockfile and says so.
	r = run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "latest", "-openssl", "-opensslversion", "3.0.x")
	if r.code != 0 || !strings.Contains(r.err, "updated "+lock) || !strings.Contains(r.err, `nginx: flags ask for "latest", the lockfile has "1.30.x"`) {
		t.Fatalf("changed build: exit %d\n%s", r.code, r.err)
	}
	if l, _ := lockfile.Read(lock); l.Components[0].Version != "1.31.0" {
		t.Errorf("lockfile not updated: %+v", l.Components[0])
	}

	// The mirror's tarball changes under the same name: with a fresh cache
	// the lockfile's sha256 catches it.
	f.m.AddNginx(t, "nginx", "1.31.0")
	p := filepath.Join(f.m.Dir, "nginx", "nginx-1.31.0.tar.gz")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, append(data, 0), 0o644)
	r = run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "latest", "-openssl", "-opensslversion", "3.0.x", "--cache-dir", t.TempDir(), "-clear")
	if r.code != 1 || !strings.Contains(r.err, "against nginx-build.lock: sha256 mismatch") {
		t.Errorf("tampered tarball: exit %d\n%s", r.code, r.err)
	}

	// A damaged lockfile is a clear error.
	os.WriteFile(lock, []byte("{not json"), 0o644)
	r = run(t, "-d", f.work, "--mirror", f.m.URL)
	if r.code != 1 || !strings.Contains(r.err, "lockfile "+lock+" is damaged") {
		t.Errorf("damaged lockfile: exit %d\n%s", r.code, r.err)
	}
}

func TestLockPinsGitModuleCommits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := gitRepo(t, filepath.Join(dir, "mod"))
	first := gitHead(t, repo)
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[{"name": "mod", "form": "git", "url": "`+repo+`", "rev": "main"}]`), 0o644)

	if r := run(t, "lock", "--mirror", f.m.URL, "-v", "1.30.1", "-m", mods); r.code != 0 {
		t.Fatalf("lock: %s", r.err)
	}
	l, _ := lockfile.Read(filepath.Join(dir, "nginx-build.lock"))
	if len(l.Modules) != 1 || l.Modules[0].Commit != first {
		t.Fatalf("module pin: %+v, want commit %s", l.Modules, first)
	}
	// The branch moves on; the build still uses the locked commit.
	gitCommit(t, repo, "second")
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "1.30.1", "-m", mods, "--locked")
	if r.code != 0 {
		t.Fatalf("locked build: %s", r.err)
	}
	if got := gitHead(t, filepath.Join(f.work, "nginx", "1.30.1", "mod")); got != first {
		t.Errorf("module checked out at %s, want the locked %s", got, first)
	}
}

// The verification policy and the extra keys are inputs of a build: a
// binary built under --verify off is not up to date under --verify strict,
// and trusting another key re-verifies.
func TestVerifyPolicyAndKeyringChangeRebuilds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if r := run(t, f.args("--verify", "off")...); r.code != 0 {
		t.Fatalf("--verify off: exit %d\n%s", r.code, r.err)
	}
	r := run(t, f.args("--verify", "strict")...)
	if r.code != 1 || strings.Contains(r.err, "up to date") || !strings.Contains(r.err, "--verify strict refuses it") {
		t.Fatalf("--verify strict after --verify off: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, f.args()...); r.code != 0 || strings.Contains(r.err, "up to date") {
		t.Fatalf("--verify auto after a failed strict run: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, f.args()...); !strings.Contains(r.err, "up to date") {
		t.Fatalf("same policy again is not up to date:\n%s", r.err)
	}
	key := newTestKey(t, "Another Signer")
	r = run(t, f.args("--keyring", key.keyring)...)
	if r.code != 0 || strings.Contains(r.err, "up to date") {
		t.Errorf("another --keyring did not re-verify: exit %d\n%s", r.code, r.err)
	}
	if r := run(t, f.args("--keyring", key.keyring)...); !strings.Contains(r.err, "up to date") {
		t.Errorf("the same --keyring again is not up to date:\n%s", r.err)
	}
}

// `nginx-build lock [build flags]`: the same command line as the build,
// with work dir, configure script, jobs, patches and configure options,
// writes the lockfile (they do not change what is pinned), and a
// modules.json's git modules are still pinned.
func TestLockTakesBuildFlags(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := gitRepo(t, filepath.Join(dir, "mod"))
	mods := filepath.Join(dir, "modules.json")
	os.WriteFile(mods, []byte(`[{"name": "mod", "form": "git", "url": "`+repo+`", "rev": "main"}]`), 0o644)
	script := filepath.Join(dir, "configure.sh")
	os.WriteFile(script, []byte("#!/bin/sh\n./configure --prefix=/opt/nginx\n"), 0o644)
	patch := filepath.Join(dir, "fix.patch")
	os.WriteFile(patch, []byte("--- a/src/core/nginx.h\n+++ b/src/core/nginx.h\n@@ -1 +1,2 @@\n #define NGINX_VERSION \"1.30.1\"\n+#define PATCHED 1\n"), 0o644)
	build := []string{"-d", f.work, "--mirror", f.m.URL, "-v", "1.30.1", "-zlib", "-zlibversion", "1.2.13",
		"-c", script, "-m", mods, "-j", "3", "-patch", patch, "-patch-opt", "-p1", "-clear", "-configureonly", "-verbose",
		"--", "--with-http_v2_module"}

	r := run(t, append([]string{"lock"}, build...)...)
	if r.code != 0 {
		t.Fatalf("lock with build flags: exit %d\n%s", r.code, r.err)
	}
	l, err := lockfile.Read(filepath.Join(dir, "nginx-build.lock"))
	if err != nil || l == nil {
		t.Fatalf("lockfile: %v", err)
	}
	if len(l.Components) != 2 || l.Components[0].Name != "nginx" || l.Components[1].Name != "zlib" {
		t.Errorf("components: %+v", l.Components)
	}
	if len(l.Modules) != 1 || l.Modules[0].Commit != gitHead(t, repo) {
		t.Errorf("module pin: %+v", l.Modules)
	}
	if _, err := os.Stat(f.work); err == nil {
		t.Errorf("lock created the work dir")
	}
	// The same command line builds, under --locked.
	if r := run(t, append([]string{"--locked"}, build...)...); r.code != 0 {
		t.Errorf("--locked build with the lock's flags: exit %d\n%s", r.code, r.err)
	}
	// Bad build flags are usage errors for lock too.
	for _, bad := range [][]string{{"lock", "-j", "0"}, {"lock", "-c", filepath.Join(dir, "none.sh")}, {"lock", "stray"}} {
		if r := run(t, bad...); r.code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", bad, r.code, r.err)
		}
	}
}

// --keyring FILE adds trust for every component but makes no component
// without keys of its own fail; --keyring NAME=FILE trusts the keys for
// that component only, and there a signature by anyone else is fatal.
func TestScopedKeyrings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	someone, other := newTestKey(t, "Somebody"), newTestKey(t, "Other")
	someone.sign(t, f, "zlib", "zlib-1.2.13.tar.xz") // nginx-build has no zlib key

	// Another key for all components: zlib is not checked, with a warning.
	r := run(t, f.args("-zlib", "-zlibversion", "1.2.13", "--keyring", other.keyring)...)
	if r.code != 0 || !strings.Contains(r.err, "none of the --keyring keys") || !strings.Contains(r.err, "--keyring zlib=FILE") {
		t.Errorf("unscoped keyring, other signer: exit %d\n%s", r.code, r.err)
	}
	// The signer's key for zlib: verified.
	r = run(t, f.args("-zlib", "-zlibversion", "1.2.13", "--keyring", "zlib="+someone.keyring, "-clear")...)
	if r.code != 0 || !strings.Contains(r.err, "verified zlib 1.2.13: OpenPGP signature by Somebody") {
		t.Errorf("scoped keyring, its signer: exit %d\n%s", r.code, r.err)
	}
	// Another key scoped to zlib: the signature is by a key not trusted for it.
	r = run(t, f.args("-zlib", "-zlibversion", "1.2.13", "--keyring", "zlib="+other.keyring, "-clear")...)
	if r.code != 1 || !strings.Contains(r.err, "which nginx-build does not trust for zlib") {
		t.Errorf("scoped keyring, other signer: exit %d\n%s", r.code, r.err)
	}
	// The signer's key scoped to another component does not vouch for zlib.
	r = run(t, f.args("-zlib", "-zlibversion", "1.2.13", "--keyring", "pcre2="+someone.keyring, "-clear")...)
	if r.code != 0 || strings.Contains(r.err, "verified zlib 1.2.13: OpenPGP") {
		t.Errorf("key scoped to pcre2 used for zlib: exit %d\n%s", r.code, r.err)
	}
	r = run(t, f.args("--keyring", "nosuch="+someone.keyring)...)
	if r.code != 2 || !strings.Contains(r.err, `"nosuch" is not a component`) {
		t.Errorf("unknown scope: exit %d\n%s", r.code, r.err)
	}
}

// TestKeyringCopiesOfOneKeyAreMerged: a key extended after an older copy
// of it was trusted. Both copies given (as a built-in copy plus the
// user's --keyring update would be): the newer self-signature counts, and
// a tarball signed after the first expiry verifies.
func TestKeyringCopiesOfOneKeyAreMerged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	now := time.Now()
	year := uint32(365 * 24 * 3600)
	cfg := func(at time.Time, lifetime uint32) *packet.Config {
		return &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return at }, KeyLifetimeSecs: lifetime}
	}
	e, err := openpgp.NewEntity("Zlib Release", "", "zlib@example.test", cfg(now.AddDate(-2, 0, 0), year))
	if err != nil {
		t.Fatal(err)
	}
	writeKey := func(name string) string {
		var buf bytes.Buffer
		w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
		if err := e.Serialize(w); err != nil {
			t.Fatal(err)
		}
		w.Close()
		path := filepath.Join(t.TempDir(), name)
		os.WriteFile(path, buf.Bytes(), 0o644)
		return path
	}
	old := writeKey("old.asc") // expired a year ago
	// Upstream extends the key (gpg --quick-set-expire): a new self-signature.
	for _, id := range e.Identities {
		ext := *id.SelfSignature
		ext.CreationTime, ext.KeyLifetimeSecs = now.AddDate(-1, -6, 0), new(3*year)
		if err := ext.SignUserId(id.UserId.Id, e.PrimaryKey, e.PrivateKey, cfg(ext.CreationTime, 0)); err != nil {
			t.Fatal(err)
		}
		id.SelfSignature, id.Signatures = &ext, append(id.Signatures, &ext)
	}
	extended := writeKey("extended.asc")
	data, _ := os.ReadFile(filepath.Join(f.m.Dir, "zlib", "zlib-1.2.13.tar.xz"))
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, e, bytes.NewReader(data), cfg(now.AddDate(0, -6, 0), 0)); err != nil {
		t.Fatal(err)
	}
	f.m.WriteFile(t, "zlib", "zlib-1.2.13.tar.xz.asc", sig.Bytes())

	r := run(t, f.args("-zlib", "-zlibversion", "1.2.13", "--keyring", "zlib="+old)...)
	if r.code != 1 || !strings.Contains(r.err, "expired") {
		t.Fatalf("old copy alone: exit %d, want the expired key refused\n%s", r.code, r.err)
	}
	for _, order := range [][2]string{{old, extended}, {extended, old}} {
		r = run(t, f.args("-zlib", "-zlibversion", "1.2.13", "--keyring", "zlib="+order[0], "--keyring", "zlib="+order[1], "-clear")...)
		if r.code != 0 || !strings.Contains(r.err, "verified zlib 1.2.13: OpenPGP signature by Zlib Release") {
			t.Errorf("both copies (%s first): exit %d\n%s", filepath.Base(order[0]), r.code, r.err)
		}
	}
}
