package verify

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// PinnedKey is an upstream signing key known by the fingerprint upstream
// publishes for it. A key that is not built in is fetched when a
// signature needs it, and accepted only if its primary fingerprint is this
// one (AcceptPinnedKey): the fingerprint is the trust anchor, the place it
// is fetched from is not.
type PinnedKey struct {
	// Fingerprint is the primary key's fingerprint, 40 upper-case hex
	// digits.
	Fingerprint string
	// Name says whose key it is in messages: "OpenSSL's release key".
	Name string
	// Subkeys are the fingerprints of signing subkeys known to be bound
	// to the key. They only say which key to fetch for a signature made
	// by one; a subkey is trusted only with a valid binding signature
	// from the primary key.
	Subkeys []string
	// URLs are where upstream publishes the key, tried in order. A file
	// there may hold other keys too (OpenSSL's pubkeys.asc): only this
	// fingerprint is taken from it.
	URLs []string
}

// KeyPins are the pinned signing keys of each component.
type KeyPins map[string][]PinnedKey

// KeysOpenPGPOrg is the keys.openpgp.org lookup of a key by fingerprint,
// for keys upstream publishes only on key servers.
func KeysOpenPGPOrg(fingerprint string) string {
	return "https://keys.openpgp.org/vks/v1/by-fingerprint/" + fingerprint
}

// DefaultKeyPins returns the signing keys each upstream publishes the
// fingerprint of: the built-in keys (see keys/README.md), and the keys
// that are fetched when a release needs them. It is a new map on each
// call; callers (tests) may change it.
func DefaultKeyPins() KeyPins {
	nginxOrg := func(fpr, who, file string) PinnedKey {
		return PinnedKey{Fingerprint: fpr, Name: "nginx's release key (" + who + ")", URLs: []string{"https://nginx.org/keys/" + file + ".key"}}
	}
	server := func(fpr, name string) PinnedKey {
		return PinnedKey{Fingerprint: fpr, Name: name, URLs: []string{KeysOpenPGPOrg(fpr)}}
	}
	const (
		opensslOld = "BA5473A2B0587B07FB27CF2D216094DFD0CB81EF"
		opensslNew = "B146647E45A7B33947AB226B2A2C87D161692D40"
		// OpenSSL's source page names the bundle of its release keys.
		opensslKeys = "https://mirror.openssl-library.org/source/pubkeys.asc"
	)
	return KeyPins{
		"nginx": {
			nginxOrg("43387825DDB1BB97EC36BA5D007C8D7C15D87369", "Roman Arutyunyan", "arut"),
			nginxOrg("D6786CE303D9A9022998DC6CC8464D549AF75C0A", "Sergey Kandaurov", "pluknet"),
			nginxOrg("13C82A63B603576156E30A4EA0EA981B66B0D967", "Konstantin Pavlov", "thresh"),
			nginxOrg("7338973069ED3F443F4D37DFA64FD5B17ADB39A8", "Sergey Budnevitch", "sb"),
			// No longer on nginx.org: both signed releases up to 2024.
			server("B0F4253373F8F6F510D42178520A9993A1C052F8", "nginx's release key (Maxim Dounin)"),
			server("41DB92713D3BF4BFF3EE91069C5E7FA2F54977D4", "nginx's release key (Maxim Konovalov)"),
		},
		"freenginx": {
			server("B0F4253373F8F6F510D42178520A9993A1C052F8", "freenginx's release key (Maxim Dounin)"),
		},
		"openssl": {
			{Fingerprint: opensslOld, Name: "OpenSSL's release key", URLs: []string{opensslKeys, KeysOpenPGPOrg(opensslOld)}},
			{Fingerprint: opensslNew, Name: "OpenSSL's release key", Subkeys: []string{"C46ED3F2CBEFDA1FDAADA44264ED7B1DCCE71CB2"},
				URLs: []string{opensslKeys, KeysOpenPGPOrg(opensslNew)}},
		},
		// PCRE2's SECURITY.md publishes both fingerprints.
		"pcre2": {
			server("A95536204A3BB489715231282A98E77EB6F24CA8", "PCRE2's release key (Nicholas Wilson)"),
			server("45F68D54BBE23FB3039B46E59766E084FB0F43D8", "PCRE2's release key (Philip Hazel)"),
		},
		"zlib": {
			server("5ED46A6721D365587791E2AA783FCD8E58BCAFBA", "zlib's release key (Mark Adler)"),
		},
		"openresty": {
			server("25451EB088460026195BD62CB550E09EA0E98066", "OpenResty's release key (Yichun Zhang)"),
		},
	}
}

// Pinned returns the key pinned for component with primary fingerprint
// fpr.
func (p KeyPins) Pinned(component, fpr string) (PinnedKey, bool) {
	for _, k := range p[component] {
		if strings.EqualFold(k.Fingerprint, fpr) {
			return k, true
		}
	}
	return PinnedKey{}, false
}

// ForIssuer returns the keys pinned for component that a signature's
// issuer names, by key ID (16 hex digits) or fingerprint: the primary
// key or one of its known signing subkeys.
func (p KeyPins) ForIssuer(component, keyID, fingerprint string) []PinnedKey {
	var out []PinnedKey
	for _, k := range p[component] {
		for _, f := range append([]string{k.Fingerprint}, k.Subkeys...) {
			if issuerIs(f, keyID, fingerprint) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// issuerIs reports whether the key with fingerprint fpr is the issuer
// named by keyID and, when the signature carries it, fingerprint. A v4
// key ID is the low 64 bits of the fingerprint.
func issuerIs(fpr, keyID, fingerprint string) bool {
	if fingerprint != "" {
		return strings.EqualFold(fpr, fingerprint)
	}
	return keyID != "" && len(fpr) >= len(keyID) && strings.EqualFold(fpr[len(fpr)-len(keyID):], keyID)
}

// UnpinnedKeyError means key data (from a key server, upstream's web
// site, a mirror or the cache) does not hold the pinned key.
type UnpinnedKeyError struct {
	// Want is the pinned fingerprint.
	Want string
	// Found are the primary fingerprints the data held instead.
	Found []string
}

func (e *UnpinnedKeyError) Error() string {
	if len(e.Found) == 0 {
		return "holds no key " + e.Want
	}
	return fmt.Sprintf("holds no key %s, only %s, which is not pinned: refused", e.Want, strings.Join(e.Found, ", "))
}

// AcceptPinnedKey takes the key whose primary fingerprint is fpr out of
// data (armored or binary, possibly with other keys beside it) and returns
// it: every copy of it found, with only the subkeys its primary key bound
// with a valid signature. Anything else in data is ignored; data without
// the key is an *UnpinnedKeyError.
func AcceptPinnedKey(data []byte, fpr string) (openpgp.EntityList, error) {
	all, err := parseKeys(data)
	if err != nil {
		return nil, err
	}
	var keys openpgp.EntityList
	var others []string
	for _, e := range all {
		f := fingerprint(e)
		if !strings.EqualFold(f, fpr) {
			others = append(others, f)
			continue
		}
		if sig, _ := e.PrimarySelfSignature(); sig == nil {
			continue
		}
		keys = append(keys, boundSubkeysOnly(e))
	}
	if len(keys) == 0 {
		return nil, &UnpinnedKeyError{Want: strings.ToUpper(fpr), Found: others}
	}
	return keys, nil
}

// boundSubkeysOnly drops the subkeys of e whose binding signature does not
// verify under e's primary key. go-crypto checks bindings while parsing,
// but whether a fetched subkey may sign for a pinned key is the whole
// point here, so it is checked again rather than assumed.
func boundSubkeysOnly(e *openpgp.Entity) *openpgp.Entity {
	c := *e
	c.Subkeys = nil
	for _, s := range e.Subkeys {
		if s.Sig != nil && e.PrimaryKey.VerifyKeySignature(s.PublicKey, s.Sig) == nil {
			c.Subkeys = append(c.Subkeys, s)
		}
	}
	return &c
}

// ArmorKeys writes keys as one ASCII-armored public key block, the form
// in which keys are cached and carried by mirrors.
func ArmorKeys(keys openpgp.EntityList) ([]byte, error) {
	if len(keys) == 0 {
		return nil, errors.New("verify: no keys to write")
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, armorPublicKey, nil)
	if err != nil {
		return nil, err
	}
	for _, e := range keys {
		if err := e.Serialize(w); err != nil {
			return nil, fmt.Errorf("verify: writing key %s: %w", fingerprint(e), err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// Fingerprint is e's primary fingerprint in upper-case hex.
func Fingerprint(e *openpgp.Entity) string { return fingerprint(e) }

// WithFingerprint returns the keys in keys whose primary fingerprint is
// fpr.
func WithFingerprint(keys openpgp.EntityList, fpr string) openpgp.EntityList {
	var out openpgp.EntityList
	for _, e := range keys {
		if strings.EqualFold(fingerprint(e), fpr) {
			out = append(out, e)
		}
	}
	return out
}
