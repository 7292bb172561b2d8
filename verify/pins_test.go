package verify

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The production table: well formed, holding what upstream publishes, and
// every built-in key pinned for its component (a mirror carries only
// pinned keys, and builds from it accept nothing else).
func TestDefaultKeyPins(t *testing.T) {
	t.Parallel()
	pins := DefaultKeyPins()
	hex40 := regexp.MustCompile(`^[0-9A-F]{40}$`)
	for comp, keys := range pins {
		if !validComponent(comp) || len(keys) == 0 {
			t.Errorf("component %q: %d keys", comp, len(keys))
		}
		for _, k := range keys {
			if !hex40.MatchString(k.Fingerprint) || k.Name == "" || len(k.URLs) == 0 {
				t.Errorf("%s: pin %+v", comp, k)
			}
			for _, s := range k.Subkeys {
				if !hex40.MatchString(s) {
					t.Errorf("%s: subkey %q", comp, s)
				}
			}
			for _, u := range k.URLs {
				if !strings.HasPrefix(u, "https://") {
					t.Errorf("%s: key URL %q is not https", comp, u)
				}
			}
		}
	}
	for _, want := range []struct{ comp, fpr, url string }{
		{"openssl", "B146647E45A7B33947AB226B2A2C87D161692D40", "https://mirror.openssl-library.org/source/pubkeys.asc"},
		{"openssl", "BA5473A2B0587B07FB27CF2D216094DFD0CB81EF", "https://mirror.openssl-library.org/source/pubkeys.asc"},
		{"pcre2", "A95536204A3BB489715231282A98E77EB6F24CA8", "https://keys.openpgp.org/vks/v1/by-fingerprint/A95536204A3BB489715231282A98E77EB6F24CA8"},
		{"pcre2", "45F68D54BBE23FB3039B46E59766E084FB0F43D8", "https://keys.openpgp.org/vks/v1/by-fingerprint/45F68D54BBE23FB3039B46E59766E084FB0F43D8"},
		{"zlib", "5ED46A6721D365587791E2AA783FCD8E58BCAFBA", "https://keys.openpgp.org/vks/v1/by-fingerprint/5ED46A6721D365587791E2AA783FCD8E58BCAFBA"},
		{"openresty", "25451EB088460026195BD62CB550E09EA0E98066", "https://keys.openpgp.org/vks/v1/by-fingerprint/25451EB088460026195BD62CB550E09EA0E98066"},
	} {
		k, ok := pins.Pinned(want.comp, want.fpr)
		if !ok || !contains(k.URLs, want.url) {
			t.Errorf("%s %s: pinned %v, %+v", want.comp, want.fpr, ok, k)
		}
	}
	if got := pins.ForIssuer("openssl", "64ED7B1DCCE71CB2", ""); len(got) != 1 || got[0].Fingerprint != "B146647E45A7B33947AB226B2A2C87D161692D40" {
		t.Errorf("OpenSSL's signing subkey does not name its primary key: %+v", got)
	}
	for _, comp := range []string{"nginx", "freenginx", "openssl"} {
		keys, err := Keyring(comp)
		if err != nil || len(keys) == 0 {
			t.Fatalf("Keyring(%s) = %d keys, %v", comp, len(keys), err)
		}
		for _, e := range keys {
			if _, ok := pins.Pinned(comp, fpr(e)); !ok {
				t.Errorf("built-in %s key %s (%s) is not pinned", comp, fpr(e), owner(e))
			}
		}
	}
	// A new map each time: a test changing its copy changes no other.
	pins["zlib"] = nil
	if len(DefaultKeyPins()["zlib"]) == 0 {
		t.Errorf("DefaultKeyPins shares its map")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestForIssuer(t *testing.T) {
	t.Parallel()
	const (
		primary = "5ED46A6721D365587791E2AA783FCD8E58BCAFBA"
		sub     = "C46ED3F2CBEFDA1FDAADA44264ED7B1DCCE71CB2"
	)
	pins := KeyPins{
		"zlib":    {{Fingerprint: primary, Name: "zlib's key", Subkeys: []string{sub}}},
		"openssl": {{Fingerprint: "B146647E45A7B33947AB226B2A2C87D161692D40", Name: "other"}},
	}
	for _, tt := range []struct {
		name, comp, keyID, fpr string
		want                   bool
	}{
		{"primary fingerprint", "zlib", "783FCD8E58BCAFBA", primary, true},
		{"primary key ID only", "zlib", "783FCD8E58BCAFBA", "", true},
		{"key ID in lower case", "zlib", "783fcd8e58bcafba", "", true},
		{"subkey fingerprint", "zlib", "64ED7B1DCCE71CB2", sub, true},
		{"subkey key ID only", "zlib", "64ED7B1DCCE71CB2", "", true},
		{"another key", "zlib", "0123456789ABCDEF", "", false},
		// A fingerprint decides over a key ID that happens to match.
		{"colliding key ID, other fingerprint", "zlib", "783FCD8E58BCAFBA", "00000000000000000000000000000000783FCD8E", false},
		{"pinned for another component", "openssl", "783FCD8E58BCAFBA", primary, false},
		{"component without pins", "pcre2", "783FCD8E58BCAFBA", primary, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := pins.ForIssuer(tt.comp, tt.keyID, tt.fpr)
			if (len(got) == 1) != tt.want || (tt.want && got[0].Fingerprint != primary) {
				t.Errorf("ForIssuer(%s, %s, %s) = %+v, want match %v", tt.comp, tt.keyID, tt.fpr, got, tt.want)
			}
		})
	}
}

// frankenKey is pinned's primary key and user IDs with thief's signing
// subkey attached, bound by thief's key instead of pinned's: what a
// compromised key server or mirror could serve to slip its own subkey
// under a pinned fingerprint.
func frankenKey(pinned, thief *openpgp.Entity) *openpgp.Entity {
	return &openpgp.Entity{PrimaryKey: pinned.PrimaryKey, Identities: pinned.Identities, Subkeys: thief.Subkeys}
}

func serialize(t *testing.T, es ...*openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		if err := e.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestAcceptPinnedKey(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	pinned := newKey(t, "Pinned", base, 0, packet.PubKeyAlgoEdDSA)
	if err := pinned.AddSigningSubkey(cfgAt(base)); err != nil {
		t.Fatal(err)
	}
	other := newKey(t, "Other", base, 0, packet.PubKeyAlgoEdDSA)
	thief := newKey(t, "Thief", base, 0, packet.PubKeyAlgoEdDSA)
	if err := thief.AddSigningSubkey(cfgAt(base)); err != nil {
		t.Fatal(err)
	}
	want := fpr(pinned)

	for _, tt := range []struct {
		name     string
		data     []byte
		unpinned bool // an *UnpinnedKeyError
		bad      bool // another error
	}{
		{name: "the key, armored", data: armorPublic(t, pinned)},
		{name: "the key, binary", data: serialize(t, pinned)},
		{name: "in a bundle with other keys", data: append(armorPublic(t, other), armorPublic(t, pinned)...)},
		{name: "another key only", data: armorPublic(t, other), unpinned: true},
		// Refused by the parser, alone or beside other keys.
		{name: "a subkey not bound by it", data: serialize(t, frankenKey(pinned, thief)), bad: true},
		{name: "a subkey not bound by it, in a bundle", data: serialize(t, frankenKey(pinned, thief), other), unpinned: true},
		{name: "an HTML error page", data: []byte("<html>Not here</html>"), bad: true},
		{name: "nothing", data: nil, bad: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := AcceptPinnedKey(tt.data, strings.ToLower(want))
			var unpinned *UnpinnedKeyError
			switch {
			case tt.unpinned:
				if !errors.As(err, &unpinned) || unpinned.Want != want || keys != nil {
					t.Fatalf("got %d keys, %v; want an UnpinnedKeyError", len(keys), err)
				}
			case tt.bad:
				if err == nil || errors.As(err, &unpinned) {
					t.Fatalf("got %d keys, %v; want a parse error", len(keys), err)
				}
			default:
				if err != nil || len(keys) != 1 || fpr(keys[0]) != want || len(keys[0].Subkeys) != len(pinned.Subkeys) {
					t.Fatalf("got %d keys, %v", len(keys), err)
				}
			}
		})
	}
	if err := (&UnpinnedKeyError{Want: want, Found: []string{fpr(other)}}).Error(); !strings.Contains(err, fpr(other)) || !strings.Contains(err, "refused") {
		t.Errorf("message %q", err)
	}
}

// A signing subkey counts only with a valid binding by the pinned primary
// key, even if the key parser let one through: the subkey a thief bound
// himself is dropped and its signatures are by an unknown key.
func TestBoundSubkeysOnly(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	pinned := newKey(t, "Pinned", base, 0, packet.PubKeyAlgoEdDSA)
	if err := pinned.AddSigningSubkey(cfgAt(base)); err != nil {
		t.Fatal(err)
	}
	thief := newKey(t, "Thief", base, 0, packet.PubKeyAlgoEdDSA)
	if err := thief.AddSigningSubkey(cfgAt(base)); err != nil {
		t.Fatal(err)
	}
	mixed := &openpgp.Entity{PrimaryKey: pinned.PrimaryKey, Identities: pinned.Identities,
		Subkeys: append(append([]openpgp.Subkey(nil), pinned.Subkeys...), thief.Subkeys...)}

	kept := boundSubkeysOnly(mixed)
	if len(kept.Subkeys) != len(pinned.Subkeys) {
		t.Fatalf("kept %d subkeys, want pinned's %d", len(kept.Subkeys), len(pinned.Subkeys))
	}
	for i, s := range kept.Subkeys {
		if s.PublicKey.KeyId != pinned.Subkeys[i].PublicKey.KeyId {
			t.Errorf("kept subkey %d is not pinned's", i)
		}
	}
	if len(mixed.Subkeys) != len(pinned.Subkeys)+len(thief.Subkeys) {
		t.Errorf("the input was changed")
	}

	data := []byte("pcre2-10.47.tar.gz\n")
	file := writeFile(t, t.TempDir(), "pcre2-10.47.tar.gz", data)
	sig := sign(t, signingSubkey(t, thief).PrivateKey, data, base.Add(time.Hour), nil)
	_, err := CheckSignature(context.Background(), file, sig, openpgp.EntityList{kept})
	if classify(err) != kindUnknown {
		t.Errorf("signature by the unbound subkey: %v, want an unknown signer", err)
	}
	sig = sign(t, signingSubkey(t, pinned).PrivateKey, data, base.Add(time.Hour), nil)
	if s, err := CheckSignature(context.Background(), file, sig, openpgp.EntityList{kept}); err != nil || s.Fingerprint != fpr(pinned) {
		t.Errorf("signature by the bound subkey: %+v, %v", s, err)
	}
}

func TestArmorKeysRoundTrip(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	a := newKey(t, "A", base, 0, packet.PubKeyAlgoEdDSA)
	b := newKey(t, "B", base, 0, packet.PubKeyAlgoEdDSA)
	keys := publicKeyring(t, a, b)
	data, err := ArmorKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ArmorKeys(keys)
	if err != nil || !bytes.Equal(data, again) {
		t.Errorf("ArmorKeys is not deterministic: %v", err)
	}
	back, err := parseKeys(data)
	if err != nil || len(back) != 2 || fpr(back[0]) != fpr(a) || fpr(back[1]) != fpr(b) {
		t.Fatalf("round trip: %d keys, %v", len(back), err)
	}
	if got := WithFingerprint(back, strings.ToLower(fpr(b))); len(got) != 1 || Fingerprint(got[0]) != fpr(b) {
		t.Errorf("WithFingerprint found %d", len(got))
	}
	if _, err := ArmorKeys(nil); err == nil {
		t.Errorf("ArmorKeys(nil) succeeded")
	}
}
