package plan

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/jsonfile"
	"github.com/nginx-build/nginx-build/internal/testmirror"
	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/mirrorindex"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/pin"
)

func TestPinVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		constraint string
		want       string
		wantList   bool
		wantErr    string
	}{
		{constraint: "1.30.1", want: "1.30.1"},
		{constraint: "1.30.x", want: "1.30.1", wantList: true},
		{constraint: "latest", want: "1.31.0", wantList: true},
		{constraint: "1.29.x", wantList: true, wantErr: "1.29.x"},
		{constraint: "not a version", wantErr: "not a version"},
	}
	for _, tt := range tests {
		t.Run(tt.constraint, func(t *testing.T) {
			t.Parallel()
			p, m := mirrorPlan(t)
			p.Server = Component{Name: "nginx", Constraint: tt.constraint}
			r := pinned(p, pin.Component{Name: "nginx", Constraint: tt.constraint})
			env, _ := testEnv()
			err := r.resolveVersions(context.Background(), env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if r.Components[0].Version != tt.want {
				t.Errorf("version = %q, want %q", r.Components[0].Version, tt.want)
			}
			if got := m.Requests("/nginx/") > 0; got != tt.wantList {
				t.Errorf("listed the mirror: %v, want %v", got, tt.wantList)
			}
		})
	}
	t.Run("locked and custom", func(t *testing.T) {
		t.Parallel()
		p, m := mirrorPlan(t)
		p.Server = Component{Name: "nginx", Constraint: "latest"}
		p.Libraries = []Component{{Name: "myssl", Constraint: "v9", CustomURL: "https://example.invalid/myssl.git"}}
		// The server's version as applyLockfile leaves it.
		r := pinned(p, pin.Component{Name: "nginx", Constraint: "latest", Version: "1.30.1"},
			pin.Component{Name: "myssl", Constraint: "v9", CustomURL: "https://example.invalid/myssl.git"})
		env, _ := testEnv()
		if err := r.resolveVersions(context.Background(), env); err != nil {
			t.Fatal(err)
		}
		if r.Components[0].Version != "1.30.1" || r.Components[1].Version != "v9" {
			t.Errorf("components = %+v", r.Components)
		}
		if m.Requests("/nginx/") != 0 {
			t.Error("a locked version listed the mirror")
		}
	})
}

func TestLocate(t *testing.T) {
	t.Parallel()
	p, m := mirrorPlan(t)
	p.Libraries = []Component{
		{Name: "pcre2", Constraint: "10.42"},
		{Name: "myssl", Constraint: "1.0", CustomURL: "https://example.invalid/myssl-1.0.tar.gz"},
		{Name: "gitssl", Constraint: "v1", CustomURL: "https://example.invalid/gitssl.git"},
	}
	in := pinned(p,
		pin.Component{Name: "nginx", Constraint: "1.30.1", Version: "1.30.1"},
		pin.Component{Name: "pcre2", Constraint: "10.42", Version: "10.42"},
		pin.Component{Name: "myssl", Constraint: "1.0", Version: "1.0", CustomURL: "https://example.invalid/myssl-1.0.tar.gz"},
		pin.Component{Name: "gitssl", Constraint: "v1", Version: "v1", CustomURL: "https://example.invalid/gitssl.git"},
	)
	env, _ := testEnv()
	r, err := Locate(context.Background(), in, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Artifacts) != 3 {
		t.Fatalf("artifacts = %+v", r.Artifacts)
	}
	if a := r.Artifacts[0]; a.Component != "nginx" || a.Version != "1.30.1" || a.FileName != "nginx-1.30.1.tar.gz" || !strings.HasPrefix(a.URLs[0], m.URL+"/") {
		t.Errorf("nginx = %+v", a)
	}
	if a := r.Artifacts[1]; a.Component != "pcre2" || !strings.HasSuffix(a.URLs[0], "/pcre2/pcre2-10.42.tar.gz") {
		t.Errorf("pcre2 = %+v", a)
	}
	if a := r.Artifacts[2]; a.Component != "myssl" || a.FileName != "myssl-1.0.tar.gz" || a.URLs[0] != "https://example.invalid/myssl-1.0.tar.gz" {
		t.Errorf("custom = %+v", a)
	}
	// Components learn their URL and how they will be verified; the git
	// source has neither.
	for i, c := range r.Components[:3] {
		if c.URL != r.Artifacts[i].URLs[0] || c.Verify == "" {
			t.Errorf("component %s: URL %q, Verify %q", c.Name, c.URL, c.Verify)
		}
	}
	if g := r.Components[3]; g.URL != "" || g.Verify != "" {
		t.Errorf("git source located: %+v", g)
	}
	if located := r.Located(); len(located) != 3 || located[2].Name != "myssl" {
		t.Errorf("Located = %+v", located)
	}
	// Locate returns a new value: the input is unchanged.
	if in.Artifacts != nil || in.Components[0].URL != "" || in.Components[0].Verify != "" {
		t.Errorf("Locate changed its input: %+v", in)
	}

	missing, _ := mirrorPlan(t)
	missing.Server.Constraint = "1.99.0"
	_, err = Locate(context.Background(), pinned(missing), env)
	if err == nil || !strings.Contains(err.Error(), "resolve nginx 1.99.0") {
		t.Errorf("missing version: err = %v", err)
	}
}

// TestResolve: Resolve is Pin then Locate.
func TestResolve(t *testing.T) {
	t.Parallel()
	p, _ := mirrorPlan(t)
	p.Server.Constraint = "latest"
	env, _ := testEnv()
	r, err := Resolve(context.Background(), p, env, Options{Digest: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Server().Version != "1.31.0" || len(r.Artifacts) != 1 || r.Artifacts[0].FileName != "nginx-1.31.0.tar.gz" || r.Digest == "" {
		t.Errorf("resolved = %+v", r)
	}
	p.Server.Constraint = "1.29.x"
	if _, err := Resolve(context.Background(), p, env, Options{}); err == nil {
		t.Error("a constraint no version matches resolved")
	}
}

func TestPinMirrorOffers(t *testing.T) {
	t.Parallel()
	p, m := mirrorPlan(t)
	repo, first, _ := testrepo.GitRepo(t)
	bundleSum := testrepo.Bundle(t, repo, filepath.Join(m.Dir, "modules", "g", "g.bundle"))
	tarSum := m.Add(t, "modules/t", "t-1.0.tar.gz", []testmirror.Entry{{Name: "t-1.0/config", Body: "x\n"}})
	srcSum := m.AddLibrary(t, "custom", "myssl-1.0.tar.gz", "myssl-1.0")
	idx := mirrorindex.Index{
		Modules: []pin.Module{
			{Name: "g", Form: "git", URL: "https://example.invalid/g.git", Rev: "v1", Commit: first, Path: "modules/g/g.bundle", SHA256: bundleSum},
			{Name: "t", Form: "tarball", URL: "https://example.invalid/t-1.0.tar.gz", Path: "modules/t/t-1.0.tar.gz", SHA256: tarSum},
		},
		Files: []pin.Component{{Name: "myssl", Version: "1.0", Path: "custom/myssl-1.0.tar.gz", SHA256: srcSum, CustomURL: "https://example.invalid/myssl-1.0.tar.gz"}},
	}
	b, err := jsonfile.Marshal(idx)
	if err != nil {
		t.Fatal(err)
	}
	testrepo.WriteFile(t, filepath.Join(m.Dir, "index.json"), string(b), 0o644)
	p.Libraries = []Component{{Name: "myssl", Constraint: "1.0", CustomURL: "https://example.invalid/myssl-1.0.tar.gz"}}
	p.Modules = []module3rd.Module{
		{Name: "g", Form: "git", URL: "https://example.invalid/g.git", Rev: "v1"},
		{Name: "t", Form: "tarball", URL: "https://example.invalid/t-1.0.tar.gz"},
		{Name: "other", Form: "git", URL: "https://example.invalid/other.git"},
	}
	r := pinned(p, pin.Component{Name: "nginx", Version: "1.30.1"},
		pin.Component{Name: "myssl", Constraint: "1.0", Version: "1.0", CustomURL: "https://example.invalid/myssl-1.0.tar.gz"})
	env, out := testEnv()
	if err := r.readMirrorOffers(context.Background(), env); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Offers.Commits["g"] != first {
		t.Errorf("mirror commits = %v", r.Offers.Commits)
	}
	if len(r.Offers.Bundles) != 1 || len(r.Offers.BundleFor) != 1 || r.Offers.BundleFor[0].Name != "g" {
		t.Fatalf("bundles = %+v for %+v", r.Offers.Bundles, r.Offers.BundleFor)
	}
	if a := r.Offers.Bundles[0]; a.URLs[0] != m.URL+"/modules/g/g.bundle" || a.PinnedSHA256 != bundleSum || a.FileName != "g-"+bundleSum[:16]+".bundle" {
		t.Errorf("bundle = %+v", a)
	}
	if a, ok := r.Mirrored("module:t"); !ok || a.PinnedSHA256 != tarSum || a.URLs[0] != m.URL+"/modules/t/t-1.0.tar.gz" {
		t.Errorf("tarball module = %+v", a)
	}
	if a, ok := r.Mirrored("source:myssl"); !ok || a.PinnedSHA256 != srcSum || a.URLs[1] != "https://example.invalid/myssl-1.0.tar.gz" {
		t.Errorf("custom source = %+v", a)
	}
	if _, ok := r.Mirrored("module:other"); ok {
		t.Error("a module the index does not list came from the mirror")
	}
	// What was offered is what pinCommits takes (for the listed module;
	// "other" would ask its repository).
	only := *p
	only.Modules = p.Modules[:1]
	r2 := *r
	r2.Plan, r2.Commits = &only, map[string]string{}
	if err := r2.pinCommits(context.Background(), env, false); err != nil {
		t.Fatal(err)
	}
	if r2.Commits["g"] != first {
		t.Errorf("commit of g = %q, want the mirror's %s", r2.Commits["g"], first)
	}
	// And Locate takes the mirror's copy of the custom tarball.
	located, err := Locate(context.Background(), r, env)
	if err != nil {
		t.Fatal(err)
	}
	if a := located.Artifacts[1]; a.Component != "myssl" || a.URLs[0] != m.URL+"/custom/myssl-1.0.tar.gz" || a.PinnedSHA256 != srcSum {
		t.Errorf("located custom = %+v", a)
	}

	// A mirror without index.json, or a damaged one: modules come from their URLs.
	for name, body := range map[string]string{"none": "", "damaged": "{not json"} {
		p2, m2 := mirrorPlan(t)
		if body != "" {
			testrepo.WriteFile(t, filepath.Join(m2.Dir, "index.json"), body, 0o644)
		}
		p2.Modules = p.Modules[:1]
		r2 := pinned(p2)
		env2, out2 := testEnv()
		if err := r2.readMirrorOffers(context.Background(), env2); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r2.Offers.Tarballs) != 0 || len(r2.Offers.Bundles) != 0 || len(r2.Offers.Commits) != 0 {
			t.Errorf("%s: took %+v from the mirror", name, r2.Offers)
		}
		if name == "damaged" && !strings.Contains(out2.String(), "index.json is damaged") {
			t.Errorf("no warning about the damaged index:\n%s", out2)
		}
	}
}
