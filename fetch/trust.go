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
	// Pinned gets the keys pinned for a component when a signature needs
	// one that is not at hand (nil: nothing is pinned).
	Pinned *PinnedKeys
	IO     *iostreams.IO
}

// PinKey is the key of a lockfile pin.
func PinKey(component, version string) string { return component + " " + version }

// Check is one verification a tarball passed.
type Check struct {
	// Kind is "signature", "sha256", "known-checksum", "lockfile", "pin"
	// (Debian's Sources index, modules.json), "mirror-pin" (a mirror's
	// index.json) or "mirror-unverified" (a mirror's own checksum of a
	// tarball nothing upstream verified when it was mirrored).
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Check kinds that are a mirror's own record rather than a check made
// against upstream.
const (
	kindMirrorPin        = "mirror-pin"
	kindMirrorUnverified = "mirror-unverified"
)

// Strong reports whether the check ties the tarball to something other
// than the server it came from: a signature by a trusted key, a built-in
// checksum, a lockfile pin, or a pin from an independent signed index
// (Debian's Sources) or modules.json. A .sha256 from the same server and
// a mirror's own pins are not strong: whoever can change the tarball
// there can change them too.
func (c Check) Strong() bool {
	switch c.Kind {
	case "signature", "known-checksum", "lockfile", "pin":
		return true
	}
	return false
}

// strongCheck is the first strong check v passed, "" when none.
func (v Verification) strongCheck() string {
	for _, c := range v.Checks {
		if c.Strong() {
			return c.Detail
		}
	}
	return ""
}

// Vouched reports whether a check other than a mirror's own checksum of a
// tarball unverified upstream passed: what --verify strict asks for.
func (v Verification) Vouched() bool {
	for _, c := range v.Checks {
		if c.Kind != kindMirrorUnverified {
			return true
		}
	}
	return false
}

// Verification is everything that was checked about one tarball.
type Verification struct {
	Checks []Check `json:"checks,omitempty"`
	// Signer is set when a signature was verified.
	Signer *verify.Signer `json:"signer,omitempty"`
	// Skipped is true under --verify off.
	Skipped bool `json:"skipped,omitempty"`
	// Unchecked names a signature that was not checked because its key
	// was not at hand, a strong check having verified the tarball.
	Unchecked string `json:"unchecked,omitempty"`
	// SignerKey is the signer's public key (armored), as it was trusted:
	// what a mirror carries for builds from it.
	SignerKey []byte `json:"-"`
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
		v.Checks = append(v.Checks, pinCheck(a))
	}
	if side.sha256 != "" {
		if !strings.EqualFold(side.sha256, sha256) {
			return v, &MismatchError{What: "verify " + what, File: a.FileName + " (checksum from " + side.sha256URL + ")", Want: side.sha256, Got: sha256}
		}
		if a.UnverifiedUpstream != "" {
			v.Checks = append(v.Checks, Check{kindMirrorUnverified, "sha256 pinned by the mirror " + a.UnverifiedUpstream + " (unverified upstream)"})
		} else {
			v.Checks = append(v.Checks, Check{"sha256", "sha256 published at " + side.sha256URL})
		}
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
		if err := t.checkSignature(ctx, a, path, side, &v); err != nil {
			return v, err
		}
	}
	if len(v.Checks) > 0 && !v.Vouched() && t.Policy == PolicyStrict {
		return v, fmt.Errorf("verify %s: %s was unverified upstream when mirror %s mirrored it (its .sha256 there is the mirror's own: it proves only that the file has not changed since) and --verify strict refuses it; pin it in a lockfile made from a verified copy, or use --verify auto", what, a.FileName, a.UnverifiedUpstream)
	}
	if len(v.Checks) == 0 {
		if t.Policy == PolicyStrict {
			return v, fmt.Errorf("verify %s: nothing to verify %s against (no signature by a known key, no published checksum, no built-in checksum, no lockfile pin) and --verify strict refuses it; add a .sha256 beside it on the mirror, pin it in a lockfile, or use --verify auto", what, a.FileName)
		}
		// Not said here: the fetcher says it once per cached tarball
		// (unverifiedWarning), not on every run that uses it.
	}
	return v, nil
}

// Unverified reports whether nothing could be checked: no signature by a
// known key, no published or built-in checksum, no pin (and not because
// --verify off skipped the checks).
func (v Verification) Unverified() bool { return !v.Skipped && len(v.Checks) == 0 }

// pinCheck is the check a.PinnedSHA256 passed: a mirror's own pin is
// told apart, for it is not strong.
func pinCheck(a source.Artifact) Check {
	switch {
	case a.PinnedByMirror && a.UnverifiedUpstream != "":
		return Check{kindMirrorUnverified, "sha256 pinned by the mirror " + a.UnverifiedUpstream + " (unverified upstream)"}
	case a.PinnedByMirror:
		return Check{kindMirrorPin, "sha256 pinned in " + a.PinnedBy}
	}
	return Check{"pin", "sha256 pinned in " + a.PinnedBy}
}

// unverifiedWarning is the full warning for a tarball that is used with
// nothing to verify it against.
func unverifiedWarning(a source.Artifact) string {
	what := strings.TrimSpace(a.Component + " " + a.Version)
	return fmt.Sprintf("%s: nothing to verify %s against (no signature by a known key, no published checksum, no built-in checksum, no lockfile pin); building it unverified", what, a.FileName)
}

// checkSignature checks a's detached signature against every key trusted
// for its component and records the signer in v. When the signer is not
// at hand but keys are pinned for the component, the pinned keys it may
// be are got first (PinnedKeys); if they cannot be had, the signature
// cannot be checked, and that is an error. An unknown signer, or one
// whose pinned key cannot be had, is only a warning when a strong check
// (Check.Strong) has passed already; a bad signature is always fatal.
func (t Trust) checkSignature(ctx context.Context, a source.Artifact, path string, side sidecars, v *Verification) error {
	what := strings.TrimSpace(a.Component + " " + a.Version)
	keys, own, err := t.keyring(a, nil)
	if err != nil {
		return err
	}
	pinned := len(t.Pinned.For(a.Component)) > 0
	if len(keys) == 0 && !pinned {
		t.warn("%s: %s is signed, but nginx-build has no %s signing key to check it with (add one with --keyring %s=FILE)", what, a.FileName, a.Component, a.Component)
		return nil
	}
	signer, err := verify.CheckSignature(ctx, path, side.signature, keys)
	var unknown *verify.UnknownSignerError
	if pinned && errors.As(err, &unknown) {
		keys, signer, err = t.recheckWithPinned(ctx, a, path, side, unknown, keys, err)
	}
	var cannot *pinnedKeyError
	strong := v.strongCheck()
	switch {
	case strong != "" && (errors.As(err, &cannot) || errors.As(err, &unknown)):
		// Verified already by a check upstream vouches for: a signer
		// nginx-build cannot check (unknown, or pinned but not to be
		// had offline) is worth saying, not failing for. A BAD
		// signature by a known key is neither, and stays fatal.
		t.warn("%s", unknownSignerWarning(what, a, unknown, cannot, strong))
		v.Unchecked = "OpenPGP signature by key " + issuerOf(unknown)
	case errors.As(err, &cannot):
		return err
	case err != nil && !own && errors.As(err, &unknown):
		t.warn("%s: %s is signed by key %s, which is none of the --keyring keys, and nginx-build has no %s key of its own: not checked (trust a key for it with --keyring %s=FILE)", what, a.FileName, unknown.IssuerKeyID, a.Component, a.Component)
	case err != nil:
		return signatureError(what, a, side.signatureURL, err)
	default:
		v.Signer = &signer
		v.SignerKey, _ = verify.ArmorKeys(verify.WithFingerprint(keys, signer.Fingerprint))
		detail := fmt.Sprintf("OpenPGP signature by %s (%s)", signer.Owner, signer.Fingerprint)
		if signer.KeyExpired {
			detail += ", key since expired, signed " + signer.SignedAt.Format("2006-01-02")
		}
		v.Checks = append(v.Checks, Check{"signature", detail})
	}
	return nil
}

// unknownSignerWarning says that a's signature by an unknown key was not
// checked, why (the key is not trusted, or is pinned but could not be
// had: cannot), and which strong check verified the tarball instead.
func unknownSignerWarning(what string, a source.Artifact, unknown *verify.UnknownSignerError, cannot *pinnedKeyError, strong string) string {
	key := issuerOf(unknown)
	why := "which nginx-build does not trust for " + a.Component
	if cannot != nil {
		var tried []string
		for _, m := range cannot.missing {
			tried = append(tried, m.Key.Name+" "+m.Key.Fingerprint+": "+joinErrors(m.Tried))
		}
		why = "which may be a key nginx-build pins for " + a.Component + " but could not get (" + strings.Join(tried, "; ") + ")"
	}
	return fmt.Sprintf("%s: %s is signed by key %s, %s: the signature is not checked; the tarball is verified by the %s (to check the signature too, pass the key with --keyring %s=FILE)",
		what, a.FileName, key, why, strong, a.Component)
}

// issuerOf is the unknown signer's fingerprint, or its key ID when the
// signature does not carry the fingerprint.
func issuerOf(unknown *verify.UnknownSignerError) string {
	if unknown.IssuerFingerprint != "" {
		return unknown.IssuerFingerprint
	}
	return unknown.IssuerKeyID
}

// recheckWithPinned gets the pinned keys that the unknown signer may be
// and that have lacks, and checks the signature again with them (err is
// the first check's error). A signer still unknown while pinned keys
// could not be had is a *pinnedKeyError: the signature cannot be checked.
func (t Trust) recheckWithPinned(ctx context.Context, a source.Artifact, path string, side sidecars, unknown *verify.UnknownSignerError, have openpgp.EntityList, err error) (openpgp.EntityList, verify.Signer, error) {
	got, missing, ferr := t.fetchPinned(ctx, a.Component, unknown, have)
	if ferr != nil {
		return have, verify.Signer{}, ferr
	}
	keys, signer := have, verify.Signer{}
	if len(got) > 0 {
		if keys, _, err = t.keyring(a, got); err != nil {
			return have, verify.Signer{}, err
		}
		signer, err = verify.CheckSignature(ctx, path, side.signature, keys)
	}
	if errors.As(err, &unknown) && len(missing) > 0 {
		what := strings.TrimSpace(a.Component + " " + a.Version)
		return keys, signer, newPinnedKeyError(what, a, side.signatureURL, unknown, missing)
	}
	return keys, signer, err
}

// keyring is every key trusted for a's component: built in, --keyring
// NAME=FILE, the distribution's copy of upstream's key (Debian ships it
// in debian/upstream/signing-key.asc), pinned keys got for it (more), and
// the unscoped --keyring FILE keys. own says whether any key is meant for
// the component, or keys are pinned for it: a signature by anyone else is
// then fatal. Unscoped --keyring keys only add trust: they do not turn a
// component nginx-build has no key for into a failure.
func (t Trust) keyring(a source.Artifact, more openpgp.EntityList) (keys openpgp.EntityList, own bool, err error) {
	builtin, err := verify.Keyring(a.Component)
	if err != nil {
		return nil, false, err
	}
	var shipped openpgp.EntityList
	if a.SigningKeyFile != "" {
		if k, err := verify.ReadKeyringFile(a.SigningKeyFile); err == nil {
			shipped = k
		}
	}
	// The one place where keys from different sources meet: copies of
	// one key merge, so the newest self-signature (a later expiry)
	// counts wherever it came from.
	mine := verify.MergeKeys(builtin, t.ComponentKeys[a.Component], shipped, more)
	own = len(mine) > 0 || len(t.Pinned.For(a.Component)) > 0
	return verify.MergeKeys(mine, t.ExtraKeys), own, nil
}

// fetchPinned gets the pinned keys of component that the unknown issuer
// may be and have lacks. It returns those it got and those that could not
// be had; any other error (the run was cancelled) ends it.
func (t Trust) fetchPinned(ctx context.Context, component string, issuer *verify.UnknownSignerError, have openpgp.EntityList) (got openpgp.EntityList, missing []*KeyUnavailableError, err error) {
	for _, pk := range t.Pinned.missing(component, issuer, have) {
		keys, err := t.Pinned.Get(ctx, component, pk)
		var unavailable *KeyUnavailableError
		switch {
		case err == nil:
			got = append(got, keys...)
		case errors.As(err, &unavailable):
			missing = append(missing, unavailable)
		default:
			return nil, nil, err
		}
	}
	return got, missing, nil
}

// pinnedKeyError is a signature that cannot be checked because the keys
// pinned for its component could not be had. It unwraps to why, so that
// a machine without network gets the command's offline hint.
type pinnedKeyError struct {
	msg     string
	missing []*KeyUnavailableError
}

func (e *pinnedKeyError) Error() string { return e.msg }

func (e *pinnedKeyError) Unwrap() []error {
	errs := make([]error, len(e.missing))
	for i, m := range e.missing {
		errs[i] = m
	}
	return errs
}

// newPinnedKeyError names the signer, each pinned key that could not be
// had and why, where upstream publishes it, and --keyring NAME=FILE.
func newPinnedKeyError(what string, a source.Artifact, sigURL string, unknown *verify.UnknownSignerError, missing []*KeyUnavailableError) error {
	e := &pinnedKeyError{missing: missing}
	head := fmt.Sprintf("verify %s: %s (%s) is signed by", what, a.FileName, sigURL)
	if len(missing) == 1 && isIssuer(missing[0].Key, unknown) {
		m := missing[0]
		e.msg = fmt.Sprintf("%s %s %s, which nginx-build pins for %s but could not get: %s; upstream publishes it at %s: download it and pass it with --keyring %s=FILE",
			head, m.Key.Name, m.Key.Fingerprint, a.Component, joinErrors(m.Tried), strings.Join(m.Key.URLs, " and "), a.Component)
		return e
	}
	issuer := unknown.IssuerFingerprint
	if issuer == "" {
		issuer = unknown.IssuerKeyID
	}
	var keys, where []string
	for _, m := range missing {
		keys = append(keys, fmt.Sprintf("%s %s (%s)", m.Key.Name, m.Key.Fingerprint, joinErrors(m.Tried)))
		where = append(where, m.Key.Fingerprint+" at "+strings.Join(m.Key.URLs, " and "))
	}
	e.msg = fmt.Sprintf("%s key %s, which may be a key nginx-build pins for %s, but these could not be had to check: %s; upstream publishes %s: download the signer's key and pass it with --keyring %s=FILE",
		head, issuer, a.Component, strings.Join(keys, "; "), strings.Join(where, ", "), a.Component)
	return e
}

// isIssuer reports whether the unknown issuer is pk's primary key or one
// of its known subkeys.
func isIssuer(pk verify.PinnedKey, unknown *verify.UnknownSignerError) bool {
	return len(verify.KeyPins{"": {pk}}.ForIssuer("", unknown.IssuerKeyID, unknown.IssuerFingerprint)) > 0
}

// joinErrors is errs on one line.
func joinErrors(errs []error) string {
	if len(errs) == 0 {
		return "nowhere to get it from"
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
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
