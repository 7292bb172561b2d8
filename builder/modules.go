package builder

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/source"
)

// moduleCacheRepo is the bare clone of a git module kept in the cache, so
// that a rebuild, a new work dir or a new rev of the same repository
// fetches only what is missing.
func moduleCacheRepo(s *State, m module3rd.Module) string {
	return filepath.Join(s.Plan.CacheDir, "git", fetch.URLKey(m.URL)+".git")
}

// fetchGitModule makes sure the cache's bare clone has the module's commit,
// cloning or fetching only when it does not. It runs concurrently with the
// tarball downloads.
func fetchGitModule(ctx context.Context, s *State, m module3rd.Module, commit string) error {
	repo := moduleCacheRepo(s, m)
	log := filepath.Join(s.Plan.CacheDir, "git", fetch.URLKey(m.URL)+".log")
	if err := os.MkdirAll(filepath.Dir(repo), 0o755); err != nil {
		return fmt.Errorf("module %s: %w", m.Name, err)
	}
	if _, err := os.Stat(repo); err != nil {
		s.Env.IO.Infof("cloning module %s from %s", m.Name, gitRemote(s, m))
		tmp := repo + ".part"
		os.RemoveAll(tmp)
		if err := runLogged(ctx, "git clone "+m.URL, filepath.Dir(repo), log, nil, nil, "git", "clone", "--quiet", "--bare", "--", gitRemote(s, m), tmp); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("module %s: %w", m.Name, err)
		}
		if err := os.Rename(tmp, repo); err != nil {
			return fmt.Errorf("module %s: %w", m.Name, err)
		}
	}
	if commit != "" && exec.CommandContext(ctx, "git", "-C", repo, "cat-file", "-e", commit+"^{commit}").Run() == nil {
		s.Env.IO.Debugf("module %s: commit %s already cached", m.Name, commit)
		return nil
	}
	s.Env.IO.Infof("fetching module %s from %s", m.Name, gitRemote(s, m))
	if err := runLogged(ctx, "git fetch "+m.URL, repo, log, nil, nil, "git", "fetch", "--quiet", "--force", "--", gitRemote(s, m),
		"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"); err != nil {
		return fmt.Errorf("module %s: %w", m.Name, err)
	}
	if commit != "" && exec.CommandContext(ctx, "git", "-C", repo, "cat-file", "-e", commit+"^{commit}").Run() != nil {
		return fmt.Errorf("module %s: commit %s (rev %q) is not in %s", m.Name, commit, m.Rev, m.URL)
	}
	return nil
}

// tarballModuleArtifact describes a "tarball" module as a download: a URL,
// or a path that is turned into a file:// URL.
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
	return source.Artifact{
		Component: "module-" + m.Name, FileName: path.Base(pu.Path), URLs: []string{u},
		PinnedSHA256: sum, PinnedBy: "modules.json",
	}, nil
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
		if _, err := exec.LookPath("hg"); err != nil {
			return fmt.Errorf("module %s: hg (mercurial) is needed for form \"hg\" but is not installed", m.Name)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("module %s: %w", m.Name, err)
		}
		s.Env.IO.Infof("cloning module %s from %s", m.Name, m.URL)
		args := []string{"clone", "--quiet"}
		if m.Rev != "" {
			args = append(args, "--updaterev", m.Rev)
		}
		if err := runLogged(ctx, "hg clone "+m.Name, s.Plan.BuildDir(), log, tee, nil, "hg", append(args, "--", m.URL, m.Name)...); err != nil {
			return err
		}
	case "tarball", "debian":
		r, ok := s.moduleTarballs[m.Name]
		if !ok {
			return fmt.Errorf("module %s: tarball was not fetched", m.Name)
		}
		if err := extract(ctx, s, r.Path, s.Plan.BuildDir(), m.Name); err != nil {
			return fmt.Errorf("module %s: %w", m.Name, err)
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

// checkoutGitModule clones the module from the cache into dir, or updates
// an existing clone, and checks out the resolved commit: an existing clone
// at another commit is moved, never silently reused.
func checkoutGitModule(ctx context.Context, s *State, m module3rd.Module, dir, log string) error {
	repo := moduleCacheRepo(s, m)
	commit := s.ModuleCommits[m.Name]
	if commit == "" {
		commit = m.Rev
	}
	if commit == "" {
		commit = "HEAD"
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		os.RemoveAll(dir)
		if err := runLogged(ctx, "git clone "+m.Name, s.Plan.BuildDir(), log, nil, nil, "git", "clone", "--quiet", "--no-checkout", "--", repo, m.Name); err != nil {
			return err
		}
	} else if err := runLogged(ctx, "git fetch "+m.Name, dir, log, nil, nil, "git", "fetch", "--quiet", "--force", "--tags", "--", repo, "+refs/heads/*:refs/remotes/origin/*"); err != nil {
		return err
	}
	if err := runLogged(ctx, "git checkout "+commit, dir, log, nil, nil, "git", "-c", "advice.detachedHead=false", "checkout", "--quiet", "--force", commit, "--"); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return fmt.Errorf("module %s: %w", m.Name, err)
	}
	s.ModuleCommits[m.Name] = strings.TrimSpace(string(out))
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
	cfg := filepath.Join(dir, "configure")
	if _, err := os.Stat(cfg); err == nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "auto", "configure")); err == nil {
		if err := copyFile(filepath.Join(dir, "auto", "configure"), cfg); err != nil {
			return fmt.Errorf("%s: %w", g.Name, err)
		}
	}
	return nil
}
