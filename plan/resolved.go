package plan

import (
	"path/filepath"

	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/source"
)

// Resolved is a Plan with everything pinned: what --dry-run prints, what
// the lockfile stores, and what the pipeline's stages build. Pin and
// Locate return new values; nothing changes one afterwards.
type Resolved struct {
	// Plan is the input, read only.
	Plan *Plan
	// Components are the server followed by the libraries, each at its
	// exact version; after Locate also with its URL and how it will be
	// verified (Verify).
	Components []pin.Component
	// Artifacts are the located tarballs, in Components order (nil before
	// Locate): the custom components given as git repositories have none.
	Artifacts []source.Artifact
	// Commits are the commits (hg changesets) git and hg trees are built
	// at, by tree name.
	Commits map[string]string
	// Script is the generated configure script and ModuleArgs its options
	// that add third-party modules ("" and nil when not asked for).
	Script     string
	ModuleArgs []string
	// Digest identifies the build's inputs: versions, commits, options,
	// the contents of patches and local modules, the verification policy.
	Digest string
	// Lock is the lockfile as read (nil when there is none or it is being
	// rewritten); Pins its sha256s by fetch.PinKey; LockDiffs how the
	// flags differ from it.
	Lock      *lockfile.File
	Pins      map[string]string
	LockDiffs []string
	// Offers is what the mirrors' index.json files hold for this build.
	Offers MirrorOffers
}

// MirrorOffers are the modules and custom tarballs a mirror's index.json
// lists for this build.
type MirrorOffers struct {
	// Tarballs are the mirror's copies of tarball and debian modules
	// ("module:NAME") and custom component tarballs ("source:NAME").
	Tarballs map[string]source.Artifact
	// Bundles are git bundles of module repositories, to download and
	// clone from instead of the repository; BundleFor names their trees.
	Bundles   []source.Artifact
	BundleFor []module3rd.Module
	// Commits are the commits the index pinned for git modules' revs.
	Commits map[string]string
}

// Server is the component built.
func (r *Resolved) Server() pin.Component { return r.Components[0] }

// Component is the resolved component called name.
func (r *Resolved) Component(name string) (pin.Component, bool) {
	for _, c := range r.Components {
		if c.Name == name {
			return c, true
		}
	}
	return pin.Component{}, false
}

// BuildDir is nginx-build's layout: <work>/<server>/<version>, and
// <work>/nginx/<name> for a custom nginx (whatever its tag).
func (r *Resolved) BuildDir() string {
	s := r.Server()
	if s.CustomURL != "" {
		return filepath.Join(r.Plan.WorkDir, "nginx", s.Name)
	}
	return filepath.Join(r.Plan.WorkDir, s.Name, s.Version)
}

// SourceDir is the server's source tree, where configure and make run.
func (r *Resolved) SourceDir() string {
	return r.TreeDir(r.Server())
}

// TreeDir is where a component's tree is unpacked or checked out, in the
// build dir (see TreeName).
func (r *Resolved) TreeDir(c pin.Component) string {
	return filepath.Join(r.BuildDir(), TreeName(c))
}

// TreeName is the directory of a component's tree beside the nginx tree:
// <name>-<version>, and <name>-custom for a custom component
// (CustomTreeName).
func TreeName(c pin.Component) string {
	if c.CustomURL != "" {
		return CustomTreeName(c.Name)
	}
	return c.Name + "-" + c.Version
}

// Mirrored is the mirror's copy of a tarball module ("module:NAME") or a
// custom source tarball ("source:NAME").
func (r *Resolved) Mirrored(key string) (source.Artifact, bool) {
	a, ok := r.Offers.Tarballs[key]
	return a, ok
}

// Tree is the pinned record of a git or hg tree, module or git source.
func (r *Resolved) Tree(m module3rd.Module) pin.Module {
	return pin.Module{Name: m.Name, Form: m.Form, URL: m.URL, Rev: m.Rev, Commit: r.Commits[m.Name], Dynamic: m.Dynamic, License: m.License}
}

// with returns a copy of r whose maps and slices may be replaced without
// touching r.
func (r *Resolved) with() *Resolved {
	c := *r
	c.Components = append([]pin.Component(nil), r.Components...)
	return &c
}
