package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/configure"
)

// installStage runs make install when asked: as is, with sudo, or into a
// staging DESTDIR. It is final: an up-to-date build is installed too.
type installStage struct{}

func (installStage) Name() string { return "install" }

func (installStage) Final() bool { return true }

func (installStage) Skip(s *State) bool {
	return !s.Plan.Install || s.Mode.DryRun || s.Built.Binary == ""
}

func (installStage) Run(ctx context.Context, s *State) error {
	src := s.sourceDir()
	name, args := "make", []string{"install"}
	if s.Plan.DestDir != "" {
		if err := os.MkdirAll(s.Plan.DestDir, 0o755); err != nil {
			return fmt.Errorf("--destdir: %w", err)
		}
		args = append(args, "DESTDIR="+s.Plan.DestDir)
	}
	if s.Plan.Sudo {
		name, args = "sudo", append([]string{"--", "make"}, args...)
	}
	logPath := filepath.Join(src, "nginx-install.log")
	s.Env.IO.Infof("installing: %s %s (log: %s)", name, strings.Join(args, " "), logPath)
	if err := runLogged(ctx, "make install", src, logPath, teeFor(s), nil, name, args...); err != nil {
		if !s.Plan.Sudo && s.Plan.DestDir == "" && os.Geteuid() != 0 {
			return fmt.Errorf("%w\n(installing into system directories needs root: add --sudo, or stage it with --destdir DIR)", err)
		}
		return err
	}
	// The configure script tells where make install put nginx; an
	// up-to-date build has the same one (the digest covers its inputs).
	cargs, err := configure.Args(s.Resolved.Script)
	if err != nil {
		return err
	}
	dest := installPath(cargs)
	if s.Plan.DestDir != "" {
		dest = filepath.Join(s.Plan.DestDir, dest)
	}
	if !fileExists(dest) {
		return fmt.Errorf("make install succeeded but %s is not there; check %s", dest, logPath)
	}
	s.Installed = dest
	return nil
}
