package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/net/html"

	"github.com/nginx-build/nginx-build/internal/netfail"
)

// tarballExts are the archive formats a mirror may hold, in order of preference.
var tarballExts = []string{".tar.gz", ".tar.xz", ".tar.bz2"}

// Mirror replaces every upstream with one tree laid out as
// <root>/<component>/<component>-<version>.tar.{gz,xz,bz2}, with optional
// .sha256 and .asc/.sig files beside each tarball. The zero Mirror means
// "use upstream".
type Mirror struct {
	// base is an http(s) URL ending in "/", or empty for a local mirror.
	base string
	// dir is the absolute path of a local mirror.
	dir string
	// debianDir is set for the Debian archive (--source debian): where
	// apt downloads go.
	debianDir string
	// apt is the Debian archive's private apt configuration, for when
	// the system's apt has no deb-src: prepared once, shared by copies.
	apt *aptSession
}

// ParseMirror accepts an http(s):// URL, a file:// URL or a plain directory.
// An empty string means no mirror.
func ParseMirror(s string) (Mirror, error) {
	switch {
	case s == "":
		return Mirror{}, nil
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return Mirror{}, fmt.Errorf("mirror %q is not a valid URL", s)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		return Mirror{base: u.String()}, nil
	case strings.HasPrefix(s, "file://"):
		u, err := url.Parse(s)
		if err != nil {
			return Mirror{}, fmt.Errorf("mirror %q is not a valid file:// URL", s)
		}
		return localMirror(u.Path, s)
	case strings.Contains(s, "://"):
		return Mirror{}, fmt.Errorf("mirror %q: unsupported scheme (use http://, https://, file:// or a directory)", s)
	}
	return localMirror(s, s)
}

func localMirror(p, original string) (Mirror, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return Mirror{}, fmt.Errorf("mirror %q: %w", original, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Mirror{}, fmt.Errorf("mirror %q: %w", original, err)
	}
	if !fi.IsDir() {
		return Mirror{}, fmt.Errorf("mirror %q is not a directory", original)
	}
	return Mirror{dir: abs}, nil
}

// IsZero reports whether m means "use upstream".
func (m Mirror) IsZero() bool { return m.base == "" && m.dir == "" && m.debianDir == "" }

// String returns the mirror's location as given to the user.
func (m Mirror) String() string {
	if m.debianDir != "" {
		return "Debian's source archive"
	}
	if m.dir != "" {
		return m.dir
	}
	return m.base
}

// Artifact is a located release tarball and the files published beside it.
type Artifact struct {
	Component string
	Version   string
	FileName  string
	// URLs are download locations, best first; later ones are fallbacks.
	URLs []string
	// ChecksumURL is a published .sha256 file, if any.
	ChecksumURL string
	// SignatureURL is a published .asc/.sig file, if any.
	SignatureURL string
	// SidecarsOptional means ChecksumURL and SignatureURL are where
	// upstream usually publishes them, not known to exist: a 404 there
	// means "not published". On a mirror they were seen in its listing.
	SidecarsOptional bool
	// PinnedSHA256 is a sha256 the tarball must have, and PinnedBy where
	// the pin comes from (e.g. a module's checksum in modules.json).
	PinnedSHA256, PinnedBy string
	// PinnedByMirror says PinnedSHA256 is a mirror's own record (its
	// index.json) of what it copied: it proves the file has not changed
	// since, not that upstream published it, so it is no strong check.
	PinnedByMirror bool
	// UnverifiedUpstream names the mirror whose index.json says nothing
	// upstream verified this tarball when it was mirrored: the .sha256
	// beside it (and any pin) is only the mirror's own, which --verify
	// strict does not accept.
	UnverifiedUpstream string
	// SigningKeyFile holds upstream's signing key as a distribution ships
	// it (Debian's debian/upstream/signing-key.asc), once downloaded.
	SigningKeyFile string
	// CacheKey, when set, names the cache slot instead of the first URL:
	// for content a URL does not identify (a local file that may change,
	// a URL whose pinned checksum changed).
	CacheKey string
}

// Locate finds the tarball of c at version, on the mirror when one is set,
// else at upstream (which needs no network: upstream URLs are well known).
func Locate(ctx context.Context, hc *http.Client, m Mirror, c Component, version string) (Artifact, error) {
	if !ValidVersion(version) {
		return Artifact{}, fmt.Errorf("%s: %q is not a version number", c.Name, version)
	}
	if m.IsDebian() {
		return locateDebian(ctx, m, c, version)
	}
	if m.IsZero() {
		urls := c.UpstreamURLs(version)
		a := Artifact{Component: c.Name, Version: version, FileName: path.Base(urls[0]), URLs: urls, SidecarsOptional: true}
		if c.checksumSuffix != "" {
			a.ChecksumURL = urls[0] + c.checksumSuffix
		}
		if c.signatureSuffix != "" {
			a.SignatureURL = urls[0] + c.signatureSuffix
		}
		return a, nil
	}
	files, err := m.list(ctx, hc, c.Name)
	if err != nil {
		return Artifact{}, err
	}
	have := map[string]bool{}
	for _, f := range files {
		have[f] = true
	}
	for _, ext := range tarballExts {
		name := c.Name + "-" + version + ext
		if !have[name] {
			continue
		}
		a := Artifact{Component: c.Name, Version: version, FileName: name, URLs: []string{m.fileURL(c.Name, name)}}
		if have[name+".sha256"] {
			a.ChecksumURL = m.fileURL(c.Name, name+".sha256")
		}
		for _, sig := range []string{".asc", ".sig"} {
			if have[name+sig] {
				a.SignatureURL = m.fileURL(c.Name, name+sig)
				break
			}
		}
		return a, nil
	}
	msg := fmt.Sprintf("%s %s: mirror %s has no %s-%s.tar.{gz,xz,bz2} in %s/", c.Name, version, m, c.Name, version, c.Name)
	if vs := versionsIn(c, files); len(vs) > 0 {
		// Around the version asked for: someone who typed 1.22.3 wants to
		// see 1.22.1, not the eight newest releases.
		msg += "; nearest it has: " + strings.Join(nearestTo(Constraint{Raw: version, exact: version}, vs, 8), ", ")
	}
	return Artifact{}, errors.New(msg)
}

func (m Mirror) fileURL(component, name string) string {
	if m.dir != "" {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(m.dir, component, name))}).String()
	}
	return m.base + url.PathEscape(component) + "/" + url.PathEscape(name)
}

// IsFileTree reports whether m is a mirror tree (a directory or an
// http(s) URL), which may hold an index.json — not upstream, not Debian.
func (m Mirror) IsFileTree() bool { return m.base != "" || m.dir != "" }

// FileURL is the address of a file given by its slash-separated path
// relative to the mirror's root, e.g. "modules/echo/echo.bundle".
func (m Mirror) FileURL(rel string) string {
	if m.dir != "" {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(m.dir, filepath.FromSlash(rel)))}).String()
	}
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return m.base + strings.Join(parts, "/")
}

// KeyPath is where a mirror tree carries a component's pinned signing key
// (see `nginx-build mirror`): keys/<component>/<FINGERPRINT>.asc.
func KeyPath(component, fingerprint string) string {
	return "keys/" + component + "/" + fingerprint + ".asc"
}

// ReadFile reads a small file of the mirror, such as its index.json.
func (m Mirror) ReadFile(ctx context.Context, hc *http.Client, rel string) ([]byte, error) {
	if m.dir != "" {
		return os.ReadFile(filepath.Join(m.dir, filepath.FromSlash(rel)))
	}
	return get(ctx, hc, m.FileURL(rel))
}

// list returns the file names in the mirror's directory for a component.
func (m Mirror) list(ctx context.Context, hc *http.Client, component string) ([]string, error) {
	if m.dir != "" {
		entries, err := os.ReadDir(filepath.Join(m.dir, component))
		if err != nil {
			return nil, fmt.Errorf("read mirror directory: %w", err)
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
		return names, nil
	}
	body, err := get(ctx, hc, m.base+url.PathEscape(component)+"/")
	if err != nil {
		return nil, fmt.Errorf("list mirror: %w", err)
	}
	var names []string
	for _, href := range Links(body) {
		names = append(names, hrefName(href))
	}
	return names, nil
}

// hrefName is the file name an index link points to, or "" for a
// subdirectory (a link ending in "/"), which is never a tarball.
func hrefName(href string) string {
	if u, err := url.Parse(href); err == nil {
		href = u.Path
	}
	if href == "" || strings.HasSuffix(href, "/") {
		return ""
	}
	return path.Base(href)
}

// ListVersions returns every release version of c that the mirror (or
// upstream's index) offers, newest first. It always asks the network; Index
// adds caching and fallbacks on top.
func ListVersions(ctx context.Context, hc *http.Client, m Mirror, c Component) ([]string, error) {
	if m.IsDebian() {
		return debianVersions(ctx, m, c)
	}
	if !m.IsZero() {
		files, err := m.list(ctx, hc, c.Name)
		if err != nil {
			return nil, err
		}
		return versionsIn(c, files), nil
	}
	var names []string
	for _, u := range append([]string{c.IndexURL}, c.moreIndexURLs...) {
		for page := 1; page <= githubMaxPages; page++ {
			pageURL := u
			if page > 1 {
				pageURL = fmt.Sprintf("%s&page=%d", u, page)
			}
			body, err := get(ctx, hc, pageURL)
			if err != nil {
				return nil, fmt.Errorf("list %s versions: %w", c.Name, err)
			}
			found, err := indexFileNames(c, pageURL, body)
			if err != nil {
				return nil, err
			}
			names = append(names, found...)
			// GitHub's releases API pages by 100 (per_page=100): a full
			// page means older releases may follow.
			if !isGitHubAPI(u) || len(found) < githubPageSize {
				break
			}
		}
	}
	return versionsIn(c, names), nil
}

// GitHub's releases API: releases per page asked for, and how many pages
// (newest first) are read at most — enough for every OpenSSL 1.1.1 release.
const (
	githubPageSize = 100
	githubMaxPages = 5
)

func isGitHubAPI(u string) bool { return strings.HasPrefix(u, "https://api.github.com/") }

// indexFileNames extracts tarball names from an index page: GitHub's
// releases API (JSON, tags) or any HTML listing (links).
func indexFileNames(c Component, u string, body []byte) ([]string, error) {
	if !isGitHubAPI(u) {
		var names []string
		for _, href := range Links(body) {
			names = append(names, hrefName(href))
		}
		return names, nil
	}
	var releases []struct {
		Tag        string `json:"tag_name"`
		Prerelease bool   `json:"prerelease"`
	}
	if err := json.Unmarshal(body, &releases); err != nil {
		return nil, fmt.Errorf("list %s versions: parse %s: %w", c.Name, u, err)
	}
	var names []string
	for _, r := range releases {
		tag := r.Tag
		if rest, ok := strings.CutPrefix(tag, "OpenSSL_"); ok {
			tag = c.Name + "-" + strings.ReplaceAll(rest, "_", ".")
		}
		names = append(names, tag+".tar.gz")
	}
	return names, nil
}

// versionsIn picks the release versions of c out of file names, newest first.
func versionsIn(c Component, files []string) []string {
	prefixes := regexp.QuoteMeta(c.Name)
	for _, p := range c.oldPrefixes {
		prefixes += "|" + regexp.QuoteMeta(p)
	}
	re := regexp.MustCompile(`^(?:` + prefixes + `)-(.+?)\.tar\.(gz|xz|bz2)$`)
	seen := map[string]bool{}
	var vs []string
	for _, f := range files {
		if m := re.FindStringSubmatch(f); m != nil && ValidVersion(m[1]) && !seen[m[1]] {
			seen[m[1]] = true
			vs = append(vs, m[1])
		}
	}
	sortNewestFirst(vs)
	return vs
}

func sortNewestFirst(vs []string) {
	sort.SliceStable(vs, func(i, j int) bool { return CompareVersions(vs[i], vs[j]) > 0 })
}

func nearest(vs []string, n int) []string {
	if len(vs) > n {
		return append(vs[:n:n], "…")
	}
	return vs
}

// Links returns the href of every <a> element in an HTML page, the format of
// nginx autoindex, Apache and Go's http.FileServer listings alike.
func Links(page []byte) []string {
	var hrefs []string
	z := html.NewTokenizer(strings.NewReader(string(page)))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return hrefs
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "a" || !hasAttr {
				continue
			}
			for {
				k, v, more := z.TagAttr()
				if string(k) == "href" {
					hrefs = append(hrefs, string(v))
				}
				if !more {
					break
				}
			}
		}
	}
}

// maxIndexSize bounds how much of an index page is read: listings are small,
// and a misconfigured mirror must not make us buffer a tarball.
const maxIndexSize = 16 << 20

func get(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if off := netfail.Classify(u, err); off != nil {
		return nil, off // one line naming the URL once, not net/http's wrapping
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIndexSize))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return body, nil
}
