package builder

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/source"
)

// resolved is a small plan.Resolved by hand: p with the server (and any
// libraries) at these exact versions, as the pin stage would leave it.
func resolved(p *plan.Plan, comps ...pin.Component) *plan.Resolved {
	r := &plan.Resolved{Plan: p, Commits: map[string]string{}}
	if len(comps) == 0 {
		comps = []pin.Component{{Name: p.Server.Name, Constraint: p.Server.Constraint, Version: p.Server.Constraint}}
	}
	r.Components = comps
	return r
}

// with returns a copy of r changed by f: a stage's input is never
// changed in place, as in the pipeline.
func with(r *plan.Resolved, f func(r *plan.Resolved)) *plan.Resolved {
	c := *r
	c.Commits = map[string]string{}
	for k, v := range r.Commits {
		c.Commits[k] = v
	}
	f(&c)
	return &c
}

const (
	sumA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	sumB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func testHTTP() *http.Client {
	return fetch.Network{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}.Client()
}

// unitState is a small State for running one stage alone: nginx 1.30.1
// in a temporary work dir, a private cache, resolved by hand, and its
// output in a buffer.
func unitState(t *testing.T) (*State, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	p := &plan.Plan{
		WorkDir: t.TempDir(), CacheDir: t.TempDir(), Jobs: 1,
		Server: plan.Component{Name: "nginx", Constraint: "1.30.1"},
	}
	return &State{Plan: p, Resolved: resolved(p), Env: Env{Env: plan.Env{IO: iostreams.New(&buf, &buf), HTTP: testHTTP(), ToolVersion: "test"}}}, &buf
}

// markerStage records that it ran.
type markerStage struct{ ran *bool }

func (markerStage) Name() string { return "marker" }

func (m markerStage) Run(ctx context.Context, s *State) error { *m.ran = true; return nil }

type stopStage struct{}

func (stopStage) Name() string                            { return "stop" }
func (stopStage) Run(ctx context.Context, s *State) error { return ErrStop }

// fakeNginx writes an executable that answers -V like nginx.
func fakeNginx(t *testing.T, path, version, args string) string {
	t.Helper()
	testrepo.WriteFile(t, path, "#!/bin/sh\necho 'nginx version: nginx/"+version+"' >&2\necho 'configure arguments: "+args+"' >&2\n", 0o755)
	return path
}

func fetched(component, version, path string) fetch.Result {
	return fetch.Result{Artifact: source.Artifact{Component: component, Version: version, FileName: filepath.Base(path), URLs: []string{"https://example.org/" + component}}, Path: path}
}
