package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// ---------------------------------------------------------------------------
// helpers

// firstExisting returns the first path in candidates that exists, or "".
func firstExisting(candidates ...string) string {
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// realOpenSSL locates the real openssl-3.0.20 tarball and its signature: the
// Debian orig tarball on dev machines, the e2e mirror in CI.
func realOpenSSL(t testing.TB) (tarball, sig string) {
	t.Helper()
	for _, p := range []string{
		"/tmp/realsrc/openssl_3.0.20.orig.tar.gz",
		filepath.Join("..", "testdata", "e2e-mirror", "openssl", "openssl-3.0.20.tar.gz"),
	} {
		if firstExisting(p) != "" && firstExisting(p+".asc") != "" {
			return p, p + ".asc"
		}
	}
	t.Skip("openssl-3.0.20 tarball + .asc not available")
	return "", ""
}

type errKind string

const (
	kindNil     errKind = "nil"
	kindUnknown errKind = "unknown-signer"
	kindBad     errKind = "bad-signature"
	kindInvalid errKind = "invalid-key"
	kindPanic   errKind = "panic"
	kindPlain   errKind = "plain"
)

func classify(err error) errKind {
	var (
		u *UnknownSignerError
		b *BadSignatureError
		i *InvalidKeyError
		p *panicError
	)
	switch {
	case err == nil:
		return kindNil
	case errors.As(err, &p):
		return kindPanic
	case errors.As(err, &u):
		return kindUnknown
	case errors.As(err, &b):
		return kindBad
	case errors.As(err, &i):
		return kindInvalid
	}
	return kindPlain
}

func cfgAt(when time.Time) *packet.Config {
	return &packet.Config{Time: func() time.Time { return when }}
}

// newKey makes a v4 key. EdDSA keeps the tests fast; one case uses RSA
// because every real upstream key is RSA.
func newKey(t testing.TB, name string, created time.Time, lifetime uint32, algo packet.PublicKeyAlgorithm) *openpgp.Entity {
	t.Helper()
	cfg := cfgAt(created)
	cfg.Algorithm = algo
	cfg.RSABits = 2048
	cfg.KeyLifetimeSecs = lifetime
	e, err := openpgp.NewEntity(name, "", strings.ToLower(name)+"@example.org", cfg)
	if err != nil {
		t.Fatalf("NewEntity(%s): %v", name, err)
	}
	return e
}

// publicKeyring serializes the public parts and parses them back, so the
// tests exercise exactly what a real key file goes through (including
// go-crypto's verification of self- and revocation signatures).
func publicKeyring(t testing.TB, es ...*openpgp.Entity) openpgp.EntityList {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		if err := e.Serialize(&buf); err != nil {
			t.Fatalf("Serialize: %v", err)
		}
	}
	el, err := openpgp.ReadKeyRing(&buf)
	if err != nil {
		t.Fatalf("ReadKeyRing: %v", err)
	}
	if len(el) != len(es) {
		t.Fatalf("round trip kept %d of %d keys", len(el), len(es))
	}
	return el
}

func armorPublic(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, armorPublicKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func signingSubkey(t testing.TB, e *openpgp.Entity) *openpgp.Subkey {
	t.Helper()
	for i := range e.Subkeys {
		if e.Subkeys[i].Sig.FlagSign {
			return &e.Subkeys[i]
		}
	}
	t.Fatal("no signing subkey")
	return nil
}

// sign makes a detached signature by hand rather than with
// openpgp.DetachSign, which refuses to sign with an expired key; the tests
// need such signatures to prove they are rejected.
func sign(t testing.TB, priv *packet.PrivateKey, data []byte, when time.Time, mod func(*packet.Signature)) []byte {
	t.Helper()
	sig := &packet.Signature{
		Version:      priv.PublicKey.Version,
		SigType:      packet.SigTypeBinary,
		PubKeyAlgo:   priv.PubKeyAlgo,
		Hash:         crypto.SHA256,
		CreationTime: when,
		IssuerKeyId:  &priv.KeyId,
	}
	if mod != nil {
		mod(sig)
	}
	cfg := cfgAt(when)
	h, err := sig.PrepareSign(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := h
	if sig.SigType == packet.SigTypeText {
		w = openpgp.NewCanonicalTextHash(h)
	}
	w.Write(data)
	if err := sig.Sign(h, priv, cfg); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sig.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func armorSig(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, armorSignature, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// refreshSelfSignature re-signs every user ID at when with a new key
// lifetime, which is what `gpg --quick-set-expire` does when upstream
// extends a key.
func refreshSelfSignature(t testing.TB, e *openpgp.Entity, when time.Time, lifetime uint32) {
	t.Helper()
	for _, id := range e.Identities {
		ns := *id.SelfSignature
		ns.CreationTime = when
		ns.KeyLifetimeSecs = &lifetime
		if err := ns.SignUserId(id.UserId.Id, e.PrimaryKey, e.PrivateKey, cfgAt(when)); err != nil {
			t.Fatal(err)
		}
		id.SelfSignature = &ns
		id.Signatures = append(id.Signatures, &ns)
	}
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fpr(e *openpgp.Entity) string { return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint) }

// ---------------------------------------------------------------------------
// embedded keys

func TestEmbeddedKeyFingerprints(t *testing.T) {
	// From verify/keys/README.md (itself from the vetted shared key README).
	tests := []struct {
		file        string
		fingerprint string
		owner       string // substring of the primary user ID
		expires     string // "" = never, else UTC date
	}{
		{"nginx/arut.asc", "43387825DDB1BB97EC36BA5D007C8D7C15D87369", "Roman Arutyunyan", ""},
		{"nginx/pluknet.asc", "D6786CE303D9A9022998DC6CC8464D549AF75C0A", "Sergey Kandaurov", ""},
		{"nginx/thresh.asc", "13C82A63B603576156E30A4EA0EA981B66B0D967", "Konstantin Pavlov", "2027-05-17"},
		{"nginx/sb.asc", "7338973069ED3F443F4D37DFA64FD5B17ADB39A8", "Sergey Budnevitch", "2016-08-10"},
		{"nginx/mdounin.asc", "B0F4253373F8F6F510D42178520A9993A1C052F8", "Maxim Dounin", ""},
		{"nginx/maxim.asc", "41DB92713D3BF4BFF3EE91069C5E7FA2F54977D4", "Maxim Konovalov", "2027-01-02"},
		{"freenginx/mdounin.asc", "B0F4253373F8F6F510D42178520A9993A1C052F8", "Maxim Dounin", ""},
		{"openssl/openssl-BA5473A2B0587B07FB27CF2D216094DFD0CB81EF.asc", "BA5473A2B0587B07FB27CF2D216094DFD0CB81EF", "OpenSSL <openssl@openssl.org>", "2026-09-08"},
	}

	// Every embedded .asc must be in the table, so no key slips in untested.
	embedded, err := fs.Glob(embeddedKeys, "keys/*/*.asc")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, tc := range tests {
		want = append(want, "keys/"+tc.file)
	}
	sort.Strings(want)
	if strings.Join(embedded, ",") != strings.Join(want, ",") {
		t.Errorf("embedded key files = %v, test table = %v", embedded, want)
	}

	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := embeddedKeys.ReadFile("keys/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			el, err := parseKeys(data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(el) != 1 {
				t.Fatalf("got %d keys, want 1", len(el))
			}
			e := el[0]
			if got := fpr(e); got != tc.fingerprint {
				t.Errorf("fingerprint = %s, want %s", got, tc.fingerprint)
			}
			if got := owner(e); !strings.Contains(got, tc.owner) {
				t.Errorf("owner = %q, want it to contain %q", got, tc.owner)
			}
			selfSig, _ := e.PrimarySelfSignature()
			if selfSig == nil {
				t.Fatal("no primary self-signature")
			}
			expires := ""
			if l := selfSig.KeyLifetimeSecs; l != nil && *l != 0 {
				expires = e.PrimaryKey.CreationTime.Add(time.Duration(*l) * time.Second).UTC().Format(time.DateOnly)
			}
			if expires != tc.expires {
				t.Errorf("expires = %q, want %q", expires, tc.expires)
			}
			if !selfSig.FlagsValid || !selfSig.FlagSign {
				t.Errorf("primary key is not flagged for signing")
			}
		})
	}

	for _, c := range []struct {
		component string
		n         int
	}{{"nginx", 6}, {"freenginx", 1}, {"openssl", 1}, {"libressl", 0}, {"pcre2", 0}, {"zlib", 0}, {"openresty", 0}} {
		el, err := Keyring(c.component)
		if err != nil {
			t.Errorf("Keyring(%q): %v", c.component, err)
			continue
		}
		if el == nil || len(el) != c.n {
			t.Errorf("Keyring(%q) = %d keys (nil=%v), want %d non-nil", c.component, len(el), el == nil, c.n)
		}
	}
}

func TestKeyringRejectsBadComponent(t *testing.T) {
	for _, c := range []string{"", ".", "..", "../keys", "nginx/../openssl", `a\b`} {
		if el, err := Keyring(c); err == nil {
			t.Errorf("Keyring(%q) = %d keys, nil error; want error", c, len(el))
		}
	}
}

func TestLibreSSLSignifyKeyEmbedded(t *testing.T) {
	data, err := embeddedKeys.ReadFile("keys/libressl/libressl.pub")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("RWT44PcJDPu8ZDd5GfXWW2vuE+xq4M3haXXfYohnEnWoEYCKHNFut6W8")) {
		t.Errorf("libressl.pub does not hold the expected signify key:\n%s", data)
	}
}

// ---------------------------------------------------------------------------
// real upstream data

func TestRealOpenSSLSignature(t *testing.T) {
	tarball, ascPath := realOpenSSL(t)
	sig, err := os.ReadFile(ascPath)
	if err != nil {
		t.Fatal(err)
	}
	opensslKeys, err := Keyring("openssl")
	if err != nil {
		t.Fatal(err)
	}
	nginxKeys, err := Keyring("nginx")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(data)
	tampered[len(tampered)/2] ^= 0x01
	tamperedPath := writeFile(t, t.TempDir(), "openssl-3.0.20.tar.gz", tampered)

	const keyFpr = "BA5473A2B0587B07FB27CF2D216094DFD0CB81EF"
	ctx := context.Background()

	tests := []struct {
		name string
		file string
		keys openpgp.EntityList
		want errKind
	}{
		{"good", tarball, opensslKeys, kindNil},
		{"good with a combined keyring", tarball, append(append(openpgp.EntityList{}, nginxKeys...), opensslKeys...), kindNil},
		{"tampered file", tamperedPath, opensslKeys, kindBad},
		{"nginx keyring", tarball, nginxKeys, kindUnknown},
		{"empty keyring", tarball, nil, kindUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signer, err := CheckSignature(ctx, tc.file, sig, tc.keys)
			if got := classify(err); got != tc.want {
				t.Fatalf("error kind = %s (%v), want %s", got, err, tc.want)
			}
			switch tc.want {
			case kindNil:
				if signer.Fingerprint != keyFpr {
					t.Errorf("Fingerprint = %s, want %s", signer.Fingerprint, keyFpr)
				}
				if signer.Owner != "OpenSSL <openssl@openssl.org>" {
					t.Errorf("Owner = %q", signer.Owner)
				}
				// The signature is from 2026-04-07; the key has since
				// expired (2026-09-08, after two extensions).
				if !signer.KeyExpired {
					t.Errorf("KeyExpired = false, want true")
				}
				if got := signer.SignedAt.UTC().Format(time.DateOnly); got != "2026-04-07" {
					t.Errorf("SignedAt = %s, want 2026-04-07", signer.SignedAt)
				}
			case kindBad:
				var be *BadSignatureError
				errors.As(err, &be)
				if be.Fingerprint != keyFpr || be.Err == nil {
					t.Errorf("BadSignatureError = %+v", be)
				}
			case kindUnknown:
				var ue *UnknownSignerError
				errors.As(err, &ue)
				if ue.IssuerKeyID != "216094DFD0CB81EF" {
					t.Errorf("IssuerKeyID = %q, want 216094DFD0CB81EF", ue.IssuerKeyID)
				}
				if ue.IssuerFingerprint != keyFpr {
					t.Errorf("IssuerFingerprint = %q, want %s", ue.IssuerFingerprint, keyFpr)
				}
				if !strings.Contains(err.Error(), "216094DFD0CB81EF") {
					t.Errorf("error %q does not name the key ID", err)
				}
			}
		})
	}

	// The same .asc, de-armored, is the binary .sig form.
	t.Run("binary form", func(t *testing.T) {
		raw, err := dearmorSignature(sig)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := CheckSignature(ctx, tarball, raw, opensslKeys)
		if err != nil || signer.Fingerprint != keyFpr {
			t.Fatalf("binary sig: %+v, %v", signer, err)
		}
	})
}

// ---------------------------------------------------------------------------
// known checksums

func TestKnownChecksums(t *testing.T) {
	sums, err := knownSums("nginx", "sha512")
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 85 {
		t.Errorf("embedded nginx sha512 entries = %d, want 85", len(sums))
	}

	tests := []struct {
		component, file string
		wantOK          bool
		wantAlgo        string
		wantHexPrefix   string
		wantHexSuffix   string
	}{
		{"nginx", "nginx-1.22.1.tar.gz", true, "sha512", "1d468dcf", "647dcc"},
		{"nginx", "nginx-1.15.0.tar.gz", true, "sha512", "7dbdf437", "05fa32df"},
		{"nginx", "nginx-1.22.1.tar.gz.asc", false, "", "", ""},
		{"nginx", "nginx-1.14.2.tar.gz", false, "", "", ""}, // before pkg-oss kept sums
		{"nginx", "nginx-1.31.3.tar.gz", false, "", "", ""}, // after the snapshot
		{"nginx", "", false, "", "", ""},
		{"openssl", "openssl-3.0.20.tar.gz", false, "", "", ""},
		{"../sums/nginx", "nginx-1.22.1.tar.gz", false, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.component+"/"+tc.file, func(t *testing.T) {
			ks, ok := KnownChecksum(tc.component, tc.file)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if ks.Algo != tc.wantAlgo || !strings.HasPrefix(ks.Hex, tc.wantHexPrefix) || !strings.HasSuffix(ks.Hex, tc.wantHexSuffix) {
				t.Errorf("got %+v", ks)
			}
			if len(ks.Hex) != 128 || strings.ToLower(ks.Hex) != ks.Hex {
				t.Errorf("hex %q is not 128 lower-case digits", ks.Hex)
			}
		})
	}
}

func TestEmbeddedSumFilesWellFormed(t *testing.T) {
	files, err := fs.ReadDir(embeddedSums, "sums")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no embedded checksum files")
	}
	for _, f := range files {
		component, algo, ok := strings.Cut(f.Name(), ".")
		if !ok || hexLen(algo) == 0 {
			t.Errorf("%s: name is not <component>.<sha256|sha512>", f.Name())
			continue
		}
		sums, err := knownSums(component, algo)
		if err != nil {
			t.Errorf("%s: %v", f.Name(), err)
		} else if len(sums) == 0 {
			t.Errorf("%s: no entries", f.Name())
		}
	}
}

func TestParseSumLine(t *testing.T) {
	h := strings.Repeat("ab", 32)
	tests := []struct {
		line           string
		wantSum, wantN string
		wantOK         bool
	}{
		{h + "  nginx-1.0.tar.gz", h, "nginx-1.0.tar.gz", true},
		{h + " *nginx-1.0.tar.gz", h, "nginx-1.0.tar.gz", true},
		{strings.ToUpper(h) + "  x", h, "x", true},
		{h + " nginx-1.0.tar.gz", "", "", false}, // single space: not sha*sum output
		{h + "  ", "", "", false},
		{"zz" + h[2:] + "  x", "", "", false},
		{h, "", "", false},
	}
	for _, tc := range tests {
		sum, name, ok := parseSumLine(tc.line)
		if ok != tc.wantOK || sum != tc.wantSum || name != tc.wantN {
			t.Errorf("parseSumLine(%q) = %q, %q, %v; want %q, %q, %v", tc.line, sum, name, ok, tc.wantSum, tc.wantN, tc.wantOK)
		}
	}
}

func TestRealNginxKnownChecksum(t *testing.T) {
	tarball := firstExisting("/tmp/realsrc/nginx_1.22.1.orig.tar.gz",
		filepath.Join("..", "testdata", "e2e-mirror", "nginx", "nginx-1.22.1.tar.gz"))
	if tarball == "" {
		t.Skip("nginx-1.22.1 tarball not available")
	}
	ctx := context.Background()
	want, ok := KnownChecksum("nginx", "nginx-1.22.1.tar.gz")
	if !ok {
		t.Fatal("no known checksum for nginx-1.22.1.tar.gz")
	}
	got, err := FileDigest(ctx, tarball, want.Algo)
	if err != nil {
		t.Fatal(err)
	}
	if got != want.Hex {
		t.Errorf("sha512 = %s, want %s", got, want.Hex)
	}
	known, err := CheckKnownChecksum(ctx, "nginx", "nginx-1.22.1.tar.gz", tarball)
	if !known || err != nil {
		t.Errorf("CheckKnownChecksum = %v, %v; want true, nil", known, err)
	}

	// The right file under the wrong release name must not pass.
	known, err = CheckKnownChecksum(ctx, "nginx", "nginx-1.22.0.tar.gz", tarball)
	var me *ChecksumMismatchError
	if !known || !errors.As(err, &me) {
		t.Fatalf("CheckKnownChecksum(wrong name) = %v, %v; want mismatch", known, err)
	}
	if me.Got != want.Hex || me.Algo != "sha512" || me.File != "nginx-1.22.0.tar.gz" || me.Component != "nginx" {
		t.Errorf("mismatch error = %+v", me)
	}
}

func TestFileDigestAndMismatch(t *testing.T) {
	dir := t.TempDir()
	data := []byte("hello, nginx-build\n")
	p := writeFile(t, dir, "f", data)
	sum := sha256.Sum256(data)
	ctx := context.Background()

	got, err := FileDigest(ctx, p, "sha256")
	if err != nil || got != hex.EncodeToString(sum[:]) {
		t.Errorf("FileDigest sha256 = %q, %v", got, err)
	}
	if got, err := FileDigest(ctx, p, "sha512"); err != nil || len(got) != 128 {
		t.Errorf("FileDigest sha512 = %q, %v", got, err)
	}
	for _, algo := range []string{"md5", "sha1", "SHA256", ""} {
		if _, err := FileDigest(ctx, p, algo); err == nil {
			t.Errorf("FileDigest(%q): want error", algo)
		}
	}
	if _, err := FileDigest(ctx, filepath.Join(dir, "missing"), "sha256"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := FileDigest(cancelled, p, "sha256"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v, want context.Canceled", err)
	}
	if known, err := CheckKnownChecksum(ctx, "nginx", "not-a-release.tar.gz", p); known || err != nil {
		t.Errorf("CheckKnownChecksum(unknown) = %v, %v; want false, nil", known, err)
	}

	e := &ChecksumMismatchError{Component: "nginx", File: "nginx-1.2.3.tar.gz", Algo: "sha512", Want: "aaaa", Got: "bbbb"}
	for _, part := range []string{"nginx", "nginx-1.2.3.tar.gz", "sha512", "aaaa", "bbbb"} {
		if !strings.Contains(e.Error(), part) {
			t.Errorf("%q does not mention %q", e.Error(), part)
		}
	}
}

// ---------------------------------------------------------------------------
// synthetic signatures

func TestCheckSignatureSynthetic(t *testing.T) {
	base := time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	const tenDays = 10 * 24 * 3600

	alice := newKey(t, "Alice", base, 0, packet.PubKeyAlgoEdDSA)
	mallory := newKey(t, "Mallory", base, 0, packet.PubKeyAlgoEdDSA)
	rsa := newKey(t, "Rsa", base, 0, packet.PubKeyAlgoRSA)
	expiring := newKey(t, "Expiring", base, tenDays, packet.PubKeyAlgoEdDSA)
	extended := newKey(t, "Extended", base, tenDays, packet.PubKeyAlgoEdDSA)
	refreshSelfSignature(t, extended, base.Add(5*day), 0) // later made non-expiring
	revoked := newKey(t, "Revoked", base, 0, packet.PubKeyAlgoEdDSA)
	// Revoked as "retired" only after the signature below was made: still
	// rejected, because a revoked release key needs a human to look at it.
	if err := revoked.RevokeKey(packet.KeyRetired, "retired", cfgAt(base.Add(5*day))); err != nil {
		t.Fatal(err)
	}
	withSub := newKey(t, "Sub", base, 0, packet.PubKeyAlgoEdDSA)
	if err := withSub.AddSigningSubkey(cfgAt(base.Add(day))); err != nil {
		t.Fatal(err)
	}
	subRevoked := newKey(t, "SubRevoked", base, 0, packet.PubKeyAlgoEdDSA)
	if err := subRevoked.AddSigningSubkey(cfgAt(base)); err != nil {
		t.Fatal(err)
	}
	if err := subRevoked.RevokeSubkey(signingSubkey(t, subRevoked), packet.KeyCompromised, "", cfgAt(base.Add(5*day))); err != nil {
		t.Fatal(err)
	}

	trusted := publicKeyring(t, alice, rsa, expiring, extended, revoked, withSub, subRevoked)

	dir := t.TempDir()
	data := []byte("nginx-1.99.0.tar.gz pretend contents\n")
	file := writeFile(t, dir, "release.tar.gz", data)
	altered := writeFile(t, dir, "altered.tar.gz", append(bytes.Clone(data), 'x'))
	textData := []byte("line one\r\nline two\r\n")
	textFile := writeFile(t, dir, "text-lf.txt", []byte("line one\nline two\n"))

	signed := base.Add(day)
	good := sign(t, alice.PrivateKey, data, signed, nil)
	now := time.Now()

	tests := []struct {
		name       string
		file       string
		sig        []byte
		keys       openpgp.EntityList
		want       errKind
		problem    KeyProblem       // for kindInvalid
		signer     *openpgp.Entity  // for kindNil
		keyExpired bool             // for kindNil
		check      func(error) bool // extra check on the error, optional
	}{
		{name: "good binary", file: file, sig: good, keys: trusted, want: kindNil, signer: alice},
		{name: "good armored", file: file, sig: armorSig(t, good), keys: trusted, want: kindNil, signer: alice},
		{name: "good armored with leading blank lines", file: file, sig: append([]byte("\n\n"), armorSig(t, good)...), keys: trusted, want: kindNil, signer: alice},
		{name: "good RSA", file: file, sig: sign(t, rsa.PrivateKey, data, signed, nil), keys: trusted, want: kindNil, signer: rsa},
		{name: "good SHA-512", file: file, sig: sign(t, alice.PrivateKey, data, signed, func(s *packet.Signature) { s.Hash = crypto.SHA512 }), keys: trusted, want: kindNil, signer: alice},
		{name: "good text-mode signature", file: textFile, sig: sign(t, alice.PrivateKey, textData, signed, func(s *packet.Signature) { s.SigType = packet.SigTypeText }), keys: trusted, want: kindNil, signer: alice},
		{name: "good by signing subkey reports primary", file: file, sig: sign(t, signingSubkey(t, withSub).PrivateKey, data, base.Add(2*day), nil), keys: trusted, want: kindNil, signer: withSub},
		{name: "unknown then known signature", file: file, sig: append(sign(t, mallory.PrivateKey, data, signed, nil), good...), keys: trusted, want: kindNil, signer: alice},

		{name: "altered file", file: altered, sig: good, keys: trusted, want: kindBad,
			check: func(err error) bool { var b *BadSignatureError; errors.As(err, &b); return b.Fingerprint == fpr(alice) }},
		{name: "signature over other data", file: file, sig: sign(t, alice.PrivateKey, []byte("other"), signed, nil), keys: trusted, want: kindBad},

		{name: "unknown signer", file: file, sig: sign(t, mallory.PrivateKey, data, signed, nil), keys: trusted, want: kindUnknown,
			check: func(err error) bool {
				var u *UnknownSignerError
				errors.As(err, &u)
				return u.IssuerKeyID == fmt.Sprintf("%016X", mallory.PrimaryKey.KeyId) && u.IssuerFingerprint == fpr(mallory)
			}},
		{name: "unknown signer, empty keyring", file: file, sig: good, keys: openpgp.EntityList{}, want: kindUnknown},

		{name: "key expired after signing", file: file, sig: sign(t, expiring.PrivateKey, data, signed, nil), keys: trusted, want: kindNil, signer: expiring, keyExpired: true},
		{name: "signed on the last valid second", file: file, sig: sign(t, expiring.PrivateKey, data, base.Add(tenDays*time.Second), nil), keys: trusted, want: kindNil, signer: expiring, keyExpired: true},
		{name: "signed after key expiry", file: file, sig: sign(t, expiring.PrivateKey, data, base.Add(20*day), nil), keys: trusted, want: kindInvalid, problem: KeyExpiredAtSigning},
		{name: "signed one second after key expiry", file: file, sig: sign(t, expiring.PrivateKey, data, base.Add(tenDays*time.Second+time.Second), nil), keys: trusted, want: kindInvalid, problem: KeyExpiredAtSigning},
		{name: "signed before key existed", file: file, sig: sign(t, alice.PrivateKey, data, base.Add(-day), nil), keys: trusted, want: kindInvalid, problem: KeyExpiredAtSigning},
		{name: "signed before subkey existed", file: file, sig: sign(t, signingSubkey(t, withSub).PrivateKey, data, base.Add(time.Hour), nil), keys: trusted, want: kindInvalid, problem: KeyExpiredAtSigning},
		// The expiry was lifted by a self-signature made after the release
		// signature; judging the key with the clock pinned to the signature
		// time would wrongly reject this.
		{name: "signed before key was extended", file: file, sig: sign(t, extended.PrivateKey, data, signed, nil), keys: trusted, want: kindNil, signer: extended},
		{name: "signed in the lapse before key was extended", file: file, sig: sign(t, extended.PrivateKey, data, base.Add(20*day), nil), keys: trusted, want: kindNil, signer: extended},

		{name: "revoked key", file: file, sig: sign(t, revoked.PrivateKey, data, signed, nil), keys: trusted, want: kindInvalid, problem: KeyRevoked},
		{name: "revoked signing subkey", file: file, sig: sign(t, signingSubkey(t, subRevoked).PrivateKey, data, signed, nil), keys: trusted, want: kindInvalid, problem: KeyRevoked},

		{name: "signature expired", file: file, sig: sign(t, alice.PrivateKey, data, signed, func(s *packet.Signature) { l := uint32(3600); s.SigLifetimeSecs = &l }), keys: trusted, want: kindInvalid, problem: SignatureExpired},
		{name: "signature dated in the future", file: file, sig: sign(t, alice.PrivateKey, data, now.Add(48*time.Hour), nil), keys: trusted, want: kindInvalid, problem: SignedInFuture},
		{name: "not a document signature", file: file, sig: sign(t, alice.PrivateKey, data, signed, func(s *packet.Signature) { s.SigType = packet.SigTypeGenericCert }), keys: trusted, want: kindPlain},

		{name: "garbage", file: file, sig: []byte("this is not a signature"), keys: trusted, want: kindPlain},
		{name: "garbage binary", file: file, sig: []byte{0x89, 0x02, 0x33, 0x04, 0x00, 0x01, 0x0a}, keys: trusted, want: kindPlain},
		{name: "empty", file: file, sig: nil, keys: trusted, want: kindPlain},
		{name: "whitespace", file: file, sig: []byte(" \n\t"), keys: trusted, want: kindPlain},
		{name: "truncated", file: file, sig: good[:len(good)/2], keys: trusted, want: kindPlain},
		{name: "trailing junk packet", file: file, sig: append(bytes.Clone(good), 0xb4, 0x01, 'x'), keys: trusted, want: kindPlain},
		{name: "armored key instead of signature", file: file, sig: armorPublic(t, alice), keys: trusted, want: kindPlain},
		{name: "armor with bad body", file: file, sig: []byte("-----BEGIN PGP SIGNATURE-----\n\n!!!!\n-----END PGP SIGNATURE-----\n"), keys: trusted, want: kindPlain},
		{name: "missing file", file: filepath.Join(dir, "missing"), sig: good, keys: trusted, want: kindPlain,
			check: func(err error) bool { return errors.Is(err, fs.ErrNotExist) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := CheckSignature(context.Background(), tc.file, tc.sig, tc.keys)
			if got := classify(err); got != tc.want {
				t.Fatalf("error kind = %s (%v), want %s", got, err, tc.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "verify: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if k := classify(err); (k == kindUnknown || k == kindBad || k == kindInvalid) && !strings.Contains(err.Error(), tc.file) {
				t.Errorf("error %q does not name the file", err)
			}
			if tc.check != nil && !tc.check(err) {
				t.Errorf("error %#v failed the extra check", err)
			}
			switch tc.want {
			case kindNil:
				if s.Fingerprint != fpr(tc.signer) || len(s.Fingerprint) != 40 {
					t.Errorf("Fingerprint = %s, want %s", s.Fingerprint, fpr(tc.signer))
				}
				if want := tc.signer.PrimaryIdentity().Name; s.Owner != want {
					t.Errorf("Owner = %q, want %q", s.Owner, want)
				}
				if s.KeyExpired != tc.keyExpired {
					t.Errorf("KeyExpired = %v, want %v", s.KeyExpired, tc.keyExpired)
				}
				if s.SignedAt.IsZero() {
					t.Errorf("SignedAt is zero")
				}
			case kindInvalid:
				var ie *InvalidKeyError
				errors.As(err, &ie)
				if ie.Problem != tc.problem {
					t.Errorf("Problem = %q, want %q (%v)", ie.Problem, tc.problem, err)
				}
			default:
				if s != (Signer{}) {
					t.Errorf("failed check returned a signer: %+v", s)
				}
			}
		})
	}

	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := CheckSignature(ctx, file, good, trusted); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("ctxReader stops mid-stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		r := &ctxReader{ctx: ctx, r: strings.NewReader(strings.Repeat("x", 100))}
		buf := make([]byte, 10)
		if _, err := r.Read(buf); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := io.ReadAll(r); !errors.Is(err, context.Canceled) || !errors.Is(r.err, context.Canceled) {
			t.Errorf("err = %v, recorded %v; want context.Canceled", err, r.err)
		}
	})
}

// ---------------------------------------------------------------------------
// ReadKeyringFile

func TestReadKeyringFile(t *testing.T) {
	created := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	a := newKey(t, "Anna", created, 0, packet.PubKeyAlgoEdDSA)
	b := newKey(t, "Boris", created, 0, packet.PubKeyAlgoEdDSA)

	var binary bytes.Buffer
	if err := a.Serialize(&binary); err != nil {
		t.Fatal(err)
	}
	if err := b.Serialize(&binary); err != nil {
		t.Fatal(err)
	}
	var private bytes.Buffer
	w, err := armor.Encode(&private, "PGP PRIVATE KEY BLOCK", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	arut, err := embeddedKeys.ReadFile("keys/nginx/arut.asc")
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	tests := []struct {
		name    string
		content []byte
		want    []string // fingerprints; nil = error expected
	}{
		{"armored", armorPublic(t, a), []string{fpr(a)}},
		{"armored with surrounding text", append(append([]byte("Anna's key:\n"), armorPublic(t, a)...), "\n-- \nsig\n"...), []string{fpr(a)}},
		{"two armored blocks concatenated", append(armorPublic(t, a), armorPublic(t, b)...), []string{fpr(a), fpr(b)}},
		{"binary, two keys", binary.Bytes(), []string{fpr(a), fpr(b)}},
		{"real upstream key", arut, []string{"43387825DDB1BB97EC36BA5D007C8D7C15D87369"}},
		{"garbage", []byte("not a key at all\n"), nil},
		{"empty", nil, nil},
		{"armored private key only", private.Bytes(), nil},
		{"armored block, corrupt body", []byte(armoredPublicKeyStart + "\n\nAAAA====\n-----END PGP PUBLIC KEY BLOCK-----\n"), nil},
		{"valid block then corrupt block", append(armorPublic(t, a), []byte(armoredPublicKeyStart+"\n\n!!\n-----END PGP PUBLIC KEY BLOCK-----\n")...), nil},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, fmt.Sprintf("k%d", i), tc.content)
			el, err := ReadKeyringFile(p)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("got %d keys, want error", len(el))
				}
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range el {
				got = append(got, fpr(e))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("keys = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("missing", func(t *testing.T) {
		if _, err := ReadKeyringFile(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v, want ErrNotExist", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		p := filepath.Join(dir, "huge")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(maxKeyringFileSize + 1); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if _, err := ReadKeyringFile(p); err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("err = %v, want size error", err)
		}
	})
	t.Run("user keyring verifies", func(t *testing.T) {
		p := writeFile(t, dir, "anna.asc", armorPublic(t, a))
		keys, err := ReadKeyringFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data := []byte("payload")
		file := writeFile(t, dir, "payload", data)
		s, err := CheckSignature(context.Background(), file, sign(t, a.PrivateKey, data, created.Add(time.Hour), nil), keys)
		if err != nil || s.Fingerprint != fpr(a) {
			t.Errorf("CheckSignature = %+v, %v", s, err)
		}
	})
}

// ---------------------------------------------------------------------------
// fuzzing

// FuzzCheckSignature feeds arbitrary bytes as the signature. It must never
// panic, and go-crypto panics that CheckSignature recovers from are reported
// too, so the fuzzer still finds parser bugs. Anything it accepts must be
// attributed to the one trusted synthetic key.
func FuzzCheckSignature(f *testing.F) {
	created := time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC)
	k := newKey(f, "Fuzz", created, 0, packet.PubKeyAlgoEdDSA)
	keys := publicKeyring(f, k)
	if ossl, err := Keyring("openssl"); err == nil {
		keys = append(keys, ossl...)
	}
	data := []byte("fuzz target file\n")
	file := writeFile(f, f.TempDir(), "file", data)

	good := sign(f, k.PrivateKey, data, created.Add(time.Hour), nil)
	f.Add(good)
	f.Add(armorSig(f, good))
	f.Add(sign(f, k.PrivateKey, data, created.Add(time.Hour), func(s *packet.Signature) { s.SigType = packet.SigTypeText }))
	f.Add([]byte{})
	f.Add([]byte("-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n"))
	f.Add(armorPublic(f, k))
	if p := firstExisting("/tmp/realsrc/openssl_3.0.20.orig.tar.gz.asc",
		path.Join("..", "testdata", "e2e-mirror", "openssl", "openssl-3.0.20.tar.gz.asc")); p != "" {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}

	want := fpr(k)
	f.Fuzz(func(t *testing.T, sig []byte) {
		s, err := CheckSignature(context.Background(), file, sig, keys)
		if classify(err) == kindPanic {
			t.Fatalf("recovered panic: %v", err)
		}
		if err == nil && s.Fingerprint != want {
			t.Fatalf("accepted signature attributed to %s, want %s", s.Fingerprint, want)
		}
		if err != nil && s != (Signer{}) {
			t.Fatalf("error %v with non-empty signer %+v", err, s)
		}
	})
}
