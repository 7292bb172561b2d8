package plan

import (
	"bytes"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/testmirror"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/source"
)

const (
	sumA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	sumB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// testEnv is an Env writing into one buffer, with a quick-retry client.
func testEnv() (Env, *bytes.Buffer) {
	var out bytes.Buffer
	return Env{
		IO:          iostreams.New(&out, &out),
		HTTP:        fetch.Network{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}.Client(),
		ToolVersion: "test",
	}, &out
}

// testPlan is nginx 1.30.1 in a temporary work dir with a private cache.
func testPlan(t *testing.T) *Plan {
	t.Helper()
	return &Plan{
		WorkDir: t.TempDir(), CacheDir: t.TempDir(), Jobs: 1,
		Server: Component{Name: "nginx", Constraint: "1.30.1"},
	}
}

// pinned is p with its components at these versions (the server at its
// constraint when none are given), as resolveVersions leaves it.
func pinned(p *Plan, comps ...pin.Component) *Resolved {
	r := &Resolved{Plan: p, Commits: map[string]string{}}
	if len(comps) == 0 {
		comps = []pin.Component{{Name: p.Server.Name, Constraint: p.Server.Constraint, Version: p.Server.Constraint}}
	}
	r.Components = comps
	return r
}

// mirrorPlan is a testPlan downloading from an in-process mirror that
// has nginx 1.30.1 and 1.31.0 and pcre2 10.42, with published sha256s.
func mirrorPlan(t *testing.T) (*Plan, *testmirror.Mirror) {
	t.Helper()
	m := testmirror.New(t)
	for _, v := range []string{"1.30.1", "1.31.0"} {
		m.PublishSHA256(t, "nginx", "nginx-"+v+".tar.gz", m.AddNginx(t, "nginx", v))
	}
	m.PublishSHA256(t, "pcre2", "pcre2-10.42.tar.gz", m.AddLibrary(t, "pcre2", "pcre2-10.42.tar.gz", "pcre2-10.42"))
	p := testPlan(t)
	mirror, err := source.ParseMirror(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	p.Mirror = mirror
	return p, m
}

func writeLock(t *testing.T, path string, comps []pin.Component, mods []pin.Module) {
	t.Helper()
	l := &lockfile.File{LockfileVersion: lockfile.Version, GeneratedBy: "test", Components: comps, Modules: mods}
	if err := l.Write(path); err != nil {
		t.Fatal(err)
	}
}
