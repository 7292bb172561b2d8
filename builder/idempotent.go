package builder

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/internal/nginxbin"
)

// idempotentStage implements nginx-build's -idempotent: skip everything
// when the installed nginx already is the requested build — same flavour
// and version, same embedded libraries, same modules and configure
// arguments, as its nginx -V tells — and otherwise say what differs.
type idempotentStage struct{}

func (idempotentStage) Name() string { return "idempotent check" }

func (idempotentStage) Skip(s *State) bool { return !s.Plan.Idempotent }

func (idempotentStage) Run(ctx context.Context, s *State) error {
	args, err := configure.Args(s.Resolved.Script)
	if err != nil {
		return fmt.Errorf("-idempotent: %w", err)
	}
	sbin := s.Plan.NginxBin
	if sbin == "" {
		sbin = installedBinary(args)
	}
	out, err := nginxbin.NginxV(ctx, sbin)
	if err != nil {
		s.Env.IO.Infof("-idempotent: no working nginx at %s (%v); building", sbin, err)
		return nil
	}
	info, err := configure.ParseV(out)
	if err != nil {
		s.Env.IO.Infof("-idempotent: cannot read %s -V (%v); building", sbin, err)
		return nil
	}
	server := s.Resolved.Server()
	want := configure.Wanted{Name: server.Name, Version: server.Version, Args: args, Subset: server.Name == "openresty"}
	if s.Plan.Server.Custom() {
		want.Name, want.Version = "", "" // a fork's -V names it as it likes
	}
	diffs := configure.Differences(want, info)
	if len(diffs) == 0 {
		s.Env.IO.Infof("-idempotent: %s is already %s %s with the same libraries, modules and configure arguments; nothing to do", sbin, info.Name, info.Version)
		s.Skipped, s.Current = true, sbin
		return ErrStop
	}
	s.Env.IO.Infof("-idempotent: %s differs from the requested build; building:\n  %s", sbin, strings.Join(diffs, "\n  "))
	return nil
}

// installPath is where `make install` puts nginx for these configure
// args: --sbin-path (relative to the prefix), else PREFIX/sbin/nginx, the
// prefix defaulting to /usr/local/nginx as in nginx's configure.
func installPath(args []string) string {
	prefix, sbin := "/usr/local/nginx", ""
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--prefix="); ok {
			prefix = v
		}
		if v, ok := strings.CutPrefix(a, "--sbin-path="); ok {
			sbin = v
		}
	}
	switch {
	case sbin == "":
		return filepath.Join(prefix, "sbin", "nginx")
	case filepath.IsAbs(sbin):
		return sbin
	}
	return filepath.Join(prefix, sbin)
}

// installedBinary is the nginx -idempotent compares with: where this build
// installs when --prefix or --sbin-path says so; otherwise nginx-build's
// traditional /usr/local/sbin/nginx when it exists, else nginx's default.
func installedBinary(args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "--prefix=") || strings.HasPrefix(a, "--sbin-path=") {
			return installPath(args)
		}
	}
	if fileExists("/usr/local/sbin/nginx") {
		return "/usr/local/sbin/nginx"
	}
	return installPath(args)
}
