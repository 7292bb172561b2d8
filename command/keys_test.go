package command

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nginx-build/nginx-build/mirrorindex"
	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
)

// keyServer is a loopback stand-in for keys.openpgp.org: it serves key
// files by path and counts the requests.
type keyServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string]string // path → key file
	hits  int
}

func newKeyServer(t *testing.T) *keyServer {
	t.Helper()
	ks := &keyServer{files: map[string]string{}}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.mu.Lock()
		ks.hits++
		file, ok := ks.files[r.URL.Path]
		ks.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, file)
	}))
	t.Cleanup(ks.Close)
	return ks
}

// publish serves k's public key at its by-fingerprint address and pins it
// for component there, as the real table pins upstream's keys.
func (ks *keyServer) publish(t *testing.T, component string, k testKey) string {
	t.Helper()
	path := "/vks/v1/by-fingerprint/" + k.fingerprint()
	ks.mu.Lock()
	ks.files[path] = k.keyring
	ks.mu.Unlock()
	setKeyPins(t, verify.KeyPins{component: {{Fingerprint: k.fingerprint(), Name: component + "'s release key", URLs: []string{ks.URL + path}}}})
	return ks.URL + path
}

func (ks *keyServer) requests() int {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.hits
}

// A component nginx-build has no key for, but whose signing key is
// pinned: the key is fetched when the signature needs it, cached, and
// used; without it (offline) the build stops and says how to bring it.
func TestPinnedKeyFetchedForBuild(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mark := newTestKey(t, "Mark")
	mark.sign(t, f, "zlib", "zlib-1.2.13.tar.xz")
	ks := newKeyServer(t)
	url := ks.publish(t, "zlib", mark)
	zlib := []string{"-zlib", "-zlibversion", "1.2.13"}

	// A dry run downloads nothing, keys included, and says what it will check.
	r := run(t, f.args(append(zlib, "--dry-run")...)...)
	if r.code != 0 || ks.requests() != 0 {
		t.Fatalf("dry run: exit %d, %d key requests\n%s%s", r.code, ks.requests(), r.out, r.err)
	}
	mustContain(t, "dry run", r.out, "zlib-1.2.13.tar.xz.asc by a key pinned for zlib, fetched if needed")

	r = run(t, f.args(zlib...)...)
	if r.code != 0 {
		t.Fatalf("build: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "build", r.err, "fetched zlib's release key "+mark.fingerprint()+" from "+url,
		"verified zlib 1.2.13: OpenPGP signature by Mark <mark@example.test> ("+mark.fingerprint()+")")
	cached := filepath.Join(f.cache, "keys", "zlib", mark.fingerprint()+".asc")
	if _, err := os.Stat(cached); err != nil {
		t.Fatalf("key not cached: %v", err)
	}

	// The key server is gone: the cached key does the job.
	ks.Close()
	r = run(t, f.args(append(zlib, "-clear")...)...)
	if r.code != 0 || strings.Contains(r.err, "fetched zlib's release key") || !strings.Contains(r.err, "verified zlib 1.2.13: OpenPGP signature by Mark") {
		t.Fatalf("build with the cached key: exit %d\n%s", r.code, r.err)
	}

	// Offline with a fresh cache: an error naming the key, where it is
	// published and --keyring, with the offline hint; not a warning.
	r = run(t, f.args(append(zlib, "-clear", "--cache-dir", t.TempDir())...)...)
	if r.code != 1 {
		t.Fatalf("offline: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "offline", r.err, "is signed by zlib's release key "+mark.fingerprint()+", which nginx-build pins for zlib but could not get: ",
		"mirror "+f.m.URL+"/: GET "+f.m.URL+"/keys/zlib/"+mark.fingerprint()+".asc: 404 Not Found; cannot reach "+url,
		"upstream publishes it at "+url+": download it and pass it with --keyring zlib=FILE", "hint: no network?")
	// ... which is what the user then does.
	r = run(t, f.args(append(zlib, "-clear", "--cache-dir", t.TempDir(), "--keyring", "zlib="+mark.keyring)...)...)
	if r.code != 0 || !strings.Contains(r.err, "verified zlib 1.2.13: OpenPGP signature by Mark") {
		t.Errorf("offline with --keyring: exit %d\n%s", r.code, r.err)
	}

	// `cache clean` forgets fetched keys too: the next run fetches afresh.
	if r := run(t, "cache", "clean"); r.code != 0 {
		t.Fatalf("cache clean: exit %d\n%s", r.code, r.err)
	}
	if _, err := os.Stat(cached); err == nil {
		t.Errorf("cache clean kept %s", cached)
	}
}

// A key served at the pinned key's address that is not the pinned key is
// refused: the build stops before anything is extracted.
func TestUnpinnedKeyServedIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mark, mallory := newTestKey(t, "Mark"), newTestKey(t, "Mallory")
	mallory.sign(t, f, "zlib", "zlib-1.2.13.tar.xz")
	ks := newKeyServer(t)
	url := ks.publish(t, "zlib", mark)
	ks.mu.Lock()
	ks.files["/vks/v1/by-fingerprint/"+mark.fingerprint()] = mallory.keyring
	ks.mu.Unlock()

	r := run(t, f.args("-zlib", "-zlibversion", "1.2.13")...)
	if r.code != 1 || strings.Contains(r.err, "verified zlib") {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "refused", r.err, url+": holds no key "+mark.fingerprint()+", only "+mallory.fingerprint()+", which is not pinned: refused", "--keyring zlib=FILE")
	if _, err := os.Stat(filepath.Join(f.cache, "keys", "zlib")); err == nil {
		t.Errorf("a refused key was cached")
	}
	if _, err := os.Stat(filepath.Join(f.work, "nginx", "1.30.1", "zlib-1.2.13")); err == nil {
		t.Errorf("zlib was extracted")
	}
}

// `nginx-build mirror` carries the pinned keys it used (listed in
// index.json), and a build from the mirror alone, with upstream and the
// key server gone and a fresh cache, verifies with them. A key in the
// mirror that is not pinned is refused: a mirror is trusted no more than
// upstream.
func TestMirrorCarriesPinnedKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mark, mallory := newTestKey(t, "Mark"), newTestKey(t, "Mallory")
	mark.sign(t, f, "zlib", "zlib-1.2.13.tar.xz")
	ks := newKeyServer(t)
	ks.publish(t, "zlib", mark)
	out := filepath.Join(t.TempDir(), "airgap")
	flags := []string{"-v", "1.30.1", "-zlib", "-zlibversion", "1.2.13"}

	r := run(t, append([]string{"mirror", out, "--mirror", f.m.URL}, flags...)...)
	if r.code != 0 {
		t.Fatalf("mirror: exit %d\n%s", r.code, r.err)
	}
	rel := source.KeyPath("zlib", mark.fingerprint())
	carried, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("the mirror does not carry the key: %v\n%s", err, r.err)
	}
	if keys, err := verify.AcceptPinnedKey(carried, mark.fingerprint()); err != nil || len(keys) != 1 {
		t.Errorf("carried key: %v", err)
	}
	var idx mirrorindex.Index
	b, _ := os.ReadFile(filepath.Join(out, "index.json"))
	if err := json.Unmarshal(b, &idx); err != nil || len(idx.Keys) != 1 || idx.Keys[0].Path != rel ||
		idx.Keys[0].Component != "zlib" || idx.Keys[0].Fingerprint != mark.fingerprint() || len(idx.Keys[0].SHA256) != 64 {
		t.Errorf("index.json: %s", b)
	}

	// Air-gapped: no upstream, no key server, a fresh cache.
	ks.Close()
	f.m.Close()
	r = run(t, append([]string{"-d", f.work, "--mirror", out, "--cache-dir", t.TempDir()}, flags...)...)
	if r.code != 0 {
		t.Fatalf("build from the mirror: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "build from the mirror", r.err, "fetched zlib's release key "+mark.fingerprint()+" from mirror "+out,
		"verified zlib 1.2.13: sha256 published at file://"+out, "OpenPGP signature by Mark")

	// Someone swaps the mirror's key for theirs.
	data, _ := os.ReadFile(mallory.keyring)
	os.WriteFile(filepath.Join(out, filepath.FromSlash(rel)), data, 0o644)
	r = run(t, append([]string{"-d", f.work, "--mirror", out, "--cache-dir", t.TempDir(), "-clear"}, flags...)...)
	if r.code != 1 || strings.Contains(r.err, "verified zlib") {
		t.Fatalf("build with a swapped key: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "swapped key", r.err, "mirror "+out+": holds no key "+mark.fingerprint()+", only "+mallory.fingerprint()+", which is not pinned: refused")
}

// The real program pins the keys upstream publishes: a dry run with them
// (which fetches nothing) plans to check PCRE2's and zlib's signatures.
func TestDefaultKeyPinsInPlan(t *testing.T) {
	t.Parallel()
	setKeyPins(t, nil) // the Factory's default: verify.DefaultKeyPins
	r := run(t, "--dry-run", "-d", t.TempDir(), "-v", "1.30.1", "-pcre", "-pcreversion", "10.47", "-zlib", "-zlibversion", "1.3.2")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "plan", r.out, "pcre2-10.47.tar.gz.sig (if published) by a key pinned for pcre2, fetched if needed",
		"zlib-1.3.2.tar.gz.asc (if published) by a key pinned for zlib, fetched if needed")
}
