// Package fetch downloads release tarballs concurrently into a local cache
// with hashicorp/go-getter, verifies them against published checksums, and
// reports progress: a bar on a terminal, one line per event otherwise.
package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DefaultCacheDir returns $NGINX_BUILD_CACHE, else $XDG_CACHE_HOME/nginx-build,
// else ~/.cache/nginx-build, from the process environment; see CacheDirFrom.
func DefaultCacheDir() (string, error) {
	return CacheDirFrom(os.LookupEnv, filepath.Abs)
}

// CacheDirFrom is DefaultCacheDir with the environment given as a function
// (os.LookupEnv, or a map in tests and in callers that build a child's
// environment), so that the choice can be made, and tested, without
// touching the process environment. HOME is read through lookupEnv too;
// only when it is unset or empty does os.UserHomeDir decide. A relative
// NGINX_BUILD_CACHE is made absolute with abs (against the working
// directory), so that the directory stays the same after a chdir.
func CacheDirFrom(lookupEnv func(string) (string, bool), abs func(string) (string, error)) (string, error) {
	get := func(key string) string {
		v, _ := lookupEnv(key)
		return v
	}
	if d := get("NGINX_BUILD_CACHE"); d != "" {
		return abs(d)
	}
	// The XDG Base Directory spec: a relative path is invalid and ignored.
	if d := get("XDG_CACHE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "nginx-build"), nil
	}
	home := get("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("find a cache directory: %w (set NGINX_BUILD_CACHE)", err)
		}
	}
	return filepath.Join(home, ".cache", "nginx-build"), nil
}

// URLKey names the cache slot of a URL. Release tarballs are immutable, so
// the URL identifies the content; hashing it keeps two mirrors that serve
// the same file name apart.
func URLKey(u string) string {
	sum := sha256.Sum256([]byte(u))
	return hex.EncodeToString(sum[:8])
}

// FileSHA256 hashes a file by streaming it.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// MismatchError is a checksum that did not match.
type MismatchError struct {
	What, File, Want, Got string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: sha256 mismatch for %s: want %s, got %s", e.What, e.File, e.Want, e.Got)
}

// IsMismatch reports whether err is (or wraps) a checksum mismatch.
func IsMismatch(err error) bool {
	var m *MismatchError
	return errors.As(err, &m)
}
