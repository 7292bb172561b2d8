// Package verify holds the trust primitives used when fetching upstream
// sources: the OpenPGP public keys and release checksums that ship inside the
// nginx-build binary, detached-signature verification against those keys,
// and streaming file digests.
//
// The package only answers "is this file what upstream published?". Deciding
// what to do with the answer (abort, warn, fall back to a checksum) is left to
// the caller, which is why every failure is a distinct, matchable error type.
//
// Trust material is embedded rather than downloaded next to the tarball: a
// key fetched from the same mirror as the file it vouches for proves nothing.
package verify
