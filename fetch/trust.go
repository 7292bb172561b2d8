package fetch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
)

// Policy is how strictly tarballs are verified (--verify).
type Policy string

// Verification policies.
const (
	// PolicyAuto checks everything it can; any failed check is fatal, a
	// tarball with nothing to check against is built with a warning.
	PolicyAuto Policy = "auto"
	// PolicyStrict also refuses a tarball with nothing to check against.
	PolicyStrict Policy = "strict"
	// PolicyOff checks nothing, loudly.
	PolicyOff Policy = "off"
)

// ParsePolicy reads a --verify value.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case PolicyAuto, PolicyStrict, PolicyOff:
		return p, nil
	}
	return "", fmt.Errorf("--verify %q: use auto, strict or off", s)
}

// Trust is what tarballs are verified against.
type Trust struct {
	Policy Policy
	// ExtraKeys are keys the user trusts for every component (--keyring FILE).
	ExtraKeys openpgp.EntityList
	// ComponentKeys are keys trusted for one component (--keyring NAME=FILE).
	ComponentKeys map[string]openpgp.EntityList
	// Pins are sha256s from the lockfile, keyed by PinKey.
	Pins map[string]string
	// PinSource names the lockfile in messages.
	PinSource string
	IO        *iostreams.IO
}

// PinKey is the key of a lockfile pin.
func PinKey(component, version string) string { return component + " " + version }

// Check is one verification a tarball passed.
type Check struct {
	// Kind is "signature", "sha256", "known-checksum" or "lockfile".
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Verification is everything that was checked about one tarball.
type Verification struct {
	Checks []Check `json:"checks,omitempty"`
	// Signer is set when a signature was verified.
	Signer *verify.Signer `json:"signer,omitempty"`
	// Skipped is true under --verify off.
	Skipped bool `json:"skipped,omitempty"`
}

// Summary is a one-line description for logs, the cache record and plans.
func (v Verification) Summary() string {
	if v.Skipped {
		return "not verified (--verify off)"
	}
	var parts []string
	for _, c := range v.Checks {
		parts = append(parts, c.Detail)
	}
	return strings.Join(parts, "; ")
}

// sidecars are the files published beside a tarball.
type sidecars struct {
	sha256, sha256URL string
	signature         []byte
	signatureURL      string
}

// check runs every check the policy asks for; the first failure is fatal
// and names the component, the file and what did not match.
func (t Trust) check(ctx context.Context, a source.Artifact, path, sha256 string, side sidecars) (Verification, error) {
	what := strings.TrimSpace(a.Component + " " + a.Version)
	var v Verification
	if t.Policy == PolicyOff {
		t.warn("NOT verifying %s (%s): --verify off", what, a.FileName)
		v.Skipped = true
		return v, nil
	}
	if pin := t.Pins[PinKey(a.Component, a.Version)]; pin != "" {
		if !strings.EqualFold(pin, sha256) {
			return v, &MismatchError{What: "verify " + what + " against " + t.PinSource, File: a.FileName, Want: pin, Got: sha256}
		}
		v.Checks = append(v.Checks, Check{"lockfile", "sha256 pinned in " + t.PinSource})
	}
	if a.PinnedSHA256 != "" {
		if !strings.EqualFold(a.PinnedSHA256, sha256) {
			return v, &MismatchError{What: "verify " + what + " against " + a.PinnedBy, File: a.FileName, Want: a.PinnedSHA256, Got: sha256}
		}
		v.Checks = append(v.Checks, Check{"pin", "sha256 pinned in " + a.PinnedBy})
	}
	if side.sha256 != "" {
		if !strings.EqualFold(side.sha256, sha256) {
			return v, &MismatchError{What: "verify " + what, File: a.FileName + " (checksum from " + side.sha256URL + ")", Want: side.sha256, Got: sha256}
		}
		v.Checks = append(v.Checks, Check{"sha256", "sha256 published at " + side.sha256URL})
	}
	known, err := verify.CheckKnownChecksum(ctx, a.Component, a.FileName, path)
	if err != nil {
		return v, fmt.Errorf("verify %s: %w", what, err)
	}
	if known {
		sum, _ := verify.KnownChecksum(a.Component, a.FileName)
		v.Checks = append(v.Checks, Check{"known-checksum", sum.Algo + " from " + a.Component + "'s published checksums (built in)"})
	}
	if side.signature != nil {
		builtIn, err := verify.Keyring(a.Component)
		if err != nil {
			return v, err
		}
		var shipped openpgp.EntityList
		if a.SigningKeyFile != "" {
			// The distribution's copy of upstream's key (Debian ships it
			// in debian/upstream/signing-key.asc).
			shipped, _ = verify.ReadKeyringFile(a.SigningKeyFile)
		}
		// Keys meant for this component: a signature by anyone else is
		// fatal. Unscoped --keyring keys only add trust: they do not turn
		// a component nginx-build has no key for into a failure. Copies
		// of one key are merged, so the newest self-signature (a later
		// expiry) counts wherever it came from.
		own := len(builtIn)+len(t.ComponentKeys[a.Component])+len(shipped) > 0
		keys := verify.MergeKeys(builtIn, t.ComponentKeys[a.Component], shipped, t.ExtraKeys)
		var signer verify.Signer
		if len(keys) > 0 {
			signer, err = verify.CheckSignature(ctx, path, side.signature, keys)
		}
		var unknown *verify.UnknownSignerError
		switch {
		case len(keys) == 0:
			t.warn("%s: %s is signed, but nginx-build has no %s signing key to check it with (add one with --keyring %s=FILE)", what, a.FileName, a.Component, a.Component)
		case err != nil && !own && errors.As(err, &unknown):
			t.warn("%s: %s is signed by key %s, which is none of the --keyring keys, and nginx-build has no %s key of its own: not checked (trust a key for it with --keyring %s=FILE)", what, a.FileName, unknown.IssuerKeyID, a.Component, a.Component)
		case err != nil:
			return v, signatureError(what, a, side.signatureURL, err)
		default:
			v.Signer = &signer
			detail := fmt.Sprintf("OpenPGP signature by %s (%s)", signer.Owner, signer.Fingerprint)
			if signer.KeyExpired {
				detail += ", key since expired, signed " + signer.SignedAt.Format("2006-01-02")
			}
			v.Checks = append(v.Checks, Check{"signature", detail})
		}
	}
	if len(v.Checks) == 0 {
		if t.Policy == PolicyStrict {
			return v, fmt.Errorf("verify %s: nothing to verify %s against (no signature by a known key, no published checksum, no built-in checksum, no lockfile pin) and --verify strict refuses it; add a .sha256 beside it on the mirror, pin it in a lockfile, or use --verify auto", what, a.FileName)
		}
		t.warn("%s: nothing to verify %s against (no signature by a known key, no published checksum, no built-in checksum, no lockfile pin); building it unverified", what, a.FileName)
	}
	return v, nil
}

func signatureError(what string, a source.Artifact, sigURL string, err error) error {
	var unknown *verify.UnknownSignerError
	var bad *verify.BadSignatureError
	switch {
	case errors.As(err, &unknown):
		key := unknown.IssuerFingerprint
		if key == "" {
			key = unknown.IssuerKeyID
		}
		return fmt.Errorf("verify %s: %s (%s) is signed by key %s, which nginx-build does not trust for %s; if you trust it, pass its public key with --keyring FILE (or use --verify off)", what, a.FileName, sigURL, key, a.Component)
	case errors.As(err, &bad):
		return fmt.Errorf("verify %s: BAD signature on %s by %s (%s): the file or the signature was altered", what, a.FileName, bad.Fingerprint, sigURL)
	}
	return fmt.Errorf("verify %s: signature %s: %w", what, sigURL, err)
}

func (t Trust) warn(format string, args ...any) {
	if t.IO != nil {
		t.IO.Warnf(format, args...)
	}
}
