package verify

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// embeddedSums holds known release checksums as sums/<component>.<algo>
// files in sha256sum/sha512sum output format. Supporting a new component
// or algorithm for an existing one is a matter of dropping in a file.
//
//go:embed sums
var embeddedSums embed.FS

// KnownSum is a checksum that upstream published for a release file.
type KnownSum struct {
	// Algo is the digest algorithm: "sha256" or "sha512".
	Algo string
	// Hex is the expected digest in lower-case hex.
	Hex string
}

// ChecksumMismatchError means a file's digest differs from the known one.
type ChecksumMismatchError struct {
	Component string // e.g. "nginx"
	File      string // release file name, e.g. "nginx-1.22.1.tar.gz"
	Algo      string // "sha256" or "sha512"
	Want      string // expected lower-case hex digest
	Got       string // actual lower-case hex digest
}

func (e *ChecksumMismatchError) Error() string {
	return fmt.Sprintf("verify: %s %s: %s checksum mismatch: want %s, got %s",
		e.Component, e.File, e.Algo, e.Want, e.Got)
}

// algos lists the supported digests, strongest first; KnownChecksum prefers
// the first one a component has an entry for. A function rather than a
// package-level map keeps the table immutable.
func algos() []string { return []string{"sha512", "sha256"} }

func newHash(algo string) (hash.Hash, error) {
	switch algo {
	case "sha512":
		return sha512.New(), nil
	case "sha256":
		return sha256.New(), nil
	}
	return nil, fmt.Errorf("unsupported digest algorithm %q", algo)
}

func hexLen(algo string) int {
	switch algo {
	case "sha512":
		return sha512.Size * 2
	case "sha256":
		return sha256.Size * 2
	}
	return 0
}

// KnownChecksum returns the embedded checksum for a release file of a
// component, e.g. KnownChecksum("nginx", "nginx-1.22.1.tar.gz"). If several
// algorithms list the file, the strongest is returned. The boolean is false
// when nothing is known about the file; the caller then has to rely on a
// signature or refuse.
func KnownChecksum(component, fileName string) (KnownSum, bool) {
	for _, algo := range algos() {
		sums, err := knownSums(component, algo)
		if err != nil {
			// Embedded data is covered by tests; an unreadable file simply
			// means nothing is known from it.
			continue
		}
		if h, ok := sums[fileName]; ok {
			return KnownSum{Algo: algo, Hex: h}, true
		}
	}
	return KnownSum{}, false
}

// knownSums parses sums/<component>.<algo>. A missing file is an empty map;
// a malformed or self-contradicting file is an error, because a checksum
// list that cannot be fully trusted should not be partly trusted either.
func knownSums(component, algo string) (map[string]string, error) {
	if !validComponent(component) {
		return nil, fmt.Errorf("verify: invalid component name %q", component)
	}
	want := hexLen(algo)
	if want == 0 {
		return nil, fmt.Errorf("verify: unsupported digest algorithm %q", algo)
	}
	file := path.Join("sums", component+"."+algo)
	data, err := embeddedSums.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: reading %s: %w", file, err)
	}

	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := parseSumLine(line)
		if !ok || len(sum) != want {
			return nil, fmt.Errorf("verify: %s:%d: not a %s line: %q", file, n, algo, line)
		}
		if prev, dup := sums[name]; dup && prev != sum {
			return nil, fmt.Errorf("verify: %s:%d: conflicting checksums for %s", file, n, name)
		}
		sums[name] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("verify: reading %s: %w", file, err)
	}
	return sums, nil
}

// parseSumLine splits "HEX  name" (text mode) or "HEX *name" (binary mode),
// the two forms sha*sum prints, and normalises the digest to lower case.
func parseSumLine(line string) (sum, name string, ok bool) {
	sum, rest, found := strings.Cut(line, " ")
	if !found {
		return "", "", false
	}
	switch {
	case strings.HasPrefix(rest, " "), strings.HasPrefix(rest, "*"):
		name = rest[1:]
	default:
		return "", "", false
	}
	if name == "" {
		return "", "", false
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return "", "", false
	}
	return strings.ToLower(sum), name, true
}

// FileDigest streams the file at path through algo ("sha256" or "sha512")
// and returns the digest in lower-case hex. ctx cancellation interrupts the
// read, so hashing a large tarball does not outlive the caller.
func FileDigest(ctx context.Context, path, algo string) (string, error) {
	h, err := newHash(algo)
	if err != nil {
		return "", fmt.Errorf("verify: digest of %s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("verify: digest: %w", err)
	}
	defer f.Close()
	in := &ctxReader{ctx: ctx, r: f}
	if _, err := io.Copy(h, in); err != nil {
		return "", fmt.Errorf("verify: %s digest of %s: %w", algo, path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CheckKnownChecksum compares the file at path with the embedded checksum of
// fileName (the upstream release name, which may differ from the local file
// name). known is false if no checksum is embedded for fileName, in which
// case err is nil and the file was not read. A mismatch is a
// *ChecksumMismatchError.
func CheckKnownChecksum(ctx context.Context, component, fileName, path string) (known bool, err error) {
	want, ok := KnownChecksum(component, fileName)
	if !ok {
		return false, nil
	}
	got, err := FileDigest(ctx, path, want.Algo)
	if err != nil {
		return true, err
	}
	if got != want.Hex {
		return true, &ChecksumMismatchError{Component: component, File: fileName, Algo: want.Algo, Want: want.Hex, Got: got}
	}
	return true, nil
}
