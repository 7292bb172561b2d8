package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/netfail"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/mirrorindex"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/modules"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/record"
	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
)

// Options say what a command needs resolved beyond versions and commits.
type Options struct {
	// Relock resolves afresh, ignoring an existing lockfile (the lock
	// command, which then rewrites it).
	Relock bool
	// Script generates the configure script (builds).
	Script bool
	// CheckNames refuses modules whose directory beside the nginx tree is
	// taken (commands that lay out a build dir).
	CheckNames bool
	// Digest computes the input digest, which step and up-to-date stamps
	// belong to (builds; modules for an existing binary trust none).
	Digest bool
	// DryRun downloads nothing, not even a mirror's git bundle to look
	// an abbreviated commit up in.
	DryRun bool
}

// Resolve pins everything: Pin, then Locate.
func Resolve(ctx context.Context, p *Plan, env Env, opt Options) (*Resolved, error) {
	r, err := Pin(ctx, p, env, opt)
	if err != nil {
		return nil, err
	}
	return Locate(ctx, r, env)
}

// Pin decides what is built without locating a tarball: the lockfile's
// pins, every component's exact version, the mirrors' offers for modules,
// every git and hg tree's commit, the configure script and the input
// digest. Exact versions need no index, so a fully pinned build reaches
// its up-to-date check without touching the network.
func Pin(ctx context.Context, p *Plan, env Env, opt Options) (*Resolved, error) {
	r := &Resolved{Plan: p, Commits: map[string]string{}}
	for _, c := range p.Components() {
		r.Components = append(r.Components, pin.Component{Name: c.Name, Constraint: c.Constraint, CustomURL: c.CustomURL})
	}
	if !opt.Relock {
		if err := r.applyLockfile(); err != nil {
			return nil, err
		}
	}
	if err := r.resolveVersions(ctx, env); err != nil {
		return nil, err
	}
	if opt.CheckNames {
		if err := r.checkModuleNames(); err != nil {
			return nil, err
		}
	}
	if err := r.readMirrorOffers(ctx, env); err != nil {
		return nil, err
	}
	if err := r.pinCommits(ctx, env, opt.DryRun); err != nil {
		return nil, err
	}
	var err error
	if opt.Digest {
		if r.Digest, err = inputDigest(r, env.ToolVersion); err != nil {
			return nil, err
		}
	}
	if opt.Script {
		var replaced []configure.Replaced
		if r.Script, r.ModuleArgs, replaced, err = generateScript(r); err != nil {
			return nil, err
		}
		for _, o := range replaced {
			env.IO.Warnf("%s:%d: %s is replaced by %s", r.Plan.configureFileName(), o.Line, o.Option, o.By)
		}
	}
	return r, nil
}

// applyLockfile reads an existing lockfile: components whose constraint is
// unchanged get the locked version and sha256; with --locked, any
// difference between the flags and the lockfile is fatal.
func (r *Resolved) applyLockfile() error {
	p := r.Plan
	if p.Lockfile == "" {
		return nil
	}
	l, err := lockfile.Read(p.Lockfile)
	if err != nil {
		return err
	}
	if l == nil {
		if p.Locked {
			return fmt.Errorf("--locked: no lockfile at %s (write one with `nginx-build lock`)", p.Lockfile)
		}
		return nil
	}
	r.Lock, r.Pins = l, map[string]string{}
	var diffs []string
	for i, c := range r.Components {
		if c.CustomURL != "" && !IsTarballURL(c.CustomURL) {
			continue // a git tree: pinned as a commit among the modules
		}
		e := l.Component(c.Name)
		switch {
		case e == nil:
			diffs = append(diffs, fmt.Sprintf("%s %s is not in the lockfile", c.Name, c.Constraint))
		case e.Constraint != c.Constraint:
			diffs = append(diffs, fmt.Sprintf("%s: flags ask for %q, the lockfile has %q (%s)", c.Name, c.Constraint, e.Constraint, e.Version))
		default:
			r.Components[i].Version = e.Version
			r.Pins[fetch.PinKey(e.Name, e.Version)] = e.SHA256
		}
	}
	for _, e := range l.Components {
		if _, ok := p.Component(e.Name); !ok {
			diffs = append(diffs, fmt.Sprintf("the lockfile has %s %s, which the flags do not ask for", e.Name, e.Version))
		}
	}
	for _, m := range p.Trees() {
		if e := p.lockedTree(l, m); e == nil || e.URL != m.URL || e.Rev != m.Rev || e.Form != m.Form {
			diffs = append(diffs, fmt.Sprintf("module %s differs from the lockfile", m.Name))
		}
	}
	if len(diffs) > 0 && p.Locked {
		return fmt.Errorf("--locked: the build differs from %s:\n  %s\nrun `nginx-build lock` with these flags to update it", p.Lockfile, strings.Join(diffs, "\n  "))
	}
	r.LockDiffs = diffs
	return nil
}

// lockedTree is the lockfile's entry for a module or git source tree.
// Lockfiles written before custom sources moved to nginx-build's layout
// name a source's tree <name>-<tag>: that entry still counts, so their
// pins keep holding (the next lockfile write renames it).
func (p *Plan) lockedTree(l *lockfile.File, m module3rd.Module) *pin.Module {
	if e := l.Module(m.Name); e != nil {
		return e
	}
	if c, ok := p.SourceOf(m); ok {
		return l.Module(c.Name + "-" + m.Rev)
	}
	return nil
}

// resolveVersions turns every component's constraint into an exact
// version: the locked one, the constraint itself when exact, else the
// newest matching one of the mirrors' (or upstream's) index. A component
// that cannot be had does not stop the others: one error names them all
// (and, since the run fails anyway, the exact versions no mirror has).
func (r *Resolved) resolveVersions(ctx context.Context, env Env) error {
	p := r.Plan
	ix := &source.Index{HTTP: env.HTTP, CacheDir: p.CacheDir, Refresh: p.Refresh, Warn: env.IO.Warnf}
	mirrors := p.Mirrors()
	var errs componentErrors
	var exact []int
	for i := range r.Components {
		spec := &r.Components[i]
		if spec.Version != "" {
			exact = append(exact, i) // pinned by the lockfile
			continue
		}
		if spec.CustomURL != "" {
			spec.Version = spec.Constraint // the tag; custom sources have no index
			continue
		}
		c, err := source.Lookup(spec.Name)
		if err != nil {
			return err
		}
		k, err := source.ParseConstraint(c, spec.Constraint)
		if err != nil {
			return err
		}
		if v, ok := k.Exact(); ok {
			spec.Version = v
			exact = append(exact, i)
			continue
		}
		listing, used, err := ix.VersionsFrom(ctx, c, mirrors)
		if err == nil {
			// A mirror that failed is not asked again for the next component.
			for len(mirrors) > 1 && mirrors[0] != used {
				mirrors = mirrors[1:]
			}
			err = r.pickVersion(env, spec, c, k, listing, used)
		} else {
			err = r.noListing(spec, c, mirrors, err)
		}
		if err != nil {
			if ctx.Err() != nil || netfail.Find(err) != nil {
				return err // not a missing component: nothing answers
			}
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	if p.Mirror.IsFileTree() {
		errs = append(errs, r.missingExact(ctx, env, exact)...)
	}
	return errs.err()
}

// pickVersion sets spec's version to the newest one of listing that its
// constraint allows and says which, or for a component the user gave no
// version (Plan.Component.Unasked), to the mirror's newest stable
// release.
func (r *Resolved) pickVersion(env Env, spec *pin.Component, c source.Component, k source.Constraint, listing source.Listing, used source.Mirror) error {
	if comp, _ := r.Plan.Component(spec.Name); comp.Unasked {
		v, stable, ok := newestStable(c, listing.Versions)
		if !ok {
			return fmt.Errorf("%s: no version asked, and mirror %s has no %s release (%s/%s-VERSION.tar.{gz,xz,bz2})", c.Name, used, c.Name, c.Name, c.Name)
		}
		spec.Version = v
		if stable {
			env.IO.Infof("%s: no version asked; using %s, the newest stable on mirror %s", c.Name, v, used)
		} else {
			env.IO.Infof("%s: no version asked; using %s, the newest on mirror %s (it has no stable %s)", c.Name, v, used, c.Name)
		}
		return nil
	}
	v, err := k.Pick(c, listing.Versions)
	if err != nil {
		return err
	}
	spec.Version = v
	env.IO.Infof("%s %s → %s (versions from %s)", spec.Name, spec.Constraint, v, listing.From)
	return nil
}

// noListing is the error of a component whose versions no mirror could
// list.
func (r *Resolved) noListing(spec *pin.Component, c source.Component, mirrors []source.Mirror, err error) error {
	if comp, _ := r.Plan.Component(spec.Name); comp.Unasked {
		return fmt.Errorf("%s: no version asked, and no %s release found on mirror %s: %w", c.Name, c.Name, mirrors[len(mirrors)-1], err)
	}
	return fmt.Errorf("resolve %s %q: %w", spec.Name, spec.Constraint, err)
}

// newestStable is the version a component the user gave no version for
// is built at: the newest release of the stable line for nginx and
// freenginx (stable is then true), else the newest release; never a
// pre-release. ok is false when versions hold no release.
func newestStable(c source.Component, versions []string) (v string, stable, ok bool) {
	if c.HasStableLines() {
		if k, err := source.ParseConstraint(c, "stable"); err == nil {
			if v, err := k.Pick(c, versions); err == nil {
				return v, true, true
			}
		}
	}
	k, err := source.ParseConstraint(c, "latest")
	if err != nil {
		return "", false, false
	}
	v, err = k.Pick(c, versions)
	return v, !c.HasStableLines(), err == nil
}

// missingExact are the errors of the components at exact versions (given
// so, or locked) that no mirror has: a resolution that fails anyway says
// them too, so that one run names everything a mirror lacks.
func (r *Resolved) missingExact(ctx context.Context, env Env, exact []int) componentErrors {
	var errs componentErrors
	for _, i := range exact {
		spec := r.Components[i]
		if spec.CustomURL != "" {
			continue
		}
		c, err := source.Lookup(spec.Name)
		if err != nil {
			continue
		}
		if _, err := locateAny(ctx, env, mirrorIndexes{}, r.Plan.Mirrors(), c, spec.Version); err != nil && ctx.Err() == nil && netfail.Find(err) == nil {
			errs = append(errs, fmt.Errorf("resolve %s %s: %w", spec.Name, spec.Version, err))
		}
	}
	return errs
}

// Files nginx-build writes into the build dir beside the build record
// (record.File); no module may be called after one of them.
const (
	StampFile = ".nginx-build-stamp.json"
	PatchLog  = "nginx-patch.log"
)

// checkModuleNames refuses a module whose directory beside the nginx tree
// (../<name>) is already taken: by a component's tree (a module called
// nginx-1.30.1 or pcre2-10.42 would overwrite it), or by a file the build
// writes there. It runs once versions are known, before any download.
func (r *Resolved) checkModuleNames() error {
	taken := map[string]string{}
	for _, c := range r.Components {
		taken[TreeName(c)] = fmt.Sprintf("the source tree of %s %s", c.Name, c.Version)
	}
	for _, f := range []string{record.File, StampFile, PatchLog} {
		taken[f] = "a file nginx-build writes there"
	}
	for _, m := range r.Plan.Modules {
		if m.Form == module3rd.FormLocal {
			continue // used in place, not copied beside the tree
		}
		if what, ok := taken[m.Name]; ok {
			return fmt.Errorf("%smodule %q: its directory %s is %s; give the module another name",
				modules.Pos(m), m.Name, filepath.Join(r.BuildDir(), m.Name), what)
		}
	}
	return nil
}

// readMirrorOffers reads the index.json of each --mirror tree: what it
// holds of this build's modules (git bundles, tarball and debian modules,
// with the commit each git rev was pinned to) and custom tarballs. A
// build with --mirror takes them from there instead of their own URLs.
func (r *Resolved) readMirrorOffers(ctx context.Context, env Env) error {
	p := r.Plan
	r.Offers = MirrorOffers{Tarballs: map[string]source.Artifact{}, Commits: map[string]string{}}
	var customs []pin.Component
	for _, c := range r.Components {
		if c.CustomURL != "" && IsTarballURL(c.CustomURL) {
			customs = append(customs, c)
		}
	}
	if len(p.Trees()) == 0 && len(customs) == 0 {
		return nil
	}
	for _, mirror := range p.Mirrors() {
		if !mirror.IsFileTree() {
			continue
		}
		b, err := mirror.ReadFile(ctx, env.HTTP, "index.json")
		if err != nil {
			env.IO.Debugf("mirror %s has no index.json (%v): modules come from their own URLs", mirror, err)
			continue
		}
		var idx mirrorindex.Index
		if err := json.Unmarshal(b, &idx); err != nil {
			env.IO.Warnf("mirror %s: index.json is damaged (%v): modules come from their own URLs", mirror, err)
			continue
		}
		pinnedBy := "index.json of mirror " + mirror.String()
		for _, m := range p.Trees() {
			key := "module:" + m.Name
			if _, done := r.Offers.Tarballs[key]; done {
				continue
			}
			e, ok := idx.FindModule(m.Form, m.URL, m.Rev)
			if !ok {
				continue
			}
			a := source.Artifact{
				Component: "module-" + m.Name, Version: e.Version, FileName: path.Base(e.Path),
				URLs: []string{mirror.FileURL(e.Path)}, PinnedSHA256: e.SHA256, PinnedBy: pinnedBy, PinnedByMirror: true,
			}
			switch m.Form {
			case module3rd.FormGit:
				// Named by content: the mirror may be refreshed in place.
				a.FileName = m.Name + "-" + e.SHA256[:16] + ".bundle"
				a.Version = modules.Short(e.Commit)
				r.Offers.Bundles, r.Offers.BundleFor = append(r.Offers.Bundles, a), append(r.Offers.BundleFor, m)
				if e.Rev == m.Rev && e.Commit != "" {
					r.Offers.Commits[m.Name] = e.Commit
				}
			case module3rd.FormTarball:
				if sum, err := m.SHA256(); err == nil && sum != "" {
					a.PinnedSHA256, a.PinnedBy = sum, "modules.json" // a mismatch with the mirror's copy is fatal
					a.PinnedByMirror = false
				}
				a.URLs = append(a.URLs, modules.TarballURL(m))
			}
			r.Offers.Tarballs[key] = a
			env.IO.Infof("module %s from mirror %s (%s)", m.Name, mirror, e.Path)
		}
		for _, c := range customs {
			key := "source:" + c.Name
			if _, done := r.Offers.Tarballs[key]; done {
				continue
			}
			for _, f := range idx.Files {
				if f.CustomURL == c.CustomURL && f.SHA256 != "" {
					a := source.Artifact{
						Component: c.Name, Version: c.Version, FileName: path.Base(f.Path),
						URLs: []string{mirror.FileURL(f.Path), c.CustomURL}, PinnedSHA256: f.SHA256, PinnedBy: pinnedBy, PinnedByMirror: true,
					}
					if f.UnverifiedUpstream {
						a.UnverifiedUpstream = mirror.String()
					}
					r.Offers.Tarballs[key] = a
					env.IO.Infof("%s from mirror %s (%s)", c.Name, mirror, f.Path)
					break
				}
			}
		}
	}
	return nil
}

// pinCommits pins every git and hg tree to a commit (an hg changeset)
// before anything is downloaded: the locked one when the lockfile has it,
// the one a mirror's index pinned, else what rev names now (git ls-remote
// or hg identify, no clone needed).
func (r *Resolved) pinCommits(ctx context.Context, env Env, dryRun bool) error {
	cache := modules.Cache{Dir: r.Plan.CacheDir, IO: env.IO}
	for _, m := range r.Plan.Trees() {
		if !modules.IsRepository(m.Form) {
			continue
		}
		if r.Lock != nil {
			if e := r.Plan.lockedTree(r.Lock, m); e != nil && e.URL == m.URL && e.Rev == m.Rev && e.Form == m.Form && e.Commit != "" {
				r.Commits[m.Name] = e.Commit
				r.announceSource(env, m, "pinned in "+filepath.Base(r.Plan.Lockfile))
				continue
			}
		}
		if c, ok := r.Offers.Commits[m.Name]; ok && c != "" && !modules.FullCommit.MatchString(m.Rev) {
			r.Commits[m.Name] = c
			r.announceSource(env, m, "pinned in a mirror's index.json")
			continue
		}
		if cache.Bundles == nil && !dryRun && len(r.Offers.Bundles) > 0 &&
			m.Form == module3rd.FormGit && modules.CommitLike.MatchString(m.Rev) && !modules.FullCommit.MatchString(m.Rev) {
			// An abbreviated commit may have to be looked up in the
			// cache's clone, which is cloned from the mirror's bundle.
			bundles, err := r.FetchBundles(ctx, env)
			if err != nil {
				return err
			}
			cache.Bundles = bundles
		}
		form, err := modules.For(m.Form)
		if err != nil {
			return err
		}
		commit, err := form.Pin(ctx, cache, m)
		if err != nil {
			return err
		}
		r.Commits[m.Name] = commit
		r.announceSource(env, m, "")
	}
	return nil
}

// announceSource says which commit a custom component's git tree is
// built at, and why when it is not what the rev names now (pinnedBy): a
// tag or the default branch may have moved since it was pinned.
// Modules are not announced; only these trees are the server or its SSL
// library.
func (r *Resolved) announceSource(env Env, m module3rd.Module, pinnedBy string) {
	c, ok := r.Plan.SourceOf(m)
	if !ok {
		return
	}
	flag := "customssl"
	if c.Name == r.Plan.Server.Name {
		flag = "customnginx"
	}
	what := fmt.Sprintf("%q", m.Rev)
	if m.Rev == DefaultBranch {
		what = "the default branch"
	}
	why := ""
	if pinnedBy != "" {
		why = " (" + pinnedBy + ")"
	}
	env.IO.Infof("%s: building %s of %s at commit %s%s", flag, what, m.URL, modules.Short(r.Commits[m.Name]), why)
}

// FetchBundles downloads and verifies the mirrors' git bundles of this
// build's trees into the cache (a cached one is not downloaded again) and
// returns their paths by repository URL.
func (r *Resolved) FetchBundles(ctx context.Context, env Env) (map[string]string, error) {
	out := map[string]string{}
	if len(r.Offers.Bundles) == 0 {
		return out, nil
	}
	f := &fetch.Fetcher{CacheDir: r.Plan.CacheDir, HTTP: env.HTTP, IO: env.IO, Trust: fetch.Trust{Policy: r.Plan.Verify, IO: env.IO}}
	res, err := f.FetchAll(ctx, r.Offers.Bundles)
	if err != nil {
		return nil, fmt.Errorf("git bundles from the mirror: %w", err)
	}
	for i, b := range res {
		out[r.Offers.BundleFor[i].URL] = b.Path
	}
	return out, nil
}

// Locate pins every component to a tarball: its URLs on the first mirror
// that has it (later mirrors' copies as fallbacks), and says how it will
// be verified. Custom components given as git repositories have no
// tarball.
func Locate(ctx context.Context, r *Resolved, env Env) (*Resolved, error) {
	out := r.with()
	out.Artifacts = nil
	var missing componentErrors
	indexes := mirrorIndexes{}
	for i, c := range out.Components {
		var a source.Artifact
		if c.CustomURL != "" {
			if ma, ok := out.Mirrored("source:" + c.Name); ok {
				a = ma
			} else if IsTarballURL(c.CustomURL) {
				a = source.Artifact{Component: c.Name, Version: c.Version, FileName: path.Base(c.CustomURL), URLs: []string{c.CustomURL}}
			} else {
				continue
			}
		} else {
			comp, err := source.Lookup(c.Name)
			if err != nil {
				return nil, err
			}
			if a, err = locateAny(ctx, env, indexes, out.Plan.Mirrors(), comp, c.Version); err != nil {
				err = fmt.Errorf("resolve %s %s: %w", c.Name, c.Version, err)
				if ctx.Err() != nil || netfail.Find(err) != nil {
					return nil, err
				}
				// Every component a mirror lacks is named in one error.
				missing = append(missing, err)
				continue
			}
		}
		out.Artifacts = append(out.Artifacts, a)
		out.Components[i].URL = a.URLs[0]
		out.Components[i].Verify = out.verifyPlan(a, env.KeyPins)
	}
	if err := missing.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Located is the resolved component of each located tarball, in
// Artifacts order.
func (r *Resolved) Located() []pin.Component {
	var out []pin.Component
	for _, a := range r.Artifacts {
		c, _ := r.Component(a.Component)
		out = append(out, c)
	}
	return out
}

// locateAny finds a tarball on the first mirror that has it; the same file
// on later mirrors is added as fallback download URLs. A mirror whose
// index.json says nothing upstream verified the tarball when it was
// mirrored is named in the artifact (UnverifiedUpstream).
func locateAny(ctx context.Context, env Env, indexes mirrorIndexes, mirrors []source.Mirror, c source.Component, version string) (source.Artifact, error) {
	var found *source.Artifact
	var errs joinedErrors
	for _, m := range mirrors {
		a, err := source.Locate(ctx, env.HTTP, m, c, version)
		switch {
		case err != nil:
			errs = append(errs, err)
		case found == nil:
			if m.IsFileTree() && indexes.get(ctx, env, m).UnverifiedUpstream(c.Name+"/"+a.FileName) {
				a.UnverifiedUpstream = m.String()
			}
			found = &a
		case a.FileName == found.FileName:
			found.URLs = append(found.URLs, a.URLs...)
		}
	}
	if found == nil {
		return source.Artifact{}, errs
	}
	return *found, nil
}

// mirrorIndexes are the index.json files of the mirror trees one Locate
// has read, by mirror, so that each is read once.
type mirrorIndexes map[string]mirrorindex.Index

// get reads m's index.json; a mirror without one (or with a damaged one,
// which readMirrorOffers warns about) says nothing about its files.
func (x mirrorIndexes) get(ctx context.Context, env Env, m source.Mirror) mirrorindex.Index {
	if idx, ok := x[m.String()]; ok {
		return idx
	}
	var idx mirrorindex.Index
	if b, err := m.ReadFile(ctx, env.HTTP, "index.json"); err == nil {
		if err := json.Unmarshal(b, &idx); err != nil {
			idx = mirrorindex.Index{}
		}
	}
	x[m.String()] = idx
	return idx
}

// joinedErrors is one error per mirror, on one line; errors.Is and As see
// each of them.
type joinedErrors []error

func (e joinedErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e joinedErrors) Unwrap() []error { return e }

// componentErrors is one error per component that cannot be had, so that
// one run names them all, one a line; errors.Is and As see each of them.
type componentErrors []error

func (e componentErrors) Error() string {
	if len(e) == 1 {
		return e[0].Error()
	}
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%d components cannot be resolved:\n  %s", len(e), strings.Join(msgs, "\n  "))
}

func (e componentErrors) Unwrap() []error { return e }

// err is e as an error: nil when empty, the error itself when alone.
func (e componentErrors) err() error {
	switch len(e) {
	case 0:
		return nil
	case 1:
		return e[0]
	}
	return e
}

// verifyPlan says how a tarball will be checked once downloaded; pins
// are the keys that will be fetched if its signature needs one.
func (r *Resolved) verifyPlan(a source.Artifact, pins verify.KeyPins) string {
	p := r.Plan
	if p.Verify == fetch.PolicyOff {
		return "nothing (--verify off)"
	}
	maybe := ""
	if a.SidecarsOptional {
		maybe = " (if published)"
	}
	var checks []string
	if a.SignatureURL != "" {
		keys, _ := verify.Keyring(a.Component)
		switch {
		case len(keys)+len(p.ComponentKeys[a.Component])+len(p.ExtraKeys) > 0:
			checks = append(checks, "OpenPGP signature "+a.SignatureURL+maybe)
		case len(pins[a.Component]) > 0:
			checks = append(checks, "OpenPGP signature "+a.SignatureURL+maybe+" by a key pinned for "+a.Component+", fetched if needed")
		default:
			checks = append(checks, "signature "+a.SignatureURL+maybe+" cannot be checked: no "+a.Component+" key")
		}
	}
	switch {
	case a.ChecksumURL != "" && a.UnverifiedUpstream != "":
		// The mirror's own checksum: --verify strict will refuse it.
		checks = append(checks, "sha256 from "+a.ChecksumURL+", the mirror's own (unverified upstream)")
	case a.ChecksumURL != "":
		checks = append(checks, "sha256 from "+a.ChecksumURL+maybe)
	}
	if sum, ok := verify.KnownChecksum(a.Component, a.FileName); ok {
		checks = append(checks, "built-in "+sum.Algo)
	}
	if r.Pins[fetch.PinKey(a.Component, a.Version)] != "" {
		checks = append(checks, "sha256 pinned in "+filepath.Base(p.Lockfile))
	}
	if len(checks) == 0 {
		return "none: nothing published to verify against"
	}
	return strings.Join(checks, "; ")
}

// generateScript writes the configure script before anything is
// downloaded, so duplicate or conflicting options fail fast. It returns
// the -c script's options that an embedded library's replaced, for a
// warning.
func generateScript(r *Resolved) (string, []string, []configure.Replaced, error) {
	p := r.Plan
	// OpenResty's configure hands the options to nginx's configure inside
	// build/nginx-X/, where ../ means something else: use absolute paths.
	openresty := p.Server.Name == "openresty"
	var libs []configure.Library
	for _, spec := range r.Components[1:] {
		option, ssl, flag := "openssl", true, "-customssl" // a custom library is an SSL library
		if spec.CustomURL == "" {
			c, err := source.Lookup(spec.Name)
			if err != nil {
				return "", nil, nil, err
			}
			option, ssl, flag = c.ConfigureOption, c.Role == source.RoleSSL, "-"+flagFor(spec.Name)
		}
		dir := "../" + TreeName(spec)
		if openresty {
			dir = r.TreeDir(spec)
		}
		libs = append(libs, configure.Library{Option: option, Dir: dir, SSL: ssl, Flag: flag})
	}
	userArgs := append([]string(nil), p.ExtraArgs...)
	if strings.TrimSpace(p.ConfigureScript) != "" {
		args, err := configure.Args(p.ConfigureScript)
		if err != nil {
			return "", nil, nil, fmt.Errorf("configure script: %w", err)
		}
		userArgs = append(userArgs, args...)
	}
	var moduleArgs []string
	dynamic := false
	for _, m := range p.Modules {
		dir := "../" + m.Name
		switch {
		case m.Form == module3rd.FormLocal:
			dir = m.URL
		case openresty:
			dir = filepath.Join(r.BuildDir(), m.Name)
		}
		opt := "--add-module="
		if m.Dynamic {
			opt = "--add-dynamic-module="
			dynamic = true
		}
		moduleArgs = append(moduleArgs, opt+dir)
	}
	// Dynamic modules are only loadable into a binary built with the same
	// options unless both sides use --with-compat.
	if dynamic && !p.KeepCompat && !slices.Contains(userArgs, "--with-compat") {
		moduleArgs = append([]string{"--with-compat"}, moduleArgs...)
	}
	extra := p.ExtraArgs
	if openresty {
		// OpenResty's configure builds LuaJIT and friends itself; -jN is its option.
		extra = append([]string{fmt.Sprintf("-j%d", p.Jobs)}, extra...)
	}
	script, replaced, err := configure.Generate(configure.Input{
		UserScript: p.ConfigureScript,
		Libraries:  libs,
		ModuleArgs: moduleArgs,
		ExtraArgs:  extra,
	})
	if err != nil {
		return "", nil, nil, fmt.Errorf("configure script: %w", err)
	}
	return script, moduleArgs, replaced, nil
}

// Tarballs are the module tarballs (tarball and debian modules) to
// download with the components: the mirror's copy when it has one.
func (r *Resolved) Tarballs(ctx context.Context) ([]source.Artifact, []module3rd.Module, error) {
	var arts []source.Artifact
	var of []module3rd.Module
	debian := r.Plan.Mirror
	if !debian.IsDebian() {
		debian = source.DebianArchive(filepath.Join(r.Plan.CacheDir, "debian"), source.AptOptions{Refresh: r.Plan.Refresh})
	}
	for _, m := range r.Plan.Modules {
		if !modules.IsTarball(m.Form) {
			continue
		}
		var a source.Artifact
		var err error
		if ma, ok := r.Mirrored("module:" + m.Name); ok {
			a = ma
		} else if m.Form == module3rd.FormDebian {
			a, err = source.LocateDebianPackage(ctx, debian, "module-"+m.Name, m.URL, m.Rev)
		} else {
			a, err = modules.TarballArtifact(m)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%smodule %s: %w", modules.Pos(m), m.Name, err)
		}
		arts, of = append(arts, a), append(of, m)
	}
	return arts, of, nil
}
