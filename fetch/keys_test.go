package fetch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/nginx-build/nginx-build/internal/netfail"
	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
)

// newPGPKey is a throwaway Ed25519 key, with a signing subkey when
// subkey is set (signatures are then made by the subkey).
func newPGPKey(t *testing.T, name string, subkey bool) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", strings.ToLower(name)+"@example.test", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	if subkey {
		if err := e.AddSigningSubkey(nil); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// publicKey is e's armored public key, as a key server serves it.
func publicKey(t *testing.T, e *openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return buf.Bytes()
}

func detachSign(t *testing.T, e *openpgp.Entity, data []byte) []byte {
	t.Helper()
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, e, bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	return sig.Bytes()
}

func fprOf(e *openpgp.Entity) string { return verify.Fingerprint(e) }

// keyTest is an upstream serving zlib tarballs signed by signer, and a key
// server on its own loopback address that serves whatever a test puts at
// keyPath(fpr).
type keyTest struct {
	upstream, keys *server
	fetcher        *Fetcher
	out            *syncBuffer
}

func keyPath(fpr string) string { return "/vks/v1/by-fingerprint/" + fpr }

func newKeyTest(t *testing.T) *keyTest {
	t.Helper()
	kt := &keyTest{upstream: newServer(t, map[string][]byte{}), keys: newServer(t, map[string][]byte{})}
	kt.fetcher, kt.out = newFetcher(t)
	kt.fetcher.HTTP = Network{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}.Client()
	return kt
}

// pin makes the fetcher trust keys pinned for zlib, each fetched from the
// key server.
func (kt *keyTest) pin(keys ...*openpgp.Entity) {
	pins := verify.KeyPins{}
	for _, e := range keys {
		pins["zlib"] = append(pins["zlib"], verify.PinnedKey{Fingerprint: fprOf(e), Name: "zlib's release key", URLs: []string{kt.keys.URL + keyPath(fprOf(e))}})
	}
	kt.fetcher.Trust = Trust{Policy: PolicyAuto, IO: kt.fetcher.IO,
		Pinned: &PinnedKeys{Pins: pins, CacheDir: kt.fetcher.CacheDir, HTTP: kt.fetcher.HTTP, IO: kt.fetcher.IO}}
}

// release publishes zlib-VERSION.tar.gz signed by e and returns it.
func (kt *keyTest) release(t *testing.T, version string, e *openpgp.Entity) source.Artifact {
	t.Helper()
	name := "zlib-" + version + ".tar.gz"
	body := tarball(name)
	kt.upstream.set("/"+name, body)
	kt.upstream.set("/"+name+".asc", detachSign(t, e, body))
	a := art("zlib", version, kt.upstream.URL+"/"+name)
	a.SignatureURL, a.SidecarsOptional = a.URLs[0]+".asc", true
	return a
}

func (kt *keyTest) cachedKey(fpr string) string {
	return filepath.Join(kt.fetcher.CacheDir, "keys", "zlib", fpr+".asc")
}

func TestPinnedKeyIsFetchedCachedAndUsed(t *testing.T) {
	t.Parallel()
	kt := newKeyTest(t)
	mark := newPGPKey(t, "Mark", false)
	kt.pin(mark)
	kt.keys.set(keyPath(fprOf(mark)), publicKey(t, mark))
	// Two releases at once: the key is fetched once, for both.
	arts := []source.Artifact{kt.release(t, "1.3.2", mark), kt.release(t, "1.3.1", mark)}

	res, err := kt.fetcher.FetchAll(context.Background(), arts)
	if err != nil {
		t.Fatalf("FetchAll: %v\n%s", err, kt.out)
	}
	for _, r := range res {
		if s := r.Verification.Signer; s == nil || s.Fingerprint != fprOf(mark) || len(r.Verification.SignerKey) == 0 {
			t.Errorf("%s: verification %+v", r.Artifact.FileName, r.Verification)
		}
	}
	fetched := "fetched zlib's release key " + fprOf(mark) + " from " + kt.keys.URL + keyPath(fprOf(mark))
	if n := strings.Count(kt.out.String(), fetched); n != 1 || kt.keys.count(keyPath(fprOf(mark))) != 1 {
		t.Errorf("said %d times and asked %d times for the key, want once:\n%s", n, kt.keys.count(keyPath(fprOf(mark))), kt.out)
	}
	data, err := os.ReadFile(kt.cachedKey(fprOf(mark)))
	if err != nil {
		t.Fatalf("key not cached: %v", err)
	}
	if keys, err := verify.AcceptPinnedKey(data, fprOf(mark)); err != nil || len(keys) != 1 {
		t.Errorf("cached key: %d keys, %v", len(keys), err)
	}

	// A later run, with the key server gone: the cached key verifies.
	kt.keys.Close()
	kt.out.buf.Reset()
	kt.pin(mark)
	res, err = kt.fetcher.FetchAll(context.Background(), arts[:1])
	if err != nil {
		t.Fatalf("FetchAll from the cache: %v\n%s", err, kt.out)
	}
	if s := res[0].Verification.Signer; s == nil || s.Fingerprint != fprOf(mark) || strings.Contains(kt.out.String(), "fetched zlib's release key") {
		t.Errorf("second run: %+v\n%s", res[0].Verification, kt.out)
	}
}

// A signature by a signing subkey nobody listed in the pin table: the
// pinned key is fetched to find out, and the subkey, validly bound to
// it, signs for it. A pinned key that cannot be had does not matter once
// the signer is found.
func TestPinnedKeyUnlistedSubkey(t *testing.T) {
	t.Parallel()
	kt := newKeyTest(t)
	withSub, gone := newPGPKey(t, "Sub", true), newPGPKey(t, "Gone", false)
	kt.pin(gone, withSub)
	kt.keys.set(keyPath(fprOf(withSub)), publicKey(t, withSub))
	res, err := kt.fetcher.FetchAll(context.Background(), []source.Artifact{kt.release(t, "1.3.2", withSub)})
	if err != nil {
		t.Fatalf("FetchAll: %v\n%s", err, kt.out)
	}
	if s := res[0].Verification.Signer; s == nil || s.Fingerprint != fprOf(withSub) {
		t.Errorf("signer %+v", s)
	}
}

// Nothing but a pinned key is ever trusted this way, and a signature that
// needs a pinned key that cannot be had is an error, not a warning.
func TestPinnedKeyRefused(t *testing.T) {
	t.Parallel()
	mark, mallory := newPGPKey(t, "Mark", false), newPGPKey(t, "Mallory", false)
	// Mark's primary key and user ID with Mallory's signing subkey, bound
	// by Mallory, not by Mark.
	thief := newPGPKey(t, "Thief", true)
	franken := &openpgp.Entity{PrimaryKey: mark.PrimaryKey, Identities: mark.Identities, Subkeys: thief.Subkeys}

	for _, tt := range []struct {
		name   string
		served *openpgp.Entity // at Mark's key URL; nil: 404
		signer *openpgp.Entity
		want   []string
	}{
		{"an unpinned key served at the key URL", mallory, mark, []string{
			"is signed by zlib's release key " + fprOf(mark) + ", which nginx-build pins for zlib but could not get: ",
			"holds no key " + fprOf(mark) + ", only " + fprOf(mallory) + ", which is not pinned: refused",
			"; upstream publishes it at "}},
		{"signed by the unpinned key served there", mallory, mallory, []string{
			"is signed by key " + fprOf(mallory) + ", which may be a key nginx-build pins for zlib, but these could not be had to check: ",
			"holds no key " + fprOf(mark), "; upstream publishes " + fprOf(mark) + " at "}},
		{"a subkey without a valid binding", franken, thief, []string{
			"subkey signature invalid"}},
		{"the key is not published", nil, mark, []string{
			"404 Not Found"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kt := newKeyTest(t)
			kt.pin(mark)
			url := kt.keys.URL + keyPath(fprOf(mark))
			if tt.served != nil {
				kt.keys.set(keyPath(fprOf(mark)), publicKey(t, tt.served))
			}
			_, err := kt.fetcher.FetchAll(context.Background(), []source.Artifact{kt.release(t, "1.3.2", tt.signer)})
			if err == nil {
				t.Fatalf("verified:\n%s", kt.out)
			}
			for _, want := range append(tt.want, "zlib's release key "+fprOf(mark), url, "pass it with --keyring zlib=FILE") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
			if _, err := os.Stat(kt.cachedKey(fprOf(mark))); err == nil {
				t.Errorf("the refused key was cached")
			}
			for _, f := range cacheFiles(t, kt.fetcher.CacheDir) {
				if strings.HasSuffix(f, ".tar.gz") || strings.HasSuffix(f, ".verified") {
					t.Errorf("cache keeps %s", f)
				}
			}
		})
	}

	// The pinned key itself is fetched, but someone else signed: not
	// trusted, as for a built-in key.
	kt := newKeyTest(t)
	kt.pin(mark)
	kt.keys.set(keyPath(fprOf(mark)), publicKey(t, mark))
	_, err := kt.fetcher.FetchAll(context.Background(), []source.Artifact{kt.release(t, "1.3.2", mallory)})
	if err == nil || !strings.Contains(err.Error(), "is signed by key "+fprOf(mallory)+", which nginx-build does not trust for zlib") {
		t.Errorf("signed by an unpinned key: %v", err)
	}
}

// Offline: the error names the key, where upstream publishes it and
// --keyring, and unwraps to the network failure (for the command's
// "no network?" hint).
func TestPinnedKeyOffline(t *testing.T) {
	t.Parallel()
	kt := newKeyTest(t)
	mark := newPGPKey(t, "Mark", false)
	kt.pin(mark)
	kt.keys.Close()
	url := kt.keys.URL + keyPath(fprOf(mark))
	_, err := kt.fetcher.FetchAll(context.Background(), []source.Artifact{kt.release(t, "1.3.2", mark)})
	if err == nil || netfail.Find(err) == nil {
		t.Fatalf("error %v is not a network failure", err)
	}
	var unavailable *KeyUnavailableError
	if !errors.As(err, &unavailable) || unavailable.Key.Fingerprint != fprOf(mark) {
		t.Errorf("no KeyUnavailableError in %v", err)
	}
	for _, want := range []string{"verify zlib 1.3.2: zlib-1.3.2.tar.gz", "is signed by zlib's release key " + fprOf(mark) + ", which nginx-build pins for zlib but could not get: ",
		"cannot reach " + url, "upstream publishes it at " + url + ": download it and pass it with --keyring zlib=FILE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

// A mirror tree carries keys at keys/<component>/<FINGERPRINT>.asc; they
// are taken from there first, under the same pin.
func TestPinnedKeyFromMirror(t *testing.T) {
	t.Parallel()
	mark, mallory := newPGPKey(t, "Mark", false), newPGPKey(t, "Mallory", false)
	for _, tt := range []struct {
		name    string
		carried *openpgp.Entity // in the mirror at Mark's path
		served  bool            // Mark's key at the key URL
		from    string          // "mirror", "upstream" or "" (refused)
	}{
		{"the mirror's copy", mark, false, "mirror"},
		{"an unpinned key in the mirror, upstream's copy", mallory, true, "upstream"},
		{"an unpinned key in the mirror, no upstream", mallory, false, ""},
		{"nothing in the mirror", nil, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kt := newKeyTest(t)
			kt.pin(mark)
			dir := t.TempDir()
			if tt.carried != nil {
				p := filepath.Join(dir, filepath.FromSlash(source.KeyPath("zlib", fprOf(mark))))
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, publicKey(t, tt.carried), 0o644)
			}
			m, err := source.ParseMirror(dir)
			if err != nil {
				t.Fatal(err)
			}
			kt.fetcher.Trust.Pinned.Mirrors = []source.Mirror{{}, m} // upstream first: it carries no keys
			if tt.served {
				kt.keys.set(keyPath(fprOf(mark)), publicKey(t, mark))
			}
			res, err := kt.fetcher.FetchAll(context.Background(), []source.Artifact{kt.release(t, "1.3.2", mark)})
			switch tt.from {
			case "":
				if err == nil || !strings.Contains(err.Error(), "mirror "+dir+": ") {
					t.Errorf("error does not say what the mirror had: %v", err)
				}
				return
			case "mirror":
				mustSay(t, kt.out.String(), "fetched zlib's release key "+fprOf(mark)+" from mirror "+dir)
			case "upstream":
				mustSay(t, kt.out.String(), "fetched zlib's release key "+fprOf(mark)+" from "+kt.keys.URL)
			}
			if err != nil || res[0].Verification.Signer == nil {
				t.Fatalf("FetchAll: %v\n%s", err, kt.out)
			}
			if got := kt.keys.total(); (got > 0) != (tt.from == "upstream") {
				t.Errorf("%d requests to the key server", got)
			}
		})
	}
}

func mustSay(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("output does not say %q:\n%s", want, out)
	}
}

// Concurrent askers for one key share one fetch, and a context that ends
// while waiting ends the wait.
func TestPinnedKeysGetOnce(t *testing.T) {
	t.Parallel()
	kt := newKeyTest(t)
	mark := newPGPKey(t, "Mark", false)
	kt.pin(mark)
	release := make(chan struct{})
	kt.keys.hook = func(w http.ResponseWriter, r *http.Request) bool {
		<-release
		return false
	}
	kt.keys.set(keyPath(fprOf(mark)), publicKey(t, mark))
	k := kt.fetcher.Trust.Pinned
	pk := k.Pins["zlib"][0]
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := k.Get(context.Background(), "zlib", pk)
			errs <- err
		}()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	time.Sleep(20 * time.Millisecond) // the first asker is at the server
	if _, err := k.Get(ctx, "zlib", pk); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
	close(release)
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := kt.keys.count(keyPath(fprOf(mark))); n != 1 {
		t.Errorf("the key was asked for %d times", n)
	}
	if n := strings.Count(kt.out.String(), "fetched zlib's release key"); n != 1 {
		t.Errorf("announced %d times:\n%s", n, kt.out)
	}
}

// A damaged cached key is dropped and fetched again.
func TestPinnedKeyDamagedCache(t *testing.T) {
	t.Parallel()
	kt := newKeyTest(t)
	mark := newPGPKey(t, "Mark", false)
	kt.pin(mark)
	kt.keys.set(keyPath(fprOf(mark)), publicKey(t, mark))
	p := kt.cachedKey(fprOf(mark))
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, publicKey(t, newPGPKey(t, "Mallory", false)), 0o644)
	if _, err := kt.fetcher.FetchAll(context.Background(), []source.Artifact{kt.release(t, "1.3.2", mark)}); err != nil {
		t.Fatalf("FetchAll: %v\n%s", err, kt.out)
	}
	mustSay(t, kt.out.String(), "cached key "+p+" is unusable")
	mustSay(t, kt.out.String(), "fetched zlib's release key "+fprOf(mark))
	if data, _ := os.ReadFile(p); !bytes.Contains(data, []byte("PGP PUBLIC KEY")) {
		t.Errorf("cache not replaced")
	}
	if _, err := verify.AcceptPinnedKey(mustRead(t, p), fprOf(mark)); err != nil {
		t.Errorf("cache holds %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
