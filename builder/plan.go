// Package builder runs a build as a pipeline of small stages over one Plan:
// check whether the work dir is already up to date, resolve components to
// tarball locations, fetch them, prepare the source tree (extract, patch),
// generate and run the configure script, make, and report. Each stage is a
// named type with Run(ctx, *State), so the list of stages reads like the
// table of contents of a build and each one can be tested alone.
package builder

import (
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/nginx-build/nginx-build/archive"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/source"
)

// ComponentSpec names one component and the version asked for. Constraint
// is what the user wrote (1.22.1, ~1.26, stable); Version is the exact
// version it resolves to, filled in by the resolve-versions stage (or set
// directly when Constraint is exact).
type ComponentSpec struct {
	Name       string
	Constraint string
	Version    string
	// CustomURL is set for -customnginx/-customssl: a tarball URL, or a
	// git repository (then the tree comes from Plan.GitSources).
	CustomURL string
}

// Custom reports whether the component is a custom one (not in the
// component table).
func (c ComponentSpec) Custom() bool { return c.CustomURL != "" }

// IsTarballURL reports whether a custom source URL names a tarball rather
// than a git repository.
func IsTarballURL(u string) bool {
	for _, ext := range []string{".tar.gz", ".tgz", ".tar.xz", ".tar.bz2"} {
		if strings.HasSuffix(u, ext) {
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

// Plan is everything a build needs to know, declared up front: what to
// build, from where, and how. The command layer fills it from flags and
// files; nothing in it is discovered while building.
type Plan struct {
	// WorkDir is nginx-build's -d: the parent of <server>/<version>/.
	WorkDir string
	// Server is nginx, or an alternative distribution (freenginx, openresty).
	Server ComponentSpec
	// Libraries are embedded statically (pcre2, openssl/libressl, zlib), in
	// the order their configure options are appended.
	Libraries []ComponentSpec
	// ConfigureScript is the content of the -c file ("" for the default).
	ConfigureScript string
	// ExtraArgs are the configure options given after "--".
	ExtraArgs []string
	// Modules are third-party modules from modules.json.
	Modules []module3rd.Module
	// GitSources are component trees taken from git (a custom nginx or SSL
	// library given as a repository): fetched, pinned and checked out like
	// git modules, into <name>-<tag> beside the nginx tree.
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
	// Packaging says the build is for `package`: the report does not
	// suggest make install.
	Packaging bool
	// CCache puts ccache in front of the compiler.
	CCache CCacheMode
	Mirror source.Mirror
	// FallbackMirrors are tried in order when Mirror lacks a file or is down.
	FallbackMirrors []source.Mirror
	CacheDir        string
	// DryRun resolves everything and stops before downloading a tarball.
	DryRun bool
	// Refresh re-reads version indexes even when the cached copy is fresh.
	Refresh bool
	// Verify is the verification policy; ExtraKeys are --keyring keys.
	Verify    fetch.Policy
	ExtraKeys openpgp.EntityList
	// ComponentKeys are --keyring NAME=FILE keys, trusted for one component.
	ComponentKeys map[string]openpgp.EntityList
	// Lockfile is the lockfile's path ("" = none). An existing one pins
	// versions; Locked makes any difference fatal; Relock (the lock
	// command) resolves afresh and writes it.
	Lockfile string
	Locked   bool
	Relock   bool
	// ModulesOut receives the .so files of a modules-only build, and
	// TargetBinary is the nginx they must load into (modules --from-binary).
	ModulesOut   string
	TargetBinary string
	// MirrorDir is where `mirror` copies everything.
	MirrorDir string
	// KeepCompat leaves --with-compat exactly as the configure arguments
	// have it: modules for an existing binary must match it.
	KeepCompat bool
	// ExtractLimits cap what unpacking one tarball may write (archive
	// bombs); zero fields take archive.DefaultLimits.
	ExtractLimits archive.Limits
}

// BuildDir is <work>/<server>/<version>, nginx-build's layout.
func (p *Plan) BuildDir() string {
	return filepath.Join(p.WorkDir, p.Server.Name, p.Server.Version)
}

// SourceDir is the server's source tree, where configure and make run.
func (p *Plan) SourceDir() string {
	return filepath.Join(p.BuildDir(), p.Server.Name+"-"+p.Server.Version)
}

// Components returns the server followed by the libraries.
func (p *Plan) Components() []ComponentSpec {
	return append([]ComponentSpec{p.Server}, p.Libraries...)
}

// specs returns pointers to the server and library specs, to fill in.
func (p *Plan) specs() []*ComponentSpec {
	out := []*ComponentSpec{&p.Server}
	for i := range p.Libraries {
		out = append(out, &p.Libraries[i])
	}
	return out
}

// Env is what the pipeline needs from the outside world.
type Env struct {
	IO   *iostreams.IO
	HTTP *http.Client
	// ToolVersion is recorded in the up-to-date stamp: a new nginx-build
	// rebuilds rather than trusting an older one's output.
	ToolVersion string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// SourceDateEpoch is $SOURCE_DATE_EPOCH ("" = take the release
	// tarball's date); CC is $CC ("" = cc); CCacheDisabled is
	// NGINX_BUILD_CCACHE=0. The command layer reads the environment.
	SourceDateEpoch string
	CC              string
	CCacheDisabled  bool
}

// now reads the clock.
func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// gitTrees are the git modules and git component sources together: every
// tree that is fetched, pinned to a commit and checked out from git.
func (p *Plan) gitTrees() []module3rd.Module {
	return append(append([]module3rd.Module(nil), p.GitSources...), p.Modules...)
}

// spec returns the component spec called name.
func (p *Plan) spec(name string) ComponentSpec {
	for _, c := range p.Components() {
		if c.Name == name {
			return c
		}
	}
	return ComponentSpec{}
}
