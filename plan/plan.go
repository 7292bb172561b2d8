// Package plan is what a build is asked to do and what that resolves to.
//
// A Plan is the declarative input: components with version constraints,
// modules, patches, configure options, the verification policy, where
// tarballs come from. The command layer builds it from flags (New and
// the With* constructors); nothing changes it afterwards. Resolve turns
// it into one Resolved value — every component at an exact version with
// its URLs and how it will be verified, every git and hg tree at a
// commit, the configure script and the input digest — which the
// pipeline's stages read and never change, and which the lockfile, the
// dry-run plan, the build record and a mirror's index encode.
package plan

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/nginx-build/nginx-build/archive"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
)

// Component names one component and the version asked for. Constraint
// is what the user wrote (1.22.1, ~1.26, stable); for a custom component
// it is the tag: "custom" for a tarball without one, DefaultBranch for a
// git repository without one.
type Component struct {
	Name       string
	Constraint string
	// CustomURL is set for -customnginx/-customssl: a tarball URL, or a
	// git repository (then the tree comes from Plan.GitSources).
	CustomURL string
	// Unasked means the user gave no version and the mirror decides: its
	// newest stable release is built (WithMirrorDefaults).
	Unasked bool
}

// Custom reports whether the component is a custom one (not in the
// component table).
func (c Component) Custom() bool { return c.CustomURL != "" }

// DefaultBranch is the rev of a custom git source given without a tag:
// the remote's HEAD, its default branch, as nginx-build clones it. Like
// any branch it is pinned to the commit it names when resolved.
const DefaultBranch = "HEAD"

// CustomTreeName is the directory of a custom component's tree beside the
// nginx tree, <name>-custom whatever its tag and form: nginx-build's
// layout, which scripts cd into. The tag and commit are recorded in the
// lockfile and build-info.json instead.
func CustomTreeName(name string) string { return name + "-custom" }

// IsTarballURL reports whether a custom source URL names a tarball rather
// than a git repository: its path ends in a tarball's extension (a query
// string aside), or it is one of GitHub's archive download hosts, whose
// URLs (codeload.github.com/OWNER/REPO/tar.gz/TAG) have none.
func IsTarballURL(u string) bool {
	path := u
	if parsed, err := url.Parse(u); err == nil && parsed.Scheme != "" {
		switch strings.ToLower(parsed.Hostname()) {
		case "codeload.github.com", "api.github.com":
			return true
		}
		path = parsed.Path
	}
	for _, ext := range []string{".tar.gz", ".tgz", ".tar.xz", ".tar.bz2"} {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

// Patch is a patch file applied to one component's source tree.
type Patch struct {
	// Target is the component whose tree is patched ("nginx" by default).
	Target string
	// Path is the patch file, absolute.
	Path string
}

// CCacheMode says whether ccache goes in front of the compiler.
type CCacheMode int

const (
	// CCacheAuto uses ccache where it pays: when it is on PATH (and
	// NGINX_BUILD_CCACHE is not 0) and its cache already holds objects, or
	// the user configured its cache dir or remote storage. On a cold cache
	// every compile would pay for a miss (an extra preprocessor run).
	CCacheAuto CCacheMode = iota
	// CCacheOn requires ccache: a build without it is an error.
	CCacheOn
	// CCacheOff never uses ccache.
	CCacheOff
)

// Plan is everything a build needs to know, declared up front: what to
// build, from where, and how. Nothing in it is discovered while building,
// and no stage writes to it.
type Plan struct {
	// WorkDir is nginx-build's -d: the parent of <server>/<version>/.
	WorkDir string
	// Server is nginx, or an alternative distribution (freenginx, openresty).
	Server Component
	// Libraries are embedded statically (pcre2, openssl/libressl, zlib), in
	// the order their configure options are appended.
	Libraries []Component
	// ConfigureScript is the content of the -c file ("" for the default),
	// and ConfigureFile its name as the user gave it, for messages.
	ConfigureScript string
	ConfigureFile   string
	// ExtraArgs are the configure options given after "--".
	ExtraArgs []string
	// Modules are third-party modules from modules.json.
	Modules []module3rd.Module
	// GitSources are component trees taken from git (a custom nginx or SSL
	// library given as a repository): fetched, pinned and checked out like
	// git modules, into <name>-custom beside the nginx tree.
	GitSources []module3rd.Module
	// ModulesFile is the modules.json content, hashed into the build inputs.
	ModulesFile   string
	Patches       []Patch
	PatchOpt      []string
	Jobs          int
	Clear         bool
	ConfigureOnly bool
	// Idempotent skips the build when the installed nginx (NginxBin, else
	// the configured sbin path) already is this build, per its nginx -V.
	Idempotent bool
	NginxBin   string
	// Install runs make install after the build (with sudo when Sudo),
	// into DestDir when set (a staging root, make's DESTDIR).
	Install bool
	Sudo    bool
	DestDir string
	// CCache puts ccache in front of the compiler.
	CCache CCacheMode
	// OpenSSLDir is the OPENSSLDIR compiled into a static OpenSSL (where it
	// looks for openssl.cnf); "" = the platform's (--openssldir).
	OpenSSLDir string
	// CCacheRemote is ccache's remote storage for this build
	// (--ccache-remote, a URL ccache takes as CCACHE_REMOTE_STORAGE; ""
	// = none, or the user's own). It implies ccache.
	CCacheRemote string
	Mirror       source.Mirror
	// FallbackMirrors are tried in order when Mirror lacks a file or is down.
	FallbackMirrors []source.Mirror
	CacheDir        string
	// Refresh re-reads version indexes even when the cached copy is fresh.
	Refresh bool
	// Verify is the verification policy; ExtraKeys are --keyring keys.
	Verify    fetch.Policy
	ExtraKeys openpgp.EntityList
	// ComponentKeys are --keyring NAME=FILE keys, trusted for one component.
	ComponentKeys map[string]openpgp.EntityList
	// Lockfile is the lockfile's path ("" = none). An existing one pins
	// versions; Locked makes any difference fatal.
	Lockfile string
	Locked   bool
	// KeepCompat leaves --with-compat exactly as the configure arguments
	// have it: modules for an existing binary must match it.
	KeepCompat bool
	// ExtractLimits cap what unpacking one tarball may write (archive
	// bombs); zero fields take archive.DefaultLimits.
	ExtractLimits archive.Limits
}

// Components returns the server followed by the libraries.
func (p *Plan) Components() []Component {
	return append([]Component{p.Server}, p.Libraries...)
}

// Component returns the component called name.
func (p *Plan) Component(name string) (Component, bool) {
	for _, c := range p.Components() {
		if c.Name == name {
			return c, true
		}
	}
	return Component{}, false
}

// Trees are the git component sources and the modules together, git
// sources first: every tree put beside the nginx tree.
func (p *Plan) Trees() []module3rd.Module {
	return append(append([]module3rd.Module(nil), p.GitSources...), p.Modules...)
}

// Mirrors are where tarballs come from, first choice first.
func (p *Plan) Mirrors() []source.Mirror {
	return append([]source.Mirror{p.Mirror}, p.FallbackMirrors...)
}

// GitSourcesOf lists the custom components that come from git, as the
// trees they are checked out to (<name>-custom) at their tag (or
// DefaultBranch).
func GitSourcesOf(comps []Component) []module3rd.Module {
	var out []module3rd.Module
	for _, c := range comps {
		if c.Custom() && !IsTarballURL(c.CustomURL) {
			out = append(out, module3rd.Module{Name: CustomTreeName(c.Name), Form: module3rd.FormGit, URL: c.CustomURL, Rev: c.Constraint})
		}
	}
	return out
}

// SourceOf is the custom component whose git tree m is, if it is one of
// GitSources.
func (p *Plan) SourceOf(m module3rd.Module) (Component, bool) {
	for _, c := range p.Components() {
		if c.Custom() && !IsTarballURL(c.CustomURL) && m.Form == module3rd.FormGit && CustomTreeName(c.Name) == m.Name && c.CustomURL == m.URL {
			return c, true
		}
	}
	return Component{}, false
}

// Env is what resolving needs from the outside world.
type Env struct {
	IO   *iostreams.IO
	HTTP *http.Client
	// ToolVersion is recorded in the input digest: a new nginx-build
	// rebuilds rather than trusting an older one's output.
	ToolVersion string
	// KeyPins are the signing keys pinned for each component, fetched
	// when a signature needs one (verify.DefaultKeyPins in the real
	// program; nil: none).
	KeyPins verify.KeyPins
}
