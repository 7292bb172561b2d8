package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/mirrorindex"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/source"
)

// Modules from a mirror. `nginx-build mirror` copies modules (and custom
// sources) into the mirror and lists them in its index.json, by the URL
// modules.json (or -customnginx/-customssl) gives. A build with --mirror
// looks every module up there first:
//
//   - a git module is cloned from the mirror's bundle of its repository
//     (verified against the index's sha256), at the commit the index
//     pinned for its rev — no git ls-remote, no network;
//   - a tarball or debian module, and a custom source tarball, are
//     downloaded from the mirror instead of their URL (or apt), checked
//     against the sha256 in the index.
//
// Only this file knows about it: the rest of the pipeline asks
// gitRemote, mirrorCommit and mirrored.

// mirrorModulesStage reads the index.json of each --mirror tree and
// fetches the git bundles the build needs.
type mirrorModulesStage struct{}

func (mirrorModulesStage) Name() string { return "modules from the mirror" }

func (mirrorModulesStage) Run(ctx context.Context, s *State) error {
	s.fromMirror = map[string]source.Artifact{}
	s.mirrorCommits = map[string]string{}
	s.gitBundles = map[string]string{}
	var customs []ComponentSpec
	for _, c := range s.Plan.Components() {
		if c.Custom() && IsTarballURL(c.CustomURL) {
			customs = append(customs, c)
		}
	}
	if len(s.Plan.gitTrees()) == 0 && len(customs) == 0 {
		return nil
	}
	var bundles []source.Artifact
	var bundleOf []module3rd.Module
	for _, mirror := range append([]source.Mirror{s.Plan.Mirror}, s.Plan.FallbackMirrors...) {
		if !mirror.IsFileTree() {
			continue
		}
		b, err := mirror.ReadFile(ctx, s.Env.HTTP, "index.json")
		if err != nil {
			s.Env.IO.Debugf("mirror %s has no index.json (%v): modules come from their own URLs", mirror, err)
			continue
		}
		var idx mirrorindex.Index
		if err := json.Unmarshal(b, &idx); err != nil {
			s.Env.IO.Warnf("mirror %s: index.json is damaged (%v): modules come from their own URLs", mirror, err)
			continue
		}
		pin := "index.json of mirror " + mirror.String()
		for _, m := range s.Plan.gitTrees() {
			key := "module:" + m.Name
			if _, done := s.fromMirror[key]; done {
				continue
			}
			e, ok := idx.FindModule(m.Form, m.URL, m.Rev)
			if !ok {
				continue
			}
			a := source.Artifact{
				Component: "module-" + m.Name, Version: e.Version, FileName: path.Base(e.Path),
				URLs: []string{mirror.FileURL(e.Path)}, PinnedSHA256: e.SHA256, PinnedBy: pin,
			}
			switch m.Form {
			case "git":
				// Named by content: the mirror may be refreshed in place.
				a.FileName = m.Name + "-" + e.SHA256[:16] + ".bundle"
				a.Version = shortCommit(e.Commit)
				bundles, bundleOf = append(bundles, a), append(bundleOf, m)
				if e.Rev == m.Rev && e.Commit != "" {
					s.mirrorCommits[m.Name] = e.Commit
				}
			case "tarball":
				if sum, err := m.SHA256(); err == nil && sum != "" {
					a.PinnedSHA256, a.PinnedBy = sum, "modules.json" // a mismatch with the mirror's copy is fatal
				}
				a.URLs = append(a.URLs, tarballModuleURL(m))
			}
			s.fromMirror[key] = a
			s.Env.IO.Infof("module %s from mirror %s (%s)", m.Name, mirror, e.Path)
		}
		for _, c := range customs {
			key := "source:" + c.Name
			if _, done := s.fromMirror[key]; done {
				continue
			}
			for _, f := range idx.Files {
				if f.CustomURL == c.CustomURL && f.SHA256 != "" {
					s.fromMirror[key] = source.Artifact{
						Component: c.Name, Version: c.Version, FileName: path.Base(f.Path),
						URLs: []string{mirror.FileURL(f.Path), c.CustomURL}, PinnedSHA256: f.SHA256, PinnedBy: pin,
					}
					s.Env.IO.Infof("%s from mirror %s (%s)", c.Name, mirror, f.Path)
					break
				}
			}
		}
	}
	if len(bundles) == 0 || s.Plan.DryRun {
		return nil
	}
	f := &fetch.Fetcher{CacheDir: s.Plan.CacheDir, HTTP: s.Env.HTTP, IO: s.Env.IO, Trust: fetch.Trust{Policy: s.Plan.Verify, IO: s.Env.IO}}
	res, err := f.FetchAll(ctx, bundles)
	if err != nil {
		return fmt.Errorf("git bundles from the mirror: %w", err)
	}
	for i, r := range res {
		s.gitBundles[bundleOf[i].URL] = r.Path
	}
	return nil
}

// gitRemote is where a git tree is cloned and fetched from: the mirror's
// bundle of its repository when there is one, else its URL.
func gitRemote(s *State, m module3rd.Module) string {
	if b, ok := s.gitBundles[m.URL]; ok {
		return b
	}
	return m.URL
}

// mirrorCommit is the commit the mirror's index pinned for the module's
// rev, if the mirror has the module at that rev.
func mirrorCommit(s *State, m module3rd.Module) (string, bool) {
	c, ok := s.mirrorCommits[m.Name]
	return c, ok && c != ""
}

// tarballModuleURL is a tarball module's own address (a path becomes a
// file:// URL), the fallback behind the mirror's copy.
func tarballModuleURL(m module3rd.Module) string {
	if strings.Contains(m.URL, "://") {
		return m.URL
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(m.URL)}).String()
}

// mirrored is the mirror's copy of a tarball module ("module:NAME") or a
// custom source tarball ("source:NAME").
func mirrored(s *State, key string) (source.Artifact, bool) {
	a, ok := s.fromMirror[key]
	return a, ok
}
