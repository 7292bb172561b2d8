package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/netfail"
	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
)

// maxKeyFileSize bounds a downloaded key file. Upstream bundles of
// release keys are tens of KiB; a bigger answer is not a key file.
const maxKeyFileSize = 4 << 20

// PinnedKeys gets the signing keys pinned for components (Pins) when a
// signature needs one that is not at hand: from the cache, else from a
// mirror tree's keys/<component>/<FINGERPRINT>.asc, else from where
// upstream publishes it. Wherever it comes from, a key is accepted only
// under its pin (verify.AcceptPinnedKey): a mirror or a key server is
// trusted no more than upstream's web site. What was fetched is cached
// under CacheDir/keys/<component>/<FINGERPRINT>.asc and announced once.
//
// One value serves one run, shared by the concurrent downloads: it
// remembers each key it got, or failed to get, and asks for it once.
type PinnedKeys struct {
	Pins     verify.KeyPins
	CacheDir string
	// Mirrors are the run's mirrors; the trees among them may carry keys.
	Mirrors []source.Mirror
	HTTP    *http.Client
	IO      *iostreams.IO

	mu  sync.Mutex
	got map[string]*keyCall
}

// keyCall is one key being got, or got: done is closed when keys and err
// are set.
type keyCall struct {
	done chan struct{}
	keys openpgp.EntityList
	err  error
}

// KeyUnavailableError means a pinned key could be had from nowhere: it is
// not cached, no mirror carries it, and fetching it from upstream failed
// or brought something else. Tried holds one error per place asked, the
// network failures among them (so the command can say "no network?").
type KeyUnavailableError struct {
	Component string
	Key       verify.PinnedKey
	Tried     []error
}

func (e *KeyUnavailableError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Key.Name, e.Key.Fingerprint, joinErrors(e.Tried))
}

func (e *KeyUnavailableError) Unwrap() []error { return e.Tried }

// For returns the keys pinned for component (none when k is nil).
func (k *PinnedKeys) For(component string) []verify.PinnedKey {
	if k == nil {
		return nil
	}
	return k.Pins[component]
}

// missing returns the keys pinned for component that a signature by the
// unknown issuer may need and that have is without: the pinned keys the
// issuer names (as primary key or known subkey), or, when it names none,
// every pinned key, since the issuer may be a subkey nobody listed.
func (k *PinnedKeys) missing(component string, issuer *verify.UnknownSignerError, have openpgp.EntityList) []verify.PinnedKey {
	candidates := k.Pins.ForIssuer(component, issuer.IssuerKeyID, issuer.IssuerFingerprint)
	if len(candidates) == 0 {
		candidates = k.For(component)
	}
	var out []verify.PinnedKey
	for _, pk := range candidates {
		if len(verify.WithFingerprint(have, pk.Fingerprint)) == 0 {
			out = append(out, pk)
		}
	}
	return out
}

// Get returns the pinned key pk of component, from wherever it can be had
// (see PinnedKeys), or a *KeyUnavailableError. Concurrent and later calls
// for the same key share the first call's answer.
func (k *PinnedKeys) Get(ctx context.Context, component string, pk verify.PinnedKey) (openpgp.EntityList, error) {
	id := component + " " + strings.ToUpper(pk.Fingerprint)
	k.mu.Lock()
	if k.got == nil {
		k.got = map[string]*keyCall{}
	}
	c, asked := k.got[id]
	if !asked {
		c = &keyCall{done: make(chan struct{})}
		k.got[id] = c
	}
	k.mu.Unlock()
	if !asked {
		c.keys, c.err = k.get(ctx, component, pk)
		close(c.done)
		return c.keys, c.err
	}
	select {
	case <-c.done:
		return c.keys, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// get tries the cache, the mirrors and upstream in turn.
func (k *PinnedKeys) get(ctx context.Context, component string, pk verify.PinnedKey) (openpgp.EntityList, error) {
	if keys, ok := k.cached(component, pk); ok {
		return keys, nil
	}
	var tried []error
	for _, m := range k.Mirrors {
		if !m.IsFileTree() {
			continue
		}
		rel := source.KeyPath(component, pk.Fingerprint)
		data, err := m.ReadFile(ctx, k.HTTP, rel)
		if errors.Is(err, fs.ErrNotExist) {
			err = errors.New("no " + rel + " there")
		}
		keys, err := k.accept(component, pk, data, err, "mirror "+m.String())
		if err == nil {
			return keys, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tried = append(tried, err)
	}
	for _, u := range pk.URLs {
		data, err := k.download(ctx, u)
		keys, err := k.accept(component, pk, data, err, u)
		if err == nil {
			return keys, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tried = append(tried, err)
	}
	return nil, &KeyUnavailableError{Component: component, Key: pk, Tried: tried}
}

// accept takes pk out of data read from where (or the error reading it),
// caches it and says where it came from.
func (k *PinnedKeys) accept(component string, pk verify.PinnedKey, data []byte, readErr error, where string) (openpgp.EntityList, error) {
	if readErr != nil {
		if netfail.Find(readErr) != nil {
			return nil, readErr // names the URL itself
		}
		return nil, fmt.Errorf("%s: %w", where, readErr)
	}
	keys, err := verify.AcceptPinnedKey(data, pk.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	k.store(component, pk, keys)
	k.infof("fetched %s %s from %s", pk.Name, pk.Fingerprint, where)
	return keys, nil
}

// cachePath is where a fetched key is kept.
func (k *PinnedKeys) cachePath(component, fpr string) string {
	return filepath.Join(k.CacheDir, "keys", component, strings.ToUpper(fpr)+".asc")
}

// cached is the key from an earlier run. A cached file that no longer
// holds the pinned key (damaged, or edited) is removed, to be fetched
// again.
func (k *PinnedKeys) cached(component string, pk verify.PinnedKey) (openpgp.EntityList, bool) {
	if k.CacheDir == "" {
		return nil, false
	}
	p := k.cachePath(component, pk.Fingerprint)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	keys, err := verify.AcceptPinnedKey(data, pk.Fingerprint)
	if err != nil {
		k.warnf("cached key %s is unusable (%v): fetching it again", p, err)
		os.Remove(p)
		return nil, false
	}
	k.debugf("%s %s from the cache (%s)", pk.Name, pk.Fingerprint, p)
	return keys, true
}

// store caches an accepted key. A cache that cannot be written costs a
// fetch next time, not this run.
func (k *PinnedKeys) store(component string, pk verify.PinnedKey, keys openpgp.EntityList) {
	if k.CacheDir == "" {
		return
	}
	p := k.cachePath(component, pk.Fingerprint)
	data, err := verify.ArmorKeys(keys)
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			err = atomicfile.Write(p, data, 0o644)
		}
	}
	if err != nil {
		k.warnf("could not cache %s %s at %s: %v", pk.Name, pk.Fingerprint, p, err)
	}
}

// download GETs a key file through the run's HTTP client (with its
// retries), bounded in size.
func (k *PinnedKeys) download(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.HTTP.Do(req)
	if off := netfail.Classify(u, err); off != nil {
		return nil, off
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxKeyFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("more than %d bytes: not a key file", maxKeyFileSize)
	}
	return data, nil
}

func (k *PinnedKeys) infof(format string, args ...any) {
	if k.IO != nil {
		k.IO.Infof(format, args...)
	}
}

func (k *PinnedKeys) warnf(format string, args ...any) {
	if k.IO != nil {
		k.IO.Warnf(format, args...)
	}
}

func (k *PinnedKeys) debugf(format string, args ...any) {
	if k.IO != nil {
		k.IO.Debugf(format, args...)
	}
}
