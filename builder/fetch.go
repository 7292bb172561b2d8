package builder

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/nginx-build/nginx-build/archive"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/safe"
	"github.com/nginx-build/nginx-build/modules"
	"github.com/nginx-build/nginx-build/record"
	"github.com/nginx-build/nginx-build/source"
)

// fetchStage downloads and verifies every tarball concurrently — the
// components and the tarball and debian modules — while git and hg trees
// are brought into the cache at their pinned commits. A mirror's git
// bundles come first: the trees are cloned from them.
type fetchStage struct{}

func (fetchStage) Name() string { return "fetch" }

func (fetchStage) Run(ctx context.Context, s *State) error {
	start := time.Now()
	r := s.Resolved
	bundles, err := r.FetchBundles(ctx, s.Env.Env)
	if err != nil {
		return err
	}
	s.Fetched = Fetched{Modules: map[string]fetch.Result{}, Bundles: bundles}
	pinned := &fetch.PinnedKeys{Pins: s.Env.KeyPins, CacheDir: s.Plan.CacheDir, Mirrors: s.Plan.Mirrors(), HTTP: s.Env.HTTP, IO: s.Env.IO}
	f := &fetch.Fetcher{CacheDir: s.Plan.CacheDir, HTTP: s.Env.HTTP, IO: s.Env.IO, Trust: fetch.Trust{
		Policy: s.Plan.Verify, ExtraKeys: s.Plan.ExtraKeys, ComponentKeys: s.Plan.ComponentKeys, Pins: r.Pins, PinSource: filepath.Base(s.Plan.Lockfile),
		Pinned: pinned, IO: s.Env.IO,
	}}
	moduleArts, moduleOf, err := r.Tarballs(ctx)
	if err != nil {
		return err
	}
	arts := append(append([]source.Artifact(nil), r.Artifacts...), moduleArts...)
	cache := s.moduleCache()
	// Git and hg trees are fetched into the cache at the same time as the tarballs.
	g, gctx := errgroup.WithContext(ctx)
	for _, m := range s.Plan.Trees() {
		if !modules.IsRepository(m.Form) {
			continue
		}
		form, err := modules.For(m.Form)
		if err != nil {
			return err
		}
		g.Go(func() error {
			return safe.Do("fetching module "+m.Name, func() error { return form.Fetch(gctx, cache, m, r.Commits[m.Name]) })
		})
	}
	var res []fetch.Result
	g.Go(func() error {
		return safe.Do("fetching tarballs", func() error {
			var err error
			res, err = f.FetchAll(gctx, arts)
			return err
		})
	})
	if err := g.Wait(); err != nil {
		return err
	}
	for _, x := range res {
		if sum := x.Verification.Summary(); sum != "" {
			s.Env.IO.Infof("verified %s: %s", strings.TrimSpace(x.Artifact.Component+" "+x.Artifact.Version), sum)
		}
	}
	n := len(r.Artifacts)
	s.Fetched.Components = res[:n]
	for i, m := range moduleOf {
		s.Fetched.Modules[m.Name] = res[n+i]
	}
	s.Timings = append(s.Timings, record.Timing{Phase: "download", Took: time.Since(start)})
	return nil
}

// moduleCache is the cache of git and hg trees, with the mirror's bundles
// fetched so far.
func (s *State) moduleCache() modules.Cache {
	return modules.Cache{Dir: s.Plan.CacheDir, IO: s.Env.IO, Bundles: s.Fetched.Bundles}
}

// evictUnsafe removes a tarball that extraction refused for an unsafe entry
// from the cache, where it was recorded as verified: a later run must not
// reuse it. err is returned, saying so.
func evictUnsafe(r fetch.Result, err error) error {
	var unsafe *archive.UnsafeEntryError
	if !errors.As(err, &unsafe) {
		return err
	}
	if rmErr := fetch.Evict(r); rmErr != nil {
		return fmt.Errorf("%w; could not remove it from the cache: %v", err, rmErr)
	}
	return fmt.Errorf("%w; removed it from the cache", err)
}

// extract unpacks a verified tarball into dir/want within the plan's
// archive-bomb limits; hitting one says how to raise it.
func extract(ctx context.Context, s *State, src, dir, want string) error {
	err := archive.ExtractWithLimits(ctx, src, dir, want, s.Plan.ExtractLimits)
	var le *archive.LimitError
	if errors.As(err, &le) {
		flag := "--max-extract-size (or NGINX_BUILD_MAX_EXTRACT_SIZE)"
		if le.Limit == archive.LimitEntries {
			flag = "--max-extract-entries (or NGINX_BUILD_MAX_EXTRACT_ENTRIES)"
		}
		return fmt.Errorf("%w\n(if the archive is genuine, raise the limit with %s)", err, flag)
	}
	return err
}
