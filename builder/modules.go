package builder

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/nginx-build/nginx-build/module3rd"
)

// provisionModule puts a third-party module beside the nginx source tree
// (../<name>) and runs its shprov command. Local modules are used in place.
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
		if _, err := exec.LookPath("git"); err != nil {
			return fmt.Errorf("module %s: git is needed for form \"git\" but is not installed", m.Name)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("module %s: %w", m.Name, err)
		}
		s.Env.IO.Infof("cloning module %s from %s", m.Name, m.URL)
		if err := runLogged(ctx, "git clone "+m.Name, s.Plan.BuildDir(), log, tee, nil, "git", "clone", "--quiet", "--", m.URL, m.Name); err != nil {
			return err
		}
		rev := m.Rev
		if c := s.ModuleCommits[m.Name]; c != "" {
			rev = c // the exact commit resolved (or locked) for this build
		}
		if rev != "" {
			if err := runLogged(ctx, "git checkout "+rev, dir, log, tee, nil, "git", "-c", "advice.detachedHead=false", "checkout", "--quiet", rev, "--"); err != nil {
				return err
			}
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
	default:
		return fmt.Errorf("module %s: unknown form %q", m.Name, m.Form)
	}
	if m.Shprov != "" {
		where := dir
		if m.ShprovDir != "" {
			where = filepath.Join(dir, m.ShprovDir)
		}
		s.Env.IO.Infof("module %s: running %q in %s", m.Name, m.Shprov, where)
		if err := runLogged(ctx, "shprov of module "+m.Name, where, log, tee, nil, "/bin/sh", "-c", m.Shprov); err != nil {
			return err
		}
	}
	return nil
}
