package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// maxClockSkew is how far in the future a signature's creation time may lie
// before it is rejected. Release signatures are made long before anyone
// downloads them, so only a badly wrong clock on either side can trigger it.
const maxClockSkew = 24 * time.Hour

// Signer describes who made a good signature.
type Signer struct {
	// Fingerprint is the 40 upper-case hex digit fingerprint of the PRIMARY
	// key, even when a signing subkey made the signature, because the primary
	// fingerprint is what upstream publishes and users compare.
	Fingerprint string
	// Owner is the key's primary user ID, e.g.
	// "Roman Arutyunyan <r.arutyunyan@f5.com>".
	Owner string
	// KeyExpired reports that the key has expired by now. The signature was
	// still accepted because it was made before the expiry; callers may want
	// to mention it, since new releases will need a new key.
	KeyExpired bool
	// SignedAt is the signature creation time claimed by the signature.
	SignedAt time.Time
}

// UnknownSignerError means the signature was made by a key that is not in the
// keyring. It usually means a new release manager or a rotated key, not an
// attack, so callers may want to print the key ID for the user to look up.
type UnknownSignerError struct {
	// IssuerKeyID is the 16 upper-case hex digit key ID of the signing key.
	IssuerKeyID string
	// IssuerFingerprint is the signing key's full fingerprint in upper-case
	// hex, if the signature carries one (modern signatures do), else "".
	IssuerFingerprint string
}

func (e *UnknownSignerError) Error() string {
	if e.IssuerFingerprint != "" {
		return fmt.Sprintf("signature made by unknown key %s (key ID %s)", e.IssuerFingerprint, e.IssuerKeyID)
	}
	return fmt.Sprintf("signature made by unknown key ID %s", e.IssuerKeyID)
}

// BadSignatureError means a trusted key's signature does not match the file:
// the file (or the signature) was altered or truncated.
type BadSignatureError struct {
	// Fingerprint is the primary fingerprint of the trusted key whose
	// signature failed, or, if several keys share the issuer key ID, of the
	// first one tried.
	Fingerprint string
	// Err is the underlying verification error.
	Err error
}

func (e *BadSignatureError) Error() string {
	return fmt.Sprintf("BAD signature by key %s: %v", e.Fingerprint, e.Err)
}

func (e *BadSignatureError) Unwrap() error { return e.Err }

// KeyProblem says why a trusted key was not accepted for a signature.
type KeyProblem string

// Reasons for an InvalidKeyError.
const (
	// KeyRevoked: the key, its signing subkey or its primary user ID has
	// been revoked. Rejected whenever the revocation was made, because a
	// revoked release key is a reason to stop and look.
	KeyRevoked KeyProblem = "key has been revoked"
	// KeyExpiredAtSigning: the signature was made after the key expired (or
	// before the key existed), which a legitimate signer cannot do but a
	// thief of an old key can.
	KeyExpiredAtSigning KeyProblem = "key was expired or not yet valid when the signature was made"
	// KeyNotForSigning: the issuer key is in the keyring but is not flagged
	// as a signing key (e.g. an encryption subkey).
	KeyNotForSigning KeyProblem = "key is not a signing key"
	// SignatureExpired: the signature carries an expiry time that has passed.
	SignatureExpired KeyProblem = "signature has expired"
	// SignedInFuture: the signature claims a creation time in the future.
	SignedInFuture KeyProblem = "signature is dated in the future"
)

// InvalidKeyError means the signature was made by a key in the keyring, but
// that key (or the signature's validity period) does not allow accepting it.
// For KeyRevoked and KeyExpiredAtSigning the signature itself verified
// mathematically; the key is what is wrong.
type InvalidKeyError struct {
	// Fingerprint is the primary fingerprint of the trusted key.
	Fingerprint string
	// Problem says what is wrong.
	Problem KeyProblem
	// SignedAt is the signature creation time claimed by the signature.
	SignedAt time.Time
	// Err is the underlying go-crypto error, if any.
	Err error
}

func (e *InvalidKeyError) Error() string {
	return fmt.Sprintf("signature by key %s (made %s) rejected: %s",
		e.Fingerprint, e.SignedAt.UTC().Format(time.RFC3339), e.Problem)
}

func (e *InvalidKeyError) Unwrap() error { return e.Err }

// CheckSignature verifies a detached OpenPGP signature (armored .asc or
// binary .sig) over the file at path, streaming the file so tarballs of any
// size use constant memory.
//
// A good signature by a key in keys yields its Signer. Failures are typed so
// callers can match them with errors.As: *UnknownSignerError (no key in keys
// made it), *BadSignatureError (the file does not match), *InvalidKeyError
// (revoked key, key expired before signing, ...). Malformed signature data,
// I/O errors and cancellation of ctx are returned as ordinary wrapped errors.
//
// Key expiry is judged at the signature's creation time, not now: an upstream
// key that expired after signing a release keeps verifying that release
// (Signer.KeyExpired is set), while a signature made after expiry is refused.
// Revocation is judged now, at any revocation date.
func CheckSignature(ctx context.Context, path string, signature []byte, keys openpgp.EntityList) (signer Signer, err error) {
	// Signature bytes come from the network; a parser bug in go-crypto must
	// turn into a rejection, never into a crash of the build tool.
	defer func() {
		if r := recover(); r != nil {
			signer, err = Signer{}, &panicError{what: "checking signature for " + path, value: r}
		}
	}()

	if err := ctx.Err(); err != nil {
		return Signer{}, fmt.Errorf("verify: checking signature for %s: %w", path, err)
	}
	raw, err := dearmorSignature(signature)
	if err != nil {
		return Signer{}, fmt.Errorf("verify: signature for %s: %w", path, err)
	}
	sig, candidates, err := selectSignature(raw, keys)
	if err != nil {
		return Signer{}, fmt.Errorf("verify: signature for %s: %w", path, err)
	}
	if len(candidates) == 0 {
		return Signer{}, inFile(path, unknownSigner(sig, keys))
	}
	if sig.SigType != packet.SigTypeBinary && sig.SigType != packet.SigTypeText {
		return Signer{}, fmt.Errorf("verify: signature for %s has type %#x, not a document signature", path, uint8(sig.SigType))
	}

	now := time.Now()
	signedAt := sig.CreationTime
	fpr := fingerprint(candidates[0].Entity)
	if signedAt.After(now.Add(maxClockSkew)) {
		return Signer{}, inFile(path, &InvalidKeyError{Fingerprint: fpr, Problem: SignedInFuture, SignedAt: signedAt})
	}

	f, err := os.Open(path)
	if err != nil {
		return Signer{}, fmt.Errorf("verify: opening signed file: %w", err)
	}
	defer f.Close()
	in := &ctxReader{ctx: ctx, r: f}

	// go-crypto judges key and signature validity at config.Now(). Pinning
	// that clock to the signature time looks tempting but is wrong: it also
	// rejects every signature older than the key's newest self-signature,
	// i.e. all releases signed before upstream last extended its key's
	// expiry. So verify at the present time, accept only the "expired"
	// outcomes (which go-crypto guarantees come after its revocation and
	// critical-notation checks) and judge validity at signing time below.
	vsig, entity, verr := openpgp.VerifyDetachedSignature(keys, in, bytes.NewReader(raw), nil)

	if in.err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(in.err, ctxErr) {
			return Signer{}, fmt.Errorf("verify: checking signature for %s: %w", path, ctxErr)
		}
		return Signer{}, fmt.Errorf("verify: reading %s: %w", path, in.err)
	}
	if vsig == nil || entity == nil {
		// go-crypto returns the signature only once the cryptographic check
		// has passed, so anything here is a failed or impossible check.
		switch {
		case verr == nil:
			return Signer{}, fmt.Errorf("verify: checking signature for %s: verifier returned no signer", path)
		case isSignatureError(verr):
			return Signer{}, inFile(path, &BadSignatureError{Fingerprint: fpr, Err: verr})
		default:
			return Signer{}, fmt.Errorf("verify: checking signature for %s by key %s: %w", path, fpr, verr)
		}
	}
	fpr = fingerprint(entity)
	if vsig.IssuerKeyId == nil || *vsig.IssuerKeyId != *sig.IssuerKeyId || !vsig.CreationTime.Equal(signedAt) {
		return Signer{}, fmt.Errorf("verify: signature for %s: verified packet differs from the selected one", path)
	}

	switch {
	case verr == nil, errors.Is(verr, pgperrors.ErrKeyExpired), errors.Is(verr, pgperrors.ErrSignatureExpired):
		// Validity at signing time is decided below.
	case errors.Is(verr, pgperrors.ErrKeyRevoked):
		return Signer{}, inFile(path, &InvalidKeyError{Fingerprint: fpr, Problem: KeyRevoked, SignedAt: signedAt, Err: verr})
	default:
		// E.g. an unknown critical notation: the maths is fine but the
		// signature asks for semantics we do not implement.
		return Signer{}, fmt.Errorf("verify: signature for %s by key %s rejected: %w", path, fpr, verr)
	}

	key, ok := signingKey(keys, entity, vsig)
	if !ok {
		return Signer{}, fmt.Errorf("verify: checking signature for %s: signing key of %s not found in keyring", path, fpr)
	}
	if keyRevoked(key, now) {
		return Signer{}, inFile(path, &InvalidKeyError{Fingerprint: fpr, Problem: KeyRevoked, SignedAt: signedAt})
	}
	if !validAt(key, signedAt) {
		return Signer{}, inFile(path, &InvalidKeyError{Fingerprint: fpr, Problem: KeyExpiredAtSigning, SignedAt: signedAt})
	}
	if lifetimeOver(vsig, now) {
		return Signer{}, inFile(path, &InvalidKeyError{Fingerprint: fpr, Problem: SignatureExpired, SignedAt: signedAt})
	}

	return Signer{
		Fingerprint: fpr,
		Owner:       owner(entity),
		KeyExpired:  keyExpired(key, now),
		SignedAt:    signedAt,
	}, nil
}

// inFile adds the signed file's name to a typed error; errors.As still finds
// the typed error underneath.
func inFile(path string, err error) error {
	return fmt.Errorf("verify: checking signature for %s: %w", path, err)
}

// dearmorSignature returns the binary packets of an armored or binary
// signature. Armor is recognised by content so ".sig" files that are
// actually armored (common on mirrors) work too.
func dearmorSignature(signature []byte) ([]byte, error) {
	if len(bytes.TrimSpace(signature)) == 0 {
		return nil, errors.New("empty signature")
	}
	trimmed := bytes.TrimLeft(signature, " \t\r\n")
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN ")) {
		return signature, nil
	}
	block, err := armor.Decode(bytes.NewReader(trimmed))
	if err != nil {
		return nil, fmt.Errorf("decoding armor: %w", err)
	}
	if block.Type != armorSignature {
		return nil, fmt.Errorf("armor type is %q, want %q", block.Type, armorSignature)
	}
	raw, err := io.ReadAll(block.Body)
	if err != nil {
		return nil, fmt.Errorf("decoding armor: %w", err)
	}
	return raw, nil
}

// selectSignature parses every packet and returns the signature go-crypto
// will verify (the first one whose issuer has a signing key in keys)
// together with those keys. With no such signature it returns the first
// signature and no keys, for the UnknownSignerError. Parsing everything up
// front means a trailing garbage packet is an error rather than ignored.
func selectSignature(raw []byte, keys openpgp.EntityList) (*packet.Signature, []openpgp.Key, error) {
	var first, chosen *packet.Signature
	var candidates []openpgp.Key
	packets := packet.NewReader(bytes.NewReader(raw))
	for {
		p, err := packets.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("parsing packets: %w", err)
		}
		sig, ok := p.(*packet.Signature)
		if !ok {
			return nil, nil, fmt.Errorf("unexpected %T packet in a detached signature", p)
		}
		if sig.IssuerKeyId == nil {
			return nil, nil, errors.New("signature does not name its issuer key")
		}
		if first == nil {
			first = sig
		}
		if chosen == nil {
			if k := keys.KeysByIdUsage(*sig.IssuerKeyId, packet.KeyFlagSign); len(k) > 0 {
				chosen, candidates = sig, k
			}
		}
	}
	if first == nil {
		return nil, nil, errors.New("no signature packet found")
	}
	if chosen == nil {
		return first, nil, nil
	}
	return chosen, candidates, nil
}

// unknownSigner distinguishes "no such key" from "the key is there but may
// not sign", which would otherwise both look like an unknown signer.
func unknownSigner(sig *packet.Signature, keys openpgp.EntityList) error {
	if k := keys.KeysById(*sig.IssuerKeyId); len(k) > 0 {
		return &InvalidKeyError{Fingerprint: fingerprint(k[0].Entity), Problem: KeyNotForSigning, SignedAt: sig.CreationTime}
	}
	e := &UnknownSignerError{IssuerKeyID: fmt.Sprintf("%016X", *sig.IssuerKeyId)}
	if len(sig.IssuerFingerprint) > 0 {
		e.IssuerFingerprint = fmt.Sprintf("%X", sig.IssuerFingerprint)
	}
	return e
}

// signingKey finds which key of entity made vsig; go-crypto returns only the
// entity, but expiry and revocation must be judged on the actual (sub)key.
func signingKey(keys openpgp.EntityList, entity *openpgp.Entity, vsig *packet.Signature) (openpgp.Key, bool) {
	if vsig.IssuerKeyId == nil {
		return openpgp.Key{}, false
	}
	for _, k := range keys.KeysByIdUsage(*vsig.IssuerKeyId, packet.KeyFlagSign) {
		if k.Entity == entity {
			return k, true
		}
	}
	return openpgp.Key{}, false
}

// keyRevoked checks revocation at the present time and regardless of the
// revocation's reason or date: a release key revoked even after signing is
// something the user must look into, and gpg warns about it too.
func keyRevoked(k openpgp.Key, now time.Time) bool {
	if revokedAnyTime(k.Entity.Revocations) {
		return true
	}
	if k.PublicKey != k.Entity.PrimaryKey && revokedAnyTime(k.Revocations) {
		return true
	}
	if _, id := k.Entity.PrimarySelfSignature(); id != nil && id.Revoked(now) {
		return true
	}
	return false
}

// revokedAnyTime ignores the revocation's date and reason. go-crypto honours
// a "superseded" or "retired" revocation only from its creation time on,
// which is right for mail but not for a release key: any revocation is a
// reason to stop and look. Only revocations that go-crypto verified while
// parsing the key end up in these lists.
func revokedAnyTime(revocations []*packet.Signature) bool {
	return len(revocations) > 0
}

// validAt reports whether k could make a signature at t: the key (and the
// subkey, if a subkey signed) existed and had not expired by t according to
// the newest self-signatures, and none of the binding signatures had run out
// of their own lifetime. Binding signatures created after t are fine; that is
// how upstream extends a key, and gpg treats it the same way.
func validAt(k openpgp.Key, t time.Time) bool {
	primarySig, _ := k.Entity.PrimarySelfSignature()
	if primarySig == nil || k.Entity.PrimaryKey.KeyExpired(primarySig, t) || lifetimeOver(primarySig, t) {
		return false
	}
	if k.PublicKey == k.Entity.PrimaryKey {
		return true
	}
	if k.SelfSignature == nil || k.PublicKey.KeyExpired(k.SelfSignature, t) || lifetimeOver(k.SelfSignature, t) {
		return false
	}
	if cross := k.SelfSignature.EmbeddedSignature; cross != nil && lifetimeOver(cross, t) {
		return false
	}
	return true
}

// lifetimeOver reports whether sig carries its own expiry and t is past it.
// Unlike packet.Signature.SigExpired it does not treat a signature created
// after t as expired (see validAt).
func lifetimeOver(sig *packet.Signature, t time.Time) bool {
	if sig.SigLifetimeSecs == nil || *sig.SigLifetimeSecs == 0 {
		return false
	}
	expiry := sig.CreationTime.Add(time.Duration(*sig.SigLifetimeSecs) * time.Second)
	return t.Unix() > expiry.Unix()
}

// keyExpired reports whether k has expired by now, for Signer.KeyExpired.
func keyExpired(k openpgp.Key, now time.Time) bool {
	primarySig, _ := k.Entity.PrimarySelfSignature()
	if primarySig != nil && k.Entity.PrimaryKey.KeyExpired(primarySig, now) {
		return true
	}
	if k.PublicKey != k.Entity.PrimaryKey && k.SelfSignature != nil && k.PublicKey.KeyExpired(k.SelfSignature, now) {
		return true
	}
	return false
}

func fingerprint(e *openpgp.Entity) string {
	if e == nil || e.PrimaryKey == nil {
		return ""
	}
	return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
}

func owner(e *openpgp.Entity) string {
	if id := e.PrimaryIdentity(); id != nil {
		return id.Name
	}
	return ""
}

func isSignatureError(err error) bool {
	var se pgperrors.SignatureError
	return errors.As(err, &se)
}

// ctxReader stops a long hash when ctx is cancelled and remembers the read
// error, so that an I/O failure is not mistaken for a bad signature.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}
