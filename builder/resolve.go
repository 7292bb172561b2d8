package builder

import (
	"context"

	"github.com/nginx-build/nginx-build/plan"
)

// pinStage resolves the plan (plan.Pin): lockfile pins, exact versions,
// module commits, and — as the mode asks — the configure script and the
// input digest. Exact versions need no index, so a fully pinned build
// reaches its up-to-date check without touching the network.
type pinStage struct{ opt plan.Options }

func (pinStage) Name() string { return "resolve" }

func (st pinStage) Run(ctx context.Context, s *State) error {
	opt := st.opt
	opt.Relock, opt.DryRun = s.Mode.Relock, s.Mode.DryRun
	r, err := plan.Pin(ctx, s.Plan, s.Env.Env, opt)
	if err != nil {
		return err
	}
	s.Resolved = r
	return nil
}

// locateStage pins every component to a tarball location (plan.Locate).
type locateStage struct{}

func (locateStage) Name() string { return "locate tarballs" }

func (locateStage) Run(ctx context.Context, s *State) error {
	r, err := plan.Locate(ctx, s.Resolved, s.Env.Env)
	if err != nil {
		return err
	}
	s.Resolved = r
	return nil
}

// dryRunStage ends a --dry-run once everything is resolved; the command
// prints the plan. In the modes that compile, checkTools warns of what
// the machine lacks for the build (toolchainStage's check).
type dryRunStage struct{ checkTools bool }

func (dryRunStage) Name() string { return "dry run" }

func (dryRunStage) Skip(s *State) bool { return !s.Mode.DryRun }

func (st dryRunStage) Run(ctx context.Context, s *State) error {
	if st.checkTools && !s.UpToDate {
		if err := warnToolchain(ctx, s); err != nil {
			return err
		}
	}
	return ErrStop
}
