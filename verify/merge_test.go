package verify

import (
	"context"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// TestMergeKeysTakesTheExtendedCopy: upstream extended a key after a copy
// of it was built in. A signature made after the first expiry verifies
// once the newer copy is merged in, whichever list it comes from, as gpg
// does; alone, the old copy still refuses it (the merge changes no input).
func TestMergeKeysTakesTheExtendedCopy(t *testing.T) {
	t.Parallel()
	day := uint32(24 * 3600)
	created := time.Date(2024, 4, 8, 0, 0, 0, 0, time.UTC)
	key := newKey(t, "Release", created, 365*day, packet.PubKeyAlgoEdDSA) // expires 2025-04-08
	old := publicKeyring(t, key)
	refreshSelfSignature(t, key, created.AddDate(1, 0, -20), 2*365*day) // now 2026-04-08
	extended := publicKeyring(t, key)

	dir := t.TempDir()
	data := []byte("release tarball\n")
	tarball := writeFile(t, dir, "r.tar.gz", data)
	signedAt := created.AddDate(1, 2, 0) // after the first expiry, before the second
	sig := armorSig(t, sign(t, key.PrivateKey, data, signedAt, nil))

	check := func(keys openpgp.EntityList) error {
		_, err := CheckSignature(context.Background(), tarball, sig, keys)
		return err
	}
	if err := check(old); classify(err) != kindInvalid {
		t.Fatalf("old copy alone: %v, want an invalid (expired) key", err)
	}
	for name, keys := range map[string]openpgp.EntityList{
		"built-in old, keyring new": MergeKeys(old, extended),
		"built-in new, keyring old": MergeKeys(extended, old),
	} {
		if len(keys) != 1 {
			t.Errorf("%s: %d entities, want one per fingerprint", name, len(keys))
		}
		if err := check(keys); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := check(old); classify(err) != kindInvalid {
		t.Errorf("merging changed the old copy: %v", err)
	}
}

// TestMergeKeysUnion: a merged key has every user ID and subkey of every
// copy, each signature once, and distinct keys stay distinct.
func TestMergeKeysUnion(t *testing.T) {
	t.Parallel()
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	key := newKey(t, "Upstream", created, 0, packet.PubKeyAlgoEdDSA)
	first := publicKeyring(t, key)
	if err := key.AddUserId("Upstream Releases", "", "releases@example.org", cfgAt(created.AddDate(0, 1, 0))); err != nil {
		t.Fatal(err)
	}
	if err := key.AddSigningSubkey(cfgAt(created.AddDate(0, 2, 0))); err != nil {
		t.Fatal(err)
	}
	second := publicKeyring(t, key)
	other := publicKeyring(t, newKey(t, "Other", created, 0, packet.PubKeyAlgoEdDSA))

	merged := MergeKeys(first, other, second, first)
	if len(merged) != 2 || fpr(merged[0]) != fpr(key) || fpr(merged[1]) != fpr(other[0]) {
		t.Fatalf("merged %d entities, want the two keys in order of first appearance", len(merged))
	}
	m := merged[0]
	if len(m.Identities) != 2 || len(m.Subkeys) != len(second[0].Subkeys) {
		t.Errorf("merged key has %d user IDs and %d subkeys, want 2 and %d", len(m.Identities), len(m.Subkeys), len(second[0].Subkeys))
	}
	for name, id := range m.Identities {
		if want := len(second[0].Identities[name].Signatures); len(id.Signatures) != want {
			t.Errorf("user ID %q has %d signatures after merging a copy in twice, want %d", name, len(id.Signatures), want)
		}
	}
	if len(first[0].Identities) != 1 || len(first[0].Subkeys) != 1 {
		t.Errorf("merging changed an input: %d user IDs, %d subkeys", len(first[0].Identities), len(first[0].Subkeys))
	}
}
