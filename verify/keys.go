package verify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// embeddedKeys holds one directory per component under keys/. Only *.asc
// files are OpenPGP keys; other files (e.g. LibreSSL's signify key) ride
// along for future use and are ignored by Keyring.
//
//go:embed keys/*/*.asc keys/*/*.pub
var embeddedKeys embed.FS

// maxKeyringFileSize bounds ReadKeyringFile so that a wrong path (a tarball,
// /dev/zero) fails fast instead of being slurped into memory. Real keyrings
// are a few KiB each; 16 MiB leaves room for a large exported keyring.
const maxKeyringFileSize = 16 << 20

// Armor block types, spelled out here because go-crypto exposes them as
// mutable package variables.
const (
	armorPublicKey = "PGP PUBLIC KEY BLOCK"
	armorSignature = "PGP SIGNATURE"

	armoredPublicKeyStart = "-----BEGIN " + armorPublicKey + "-----"
)

// Keyring returns the embedded OpenPGP public keys trusted for a component
// ("nginx", "freenginx", "openssl", ...). A component without embedded keys
// yields an empty list and a nil error, so callers can tell "nothing to check
// against" from "the embedded data is broken". The list is freshly parsed on
// each call; callers may modify it.
func Keyring(component string) (openpgp.EntityList, error) {
	if !validComponent(component) {
		return nil, fmt.Errorf("verify: invalid component name %q", component)
	}
	dir := path.Join("keys", component)
	entries, err := fs.ReadDir(embeddedKeys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return openpgp.EntityList{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: listing embedded keys for %s: %w", component, err)
	}

	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".asc") {
			names = append(names, e.Name())
		}
	}
	// fs.ReadDir already sorts, but the keyring order decides which of two
	// keys with a colliding key ID is tried first, so make it explicit.
	sort.Strings(names)

	keys := openpgp.EntityList{}
	for _, name := range names {
		file := path.Join(dir, name)
		data, err := embeddedKeys.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("verify: reading embedded key %s: %w", file, err)
		}
		el, err := parseKeys(data)
		if err != nil {
			return nil, fmt.Errorf("verify: embedded key %s: %w", file, err)
		}
		keys = append(keys, el...)
	}
	return keys, nil
}

// ReadKeyringFile reads OpenPGP public keys from a file the user trusts in
// addition to the embedded ones (--keyring FILE). The file may be binary
// (gpg --export) or ASCII-armored, including several armored blocks
// concatenated (cat a.asc b.asc). A file that yields no key is an error,
// because silently trusting nothing would turn a typo into "unknown signer".
func ReadKeyringFile(path string) (openpgp.EntityList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("verify: opening keyring: %w", err)
	}
	defer f.Close()

	data, err := io.ReadAll(io.LimitReader(f, maxKeyringFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("verify: reading keyring %s: %w", path, err)
	}
	if len(data) > maxKeyringFileSize {
		return nil, fmt.Errorf("verify: keyring %s is larger than %d bytes; is it really a key file?", path, maxKeyringFileSize)
	}
	keys, err := parseKeys(data)
	if err != nil {
		return nil, fmt.Errorf("verify: keyring %s: %w", path, err)
	}
	return keys, nil
}

// parseKeys accepts binary keys or any number of armored public key blocks
// and insists on at least one key. Armor is detected by its header rather
// than by file name, because users rename files freely.
func parseKeys(data []byte) (keys openpgp.EntityList, err error) {
	// go-crypto is fed user-supplied bytes here; a parser bug must become a
	// rejected keyring, not a crashed build.
	defer func() {
		if r := recover(); r != nil {
			keys, err = nil, &panicError{what: "parsing keys", value: r}
		}
	}()

	if !bytes.Contains(data, []byte(armoredPublicKeyStart)) {
		keys, err = openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("parsing binary OpenPGP keys: %w", err)
		}
	} else {
		// armor.Decode reads a single block and may buffer past its end, so
		// split the input at each block header and decode blocks one by one.
		blocks := bytes.Split(data, []byte(armoredPublicKeyStart))
		for i, b := range blocks[1:] {
			block := append([]byte(armoredPublicKeyStart), b...)
			el, err := readArmoredKeys(block)
			if err != nil {
				return nil, fmt.Errorf("armored key block %d: %w", i+1, err)
			}
			keys = append(keys, el...)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no OpenPGP public keys found")
	}
	return keys, nil
}

func readArmoredKeys(block []byte) (openpgp.EntityList, error) {
	b, err := armor.Decode(bytes.NewReader(block))
	if err != nil {
		return nil, fmt.Errorf("decoding armor: %w", err)
	}
	if b.Type != armorPublicKey {
		return nil, fmt.Errorf("unexpected armor type %q", b.Type)
	}
	// Read the body fully first so that a CRC or base64 error is reported as
	// such rather than as a confusing packet parse error.
	body, err := io.ReadAll(b.Body)
	if err != nil {
		return nil, fmt.Errorf("decoding armor: %w", err)
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parsing OpenPGP keys: %w", err)
	}
	return el, nil
}

// validComponent keeps component names to a single path element so that a
// caller passing user input cannot reach outside keys/ or sums/.
func validComponent(c string) bool {
	return c != "" && c != "." && c != ".." && !strings.ContainsAny(c, `/\`) && fs.ValidPath(c)
}

// panicError reports a panic recovered from third-party parsing code. It is a
// distinct type so tests and fuzzing can tell it apart from ordinary
// rejections and still flag the underlying bug.
type panicError struct {
	what  string
	value any
}

func (e *panicError) Error() string {
	return fmt.Sprintf("verify: internal error while %s: %v", e.what, e.value)
}
