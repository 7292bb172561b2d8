// Package source knows every component nginx-build can build from: where
// upstream publishes its release tarballs, how its tarballs and top-level
// directories are named, which configure option embeds it, which version
// is the default, and, for SBOMs, its license and package URL. It also
// knows the mirror layout that replaces all upstreams at once (air-gapped
// builds and tests).
//
// Everything here is data plus pure lookups; listing and locating talk to the
// network only through the *http.Client the caller passes in.
package source

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nginx-build/nginx-build/internal/purl"
)

// Role says what part a component plays in a build.
type Role int

const (
	// RoleServer is the web server itself: nginx or one of its distributions.
	RoleServer Role = iota
	// RoleSSL is a TLS library compiled into nginx (--with-openssl=DIR).
	RoleSSL
	// RolePCRE is the regex library (--with-pcre=DIR).
	RolePCRE
	// RoleZlib is the compression library (--with-zlib=DIR).
	RoleZlib
)

// Component describes one buildable upstream project.
type Component struct {
	// Name is the mirror directory, tarball prefix and work dir prefix:
	// nginx, openssl, pcre2, zlib, libressl, openresty, freenginx.
	Name string
	Role Role
	// DefaultVersion is what a build uses when no version flag is given.
	DefaultVersion string
	// ConfigureOption is the stem of the nginx configure option that embeds
	// the library ("openssl" → --with-openssl=DIR); empty for servers.
	ConfigureOption string
	// IndexURL is upstream's directory listing (or release API) that
	// `versions` reads.
	IndexURL string
	// moreIndexURLs are further listings whose versions are added (zlib
	// moves old releases to fossils/).
	moreIndexURLs []string
	// oldPrefixes are historic tarball names (OpenResty's ngx_openresty-).
	oldPrefixes []string
	// tarballURLs returns upstream download URLs for a version, best first.
	tarballURLs func(version string) []string
	// checksumSuffix is the sidecar upstream publishes beside its
	// tarballs with a sha256 ("" when it publishes none).
	checksumSuffix string
	// signatureSuffix is upstream's detached signature beside a tarball.
	signatureSuffix string
	// license returns the SPDX license expression a version is released
	// under (OpenSSL changed licenses at 3.0).
	license func(version string) string
	// gitHubRepo ("owner/name") and releaseTag name the GitHub release a
	// version is published as; the package URL then uses the github type,
	// which identifies the release exactly. Empty for other hosts.
	gitHubRepo string
	releaseTag func(version string) string
}

// Names lists every known component name, sorted.
func Names() []string {
	var names []string
	for _, c := range all() {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the component called name.
func Lookup(name string) (Component, error) {
	for _, c := range all() {
		if c.Name == name {
			return c, nil
		}
	}
	return Component{}, fmt.Errorf("unknown component %q (known: %s)", name, strings.Join(Names(), ", "))
}

// UpstreamURLs returns where upstream publishes the tarball of version, best
// candidate first.
func (c Component) UpstreamURLs(version string) []string {
	return c.tarballURLs(version)
}

// License returns the SPDX license expression of version, e.g.
// "Apache-2.0" or "BSD-3-Clause WITH PCRE2-exception".
func (c Component) License(version string) string {
	return c.license(version)
}

// PURL returns the package URL (https://github.com/package-url/purl-spec)
// that identifies version: pkg:github/OWNER/NAME@TAG for components
// released on GitHub, else pkg:generic/NAME@VERSION with upstream's
// download URL as the download_url qualifier. Upstream's URL, not a
// mirror's: the same release must have the same identity wherever the
// tarball was fetched from.
func (c Component) PURL(version string) string {
	if owner, repo, ok := strings.Cut(c.gitHubRepo, "/"); ok {
		return purl.GitHub(owner, repo, c.releaseTag(version))
	}
	return purl.Generic(c.Name, version, "download_url", c.UpstreamURLs(version)[0])
}

// Dir is the directory name the component's sources are extracted to, the
// name nginx-build has always used: <name>-<version>.
func (c Component) Dir(version string) string {
	return c.Name + "-" + version
}

// all is the table of components. It is a function, not a package variable,
// so no caller can mutate the defaults of another.
func all() []Component {
	return []Component{
		{
			Name: "nginx", Role: RoleServer, DefaultVersion: "1.30.4",
			signatureSuffix: ".asc",
			IndexURL:        "https://nginx.org/download/",
			tarballURLs:     prefixed("https://nginx.org/download/nginx-%s.tar.gz"),
			license:         always("BSD-2-Clause"),
		},
		{
			Name: "freenginx", Role: RoleServer, DefaultVersion: "1.30.1",
			signatureSuffix: ".asc",
			IndexURL:        "https://freenginx.org/download/",
			tarballURLs:     prefixed("https://freenginx.org/download/freenginx-%s.tar.gz"),
			license:         always("BSD-2-Clause"),
		},
		{
			Name: "openresty", Role: RoleServer, DefaultVersion: "1.31.1.1",
			signatureSuffix: ".asc",
			IndexURL:        "https://openresty.org/download/",
			oldPrefixes:     []string{"ngx_openresty"},
			// Releases up to 1.9.7.2 were called ngx_openresty-VERSION.
			tarballURLs: func(v string) []string {
				name := "openresty"
				if CompareVersions(v, "1.9.7.3") < 0 {
					name = "ngx_openresty"
				}
				return []string{fmt.Sprintf("https://openresty.org/download/%s-%s.tar.gz", name, v)}
			},
			// The bundle's own license; the Lua modules and LuaJIT it
			// bundles carry their own (mostly BSD-2-Clause and MIT).
			license: always("BSD-2-Clause"),
		},
		{
			Name: "openssl", Role: RoleSSL, DefaultVersion: "3.5.7", ConfigureOption: "openssl",
			IndexURL:        "https://api.github.com/repos/openssl/openssl/releases?per_page=100",
			tarballURLs:     opensslURLs,
			checksumSuffix:  ".sha256",
			signatureSuffix: ".asc",
			gitHubRepo:      "openssl/openssl",
			releaseTag:      opensslTag,
			// Apache-2.0 since 3.0; before, the dual OpenSSL/SSLeay license
			// that SPDX calls "OpenSSL".
			license: func(v string) string {
				if CompareVersions(v, "3.0.0") < 0 {
					return "OpenSSL"
				}
				return "Apache-2.0"
			},
		},
		{
			Name: "libressl", Role: RoleSSL, DefaultVersion: "4.3.2", ConfigureOption: "openssl",
			signatureSuffix: ".asc",
			IndexURL:        "https://ftp.openbsd.org/pub/OpenBSD/LibreSSL/",
			tarballURLs:     prefixed("https://ftp.openbsd.org/pub/OpenBSD/LibreSSL/libressl-%s.tar.gz"),
			// OpenSSL's original code keeps its license; LibreSSL's own
			// additions are ISC (its COPYING).
			license: always("OpenSSL AND ISC"),
		},
		{
			Name: "pcre2", Role: RolePCRE, DefaultVersion: "10.47", ConfigureOption: "pcre",
			signatureSuffix: ".sig",
			IndexURL:        "https://api.github.com/repos/PCRE2Project/pcre2/releases?per_page=100",
			tarballURLs:     prefixed("https://github.com/PCRE2Project/pcre2/releases/download/pcre2-%[1]s/pcre2-%[1]s.tar.gz"),
			gitHubRepo:      "PCRE2Project/pcre2",
			releaseTag:      func(v string) string { return "pcre2-" + v },
			// PCRE2's LICENCE: BSD with the "binary library-like packages"
			// exemption, which SPDX lists as PCRE2-exception.
			license: always("BSD-3-Clause WITH PCRE2-exception"),
		},
		{
			Name: "zlib", Role: RoleZlib, DefaultVersion: "1.3.2", ConfigureOption: "zlib",
			signatureSuffix: ".asc",
			IndexURL:        "https://zlib.net/",
			moreIndexURLs:   []string{"https://zlib.net/fossils/"},
			// zlib.net keeps only the newest release at the top level and
			// moves older ones to fossils/, so both are tried.
			tarballURLs: func(v string) []string {
				return []string{
					fmt.Sprintf("https://zlib.net/zlib-%s.tar.gz", v),
					fmt.Sprintf("https://zlib.net/fossils/zlib-%s.tar.gz", v),
				}
			},
			license: always("Zlib"),
		},
	}
}

func prefixed(format string) func(string) []string {
	return func(v string) []string { return []string{fmt.Sprintf(format, v)} }
}

func always(license string) func(string) string {
	return func(string) string { return license }
}

// opensslURLs follows OpenSSL's GitHub release tags.
func opensslURLs(v string) []string {
	return []string{fmt.Sprintf("https://github.com/openssl/openssl/releases/download/%s/openssl-%s.tar.gz", opensslTag(v), v)}
}

// opensslTag is OpenSSL's release tag: openssl-3.x.y since 3.0,
// OpenSSL_1_1_1w before.
func opensslTag(v string) string {
	if strings.HasPrefix(v, "1.") {
		return "OpenSSL_" + strings.ReplaceAll(v, ".", "_")
	}
	return "openssl-" + v
}
