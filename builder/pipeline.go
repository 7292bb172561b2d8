package builder

import (
	"context"
	"fmt"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/source"
)

// State is what the stages of one run share. Each stage reads what earlier
// ones left and adds its own part.
type State struct {
	Plan *Plan
	Env  Env
	// Artifacts are the located tarballs, in Plan.Components order.
	Artifacts []source.Artifact
	// Fetched are the verified tarballs in the cache, same order.
	Fetched []fetch.Result
	// ModuleArgs are the configure options that add third-party modules.
	ModuleArgs []string
	// Script is the generated configure script.
	Script string
	// Digest identifies the build's inputs (see inputDigest).
	Digest string
	// Binary is the built nginx, once there is one.
	Binary string
	// Stop ends the pipeline early without error (up to date, dry run).
	Stop bool
}

// Stage is one step of the pipeline.
type Stage interface {
	Name() string
	Run(ctx context.Context, s *State) error
}

// BuildStages is the whole build, in order.
func BuildStages() []Stage {
	return []Stage{
		upToDateStage{},
		resolveStage{},
		scriptStage{},
		idempotentStage{},
		fetchStage{},
		prepareStage{},
		configureStage{},
		makeStage{},
		reportStage{},
	}
}

// FetchStages resolves and downloads into the cache, and stops there.
func FetchStages() []Stage {
	return []Stage{resolveStage{}, fetchStage{}}
}

// Run executes stages in order until one fails or asks to stop.
func Run(ctx context.Context, s *State, stages []Stage) error {
	for _, st := range stages {
		if s.Stop {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		if err := st.Run(ctx, s); err != nil {
			return err
		}
		s.Env.IO.Debugf("stage %s: %s", st.Name(), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// resolveStage pins every component to a tarball location.
type resolveStage struct{}

func (resolveStage) Name() string { return "resolve" }

func (resolveStage) Run(ctx context.Context, s *State) error {
	for _, spec := range s.Plan.Components() {
		c, err := source.Lookup(spec.Name)
		if err != nil {
			return err
		}
		a, err := source.Locate(ctx, s.Env.HTTP, s.Plan.Mirror, c, spec.Version)
		if err != nil {
			return fmt.Errorf("resolve %s %s: %w", spec.Name, spec.Version, err)
		}
		s.Artifacts = append(s.Artifacts, a)
	}
	return nil
}

// fetchStage downloads and verifies all tarballs concurrently.
type fetchStage struct{}

func (fetchStage) Name() string { return "fetch" }

func (fetchStage) Run(ctx context.Context, s *State) error {
	f := &fetch.Fetcher{CacheDir: s.Plan.CacheDir, HTTP: s.Env.HTTP, IO: s.Env.IO}
	res, err := f.FetchAll(ctx, s.Artifacts)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Verified == "" {
			s.Env.IO.Warnf("%s %s: no checksum is published for %s; it was not verified", r.Artifact.Component, r.Artifact.Version, r.Artifact.FileName)
		}
	}
	s.Fetched = res
	return nil
}
