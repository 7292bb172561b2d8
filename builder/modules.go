package builder

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/record"
	"github.com/nginx-build/nginx-build/source"
)

// tarballModuleArtifact describes a "tarball" module as a download: a URL,
// or a path that is turned into a file:// URL. The cache knows a local
// file by its content, which may change under the same path, and a URL
// with a checksum by both: a new checksum fetches again.
func tarballModuleArtifact(m module3rd.Module) (source.Artifact, error) {
	u := m.URL
	if !strings.Contains(u, "://") {
		u = (&url.URL{Scheme: "file", Path: filepath.ToSlash(u)}).String()
	}
	pu, err := url.Parse(u)
	if err != nil {
		return source.Artifact{}, fmt.Errorf("module %s: url %q: %w", m.Name, m.URL, err)
	}
	sum, err := m.SHA256()
	if err != nil {
		return source.Artifact{}, fmt.Errorf("module %s: %w", m.Name, err)
	}
	a := source.Artifact{
		Component: "module-" + m.Name, FileName: path.Base(pu.Path), URLs: []string{u},
		PinnedSHA256: sum, PinnedBy: "modules.json",
	}
	if sum != "" {
		a.CacheKey = u + "#sha256:" + sum
	}
	local, err := localTarballSHA256(m)
	if err != nil {
		return source.Artifact{}, err
	}
	if local != "" {
		a.CacheKey = "sha256:" + local
	}
	return a, nil
}

// localTarballSHA256 is the sha256 of a "tarball" module given as a local
// path (or file:// URL), "" for other modules.
func localTarballSHA256(m module3rd.Module) (string, error) {
	if m.Form != "tarball" {
		return "", nil
	}
	p := m.URL
	if strings.Contains(p, "://") {
		pu, err := url.Parse(p)
		if err != nil || pu.Scheme != "file" {
			return "", nil
		}
		p = filepath.FromSlash(pu.Path)
	}
	sum, err := fetch.FileSHA256(p)
	if err != nil {
		return "", fmt.Errorf("%smodule %s: %w", posPrefix(m.Pos), m.Name, err)
	}
	return sum, nil
}

// provisionModule puts a third-party module beside the nginx source tree
// (../<name>) at its resolved revision and runs its shprov command. Local
// modules are used in place.
func provisionModule(ctx context.Context, s *State, m module3rd.Module) error {
	dir := filepath.Join(s.Plan.BuildDir(), m.Name)
	log := filepath.Join(s.Plan.BuildDir(), "nginx-module-"+m.Name+".log")
	tee := teeFor(s)
	switch m.Form {
	case "local":
		fi, err := os.Stat(m.URL)
		if err != nil || !fi.IsDir() {
			return fmt.Errorf("module %s: local directory %s not found", m.Name, m.URL)
		}
		dir = m.URL
	case "git":
		if err := checkoutGitModule(ctx, s, m, dir, log); err != nil {
			return err
		}
	case "hg":
		if err := checkoutHgModule(ctx, s, m, dir, log); err != nil {
			return err
		}
	case "tarball", "debian":
		r, ok := s.moduleTarballs[m.Name]
		if !ok {
			return fmt.Errorf("module %s: tarball was not fetched", m.Name)
		}
		if err := extract(ctx, s, r.Path, s.Plan.BuildDir(), m.Name); err != nil {
			return fmt.Errorf("module %s: %w", m.Name, evictUnsafe(r, err))
		}
	default:
		return fmt.Errorf("module %s: unknown form %q", m.Name, m.Form)
	}
	if m.Shprov != "" {
		where := dir
		if m.ShprovDir != "" {
			where = filepath.Join(dir, m.ShprovDir)
		}
		s.Env.IO.Infof("module %s: running %q in %s (log: %s)", m.Name, m.Shprov, where, log)
		if err := runLogged(ctx, "shprov of module "+m.Name, where, log, tee, nil, "/bin/sh", "-c", m.Shprov); err != nil {
			return err
		}
	}
	return nil
}

// provisionGitSource checks out a component tree given as a git repository
// (-customnginx/-customssl) beside the nginx tree. A git tree of nginx keeps
// its configure script at auto/configure; release tarballs ship a copy as
// ./configure, which is what the generated script runs, so make that copy.
func provisionGitSource(ctx context.Context, s *State, g module3rd.Module) error {
	dir := filepath.Join(s.Plan.BuildDir(), g.Name)
	log := filepath.Join(s.Plan.BuildDir(), "nginx-source-"+g.Name+".log")
	if err := checkoutGitModule(ctx, s, g, dir, log); err != nil {
		return err
	}
	return ensureConfigure(dir)
}

// ensureConfigure gives a tree of nginx without ./configure (a git
// checkout, or a tarball of one such as GitHub's archive/…tar.gz) the copy
// of auto/configure that release tarballs ship as ./configure.
func ensureConfigure(dir string) error {
	cfg := filepath.Join(dir, "configure")
	if _, err := os.Stat(cfg); err == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "auto", "configure")); err == nil {
		if err := atomicfile.Copy(filepath.Join(dir, "auto", "configure"), cfg, 0o755); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(dir), err)
		}
	}
	return nil
}

// moduleNamesStage refuses a module whose directory beside the nginx tree
// (../<name>) is already taken: by a component's tree (a module called
// nginx-1.30.1 or pcre2-10.42 would overwrite it), or by a file the build
// writes there. It runs once versions are known, before any download.
type moduleNamesStage struct{}

func (moduleNamesStage) Name() string { return "check module names" }

func (moduleNamesStage) Run(ctx context.Context, s *State) error {
	taken := map[string]string{}
	for _, c := range s.Plan.Components() {
		taken[c.Name+"-"+c.Version] = fmt.Sprintf("the source tree of %s %s", c.Name, c.Version)
	}
	for _, f := range []string{record.File, stampFile, "nginx-patch.log"} {
		taken[f] = "a file nginx-build writes there"
	}
	for _, m := range s.Plan.Modules {
		if m.Form == "local" {
			continue // used in place, not copied beside the tree
		}
		if what, ok := taken[m.Name]; ok {
			return fmt.Errorf("%smodule %q: its directory %s is %s; give the module another name",
				posPrefix(m.Pos), m.Name, filepath.Join(s.Plan.BuildDir(), m.Name), what)
		}
	}
	return nil
}
