package source

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
)

// nginxVersionsXML is nginx.org's own list of every nginx release
// (xml/versions.xml): the fallback when nginx.org cannot be reached.
//
//go:embed data/nginx-versions.xml
var nginxVersionsXML string

// DefaultIndexTTL is how long a fetched version index is trusted.
const DefaultIndexTTL = time.Hour

// Index answers "which versions of this component exist?", from the mirror
// or upstream, caching answers for TTL and falling back — when the network
// is down — to the last cached answer, then to the versions embedded in
// this binary, saying which it used.
type Index struct {
	HTTP   *http.Client
	Mirror Mirror
	// CacheDir holds cached listings; "" disables caching.
	CacheDir string
	TTL      time.Duration
	// Refresh ignores fresh cached listings (--refresh).
	Refresh bool
	// Warn reports fallbacks.
	Warn func(format string, args ...any)
	// Now is the clock (tests move it).
	Now func() time.Time
}

// Listing is a component's known versions and where they came from.
type Listing struct {
	Versions []string // newest first
	// From says where the list came from, e.g. "https://nginx.org/download/",
	// "cache (12m old)", "embedded list".
	From string
}

type cachedListing struct {
	Source   string    `json:"source"`
	Fetched  time.Time `json:"fetched"`
	Versions []string  `json:"versions"`
}

// Versions lists c's versions.
func (ix *Index) Versions(ctx context.Context, c Component) (Listing, error) {
	if ix.Mirror.dir != "" || ix.Mirror.IsDebian() {
		// A local directory (or apt's local index) is always current.
		vs, err := ListVersions(ctx, ix.HTTP, ix.Mirror, c)
		return Listing{Versions: vs, From: ix.Mirror.String()}, err
	}
	src := c.IndexURL
	if !ix.Mirror.IsZero() {
		src = ix.Mirror.base + c.Name + "/"
	}
	now := time.Now
	if ix.Now != nil {
		now = ix.Now
	}
	ttl := ix.TTL
	if ttl == 0 {
		ttl = DefaultIndexTTL
	}
	cachePath := ""
	var cached *cachedListing
	if ix.CacheDir != "" {
		cachePath = filepath.Join(ix.CacheDir, "index", c.Name+"-"+shortHash(src)+".json")
		cached = readCachedListing(cachePath, src)
	}
	if cached != nil && !ix.Refresh && now().Sub(cached.Fetched) < ttl {
		return Listing{Versions: cached.Versions, From: fmt.Sprintf("cache of %s (%s old)", src, age(now().Sub(cached.Fetched)))}, nil
	}
	vs, err := ListVersions(ctx, ix.HTTP, ix.Mirror, c)
	if err == nil && len(vs) > 0 {
		if cachePath != "" {
			writeCachedListing(cachePath, cachedListing{Source: src, Fetched: now().UTC(), Versions: vs})
		}
		return Listing{Versions: vs, From: src}, nil
	}
	if err == nil {
		err = fmt.Errorf("no %s release tarballs listed at %s", c.Name, src)
	}
	if ctx.Err() != nil {
		return Listing{}, ctx.Err()
	}
	if cached != nil {
		ix.warn("cannot list %s versions (%v); using the cached list from %s ago", c.Name, err, age(now().Sub(cached.Fetched)))
		return Listing{Versions: cached.Versions, From: fmt.Sprintf("stale cache of %s (%s old)", src, age(now().Sub(cached.Fetched)))}, nil
	}
	if !ix.Mirror.IsZero() {
		// A mirror is an explicit choice: never silently build something
		// it does not have.
		return Listing{}, err
	}
	ix.warn("cannot list %s versions (%v); using the list embedded in nginx-build, which may be out of date", c.Name, err)
	return Listing{Versions: EmbeddedVersions(c), From: "embedded list"}, nil
}

func (ix *Index) warn(format string, args ...any) {
	if ix.Warn != nil {
		ix.Warn(format, args...)
	}
}

// EmbeddedVersions is what this binary knows without any network: every
// nginx release from nginx.org's list, and the default of the others.
func EmbeddedVersions(c Component) []string {
	if c.Name == "nginx" {
		var vs []string
		for _, m := range regexp.MustCompile(`<item ver="([^"]+)"`).FindAllStringSubmatch(nginxVersionsXML, -1) {
			vs = append(vs, m[1])
		}
		return SortVersions(vs)
	}
	return []string{c.DefaultVersion}
}

func readCachedListing(path, src string) *cachedListing {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var l cachedListing
	if json.Unmarshal(b, &l) != nil || l.Source != src || len(l.Versions) == 0 {
		return nil
	}
	return &l
}

// writeCachedListing is best effort: a cache that cannot be written only
// costs a later network request.
func writeCachedListing(path string, l cachedListing) {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	// A unique temporary name: two runs refreshing the same listing
	// must not write into one temporary file.
	_ = atomicfile.Write(path, b, 0o644)
}

func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// shortHash names a cache file after the listing's source URL.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// VersionsFrom lists c's versions from the first of mirrors that answers,
// saying (through Warn) which ones failed, and returns the mirror that
// answered. The Index's own Mirror is not used.
func (ix *Index) VersionsFrom(ctx context.Context, c Component, mirrors []Mirror) (Listing, Mirror, error) {
	var listing Listing
	var err error
	for i, m := range mirrors {
		if i > 0 {
			ix.warn("%v; trying mirror %s", err, m)
		}
		one := *ix
		one.Mirror = m
		if listing, err = one.Versions(ctx, c); err == nil {
			return listing, m, nil
		}
	}
	return Listing{}, Mirror{}, err
}
