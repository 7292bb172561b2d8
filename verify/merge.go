package verify

import (
	"bytes"
	"maps"
	"slices"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// MergeKeys combines key lists the way gpg merges copies of one key: a
// single entity per primary fingerprint, with every user ID, subkey and
// signature that any copy has, where each user ID's and subkey's newest
// self-signature is the one that counts. A copy that extends a key's
// expiry therefore wins whichever list it came from: the built-in one,
// --keyring, a distribution's or a mirror's. Entities keep the order of
// their first appearance; the inputs are not modified (they are shared
// between concurrent downloads).
//
// Every signature merged in was verified by go-crypto when its copy was
// parsed, against the same primary key (the fingerprints are equal), so
// merging grants nothing that either copy did not already carry.
func MergeKeys(lists ...openpgp.EntityList) openpgp.EntityList {
	var out openpgp.EntityList
	index := map[string]int{}
	for _, list := range lists {
		for _, e := range list {
			if e == nil || e.PrimaryKey == nil {
				continue
			}
			fpr := string(e.PrimaryKey.Fingerprint)
			if i, ok := index[fpr]; ok {
				mergeEntity(out[i], e)
				continue
			}
			index[fpr] = len(out)
			out = append(out, copyEntity(e))
		}
	}
	return out
}

// copyEntity copies what mergeEntity changes, so that merging into the
// copy leaves e as it was.
func copyEntity(e *openpgp.Entity) *openpgp.Entity {
	c := *e
	c.Revocations = slices.Clone(e.Revocations)
	c.Signatures = slices.Clone(e.Signatures)
	c.Subkeys = slices.Clone(e.Subkeys)
	for i := range c.Subkeys {
		c.Subkeys[i].Revocations = slices.Clone(c.Subkeys[i].Revocations)
	}
	c.Identities = maps.Clone(e.Identities)
	for name, id := range c.Identities {
		cid := *id
		cid.Revocations = slices.Clone(id.Revocations)
		cid.Signatures = slices.Clone(id.Signatures)
		c.Identities[name] = &cid
	}
	return &c
}

// mergeEntity adds what other knows about dst's key to dst (a copy).
func mergeEntity(dst, other *openpgp.Entity) {
	dst.SelfSignature = newer(dst.SelfSignature, other.SelfSignature)
	dst.Revocations = union(dst.Revocations, other.Revocations)
	dst.Signatures = union(dst.Signatures, other.Signatures)
	if dst.Identities == nil {
		dst.Identities = map[string]*openpgp.Identity{}
	}
	for name, id := range other.Identities {
		have, ok := dst.Identities[name]
		if !ok {
			cid := *id
			cid.Revocations = slices.Clone(id.Revocations)
			cid.Signatures = slices.Clone(id.Signatures)
			dst.Identities[name] = &cid
			continue
		}
		have.SelfSignature = newer(have.SelfSignature, id.SelfSignature)
		have.Revocations = union(have.Revocations, id.Revocations)
		have.Signatures = union(have.Signatures, id.Signatures)
	}
	for _, sub := range other.Subkeys {
		i := slices.IndexFunc(dst.Subkeys, func(s openpgp.Subkey) bool {
			return bytes.Equal(s.PublicKey.Fingerprint, sub.PublicKey.Fingerprint)
		})
		if i < 0 {
			sub.Revocations = slices.Clone(sub.Revocations)
			dst.Subkeys = append(dst.Subkeys, sub)
			continue
		}
		dst.Subkeys[i].Sig = newer(dst.Subkeys[i].Sig, sub.Sig)
		dst.Subkeys[i].Revocations = union(dst.Subkeys[i].Revocations, sub.Revocations)
	}
}

// newer is the later of two self-signatures (either may be nil).
func newer(a, b *packet.Signature) *packet.Signature {
	if a == nil || (b != nil && b.CreationTime.After(a.CreationTime)) {
		return b
	}
	return a
}

// union appends the signatures of more that sigs lacks.
func union(sigs, more []*packet.Signature) []*packet.Signature {
	for _, s := range more {
		if !slices.ContainsFunc(sigs, func(have *packet.Signature) bool { return sameSignature(have, s) }) {
			sigs = append(sigs, s)
		}
	}
	return sigs
}

// sameSignature tells two copies of one signature packet apart from two
// signatures: same type, issuer, time and hash prefix.
func sameSignature(a, b *packet.Signature) bool {
	if a == b {
		return true
	}
	sameIssuer := (a.IssuerKeyId == nil) == (b.IssuerKeyId == nil) && (a.IssuerKeyId == nil || *a.IssuerKeyId == *b.IssuerKeyId)
	return sameIssuer && a.SigType == b.SigType && a.CreationTime.Equal(b.CreationTime) && a.HashTag == b.HashTag
}
