package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/testmirror"
	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/mirrorindex"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/modules"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/source"
	"github.com/nginx-build/nginx-build/verify"
)

// mirrorState is a unitState downloading from an in-process mirror that
// has nginx 1.30.1 and 1.31.0 and pcre2 10.42, with published sha256s.
func mirrorState(t *testing.T) (*State, *bytes.Buffer, *testmirror.Mirror) {
	t.Helper()
	m := testmirror.New(t)
	for _, v := range []string{"1.30.1", "1.31.0"} {
		m.PublishSHA256(t, "nginx", "nginx-"+v+".tar.gz", m.AddNginx(t, "nginx", v))
	}
	m.PublishSHA256(t, "pcre2", "pcre2-10.42.tar.gz", m.AddLibrary(t, "pcre2", "pcre2-10.42.tar.gz", "pcre2-10.42"))
	s, out := unitState(t)
	mirror, err := source.ParseMirror(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	s.Plan.Mirror = mirror
	return s, out, m
}

// located is s's Resolved located on its mirror, as the locate stage
// leaves it.
func located(t *testing.T, s *State) *plan.Resolved {
	t.Helper()
	r, err := plan.Locate(context.Background(), s.Resolved, s.Env.Env)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFetchStage(t *testing.T) {
	t.Parallel()
	s, out, m := mirrorState(t)
	sum := m.Add(t, "mods", "echo-1.0.tar.gz", []testmirror.Entry{{Name: "echo-1.0/config", Body: "ngx_addon_name=echo\n"}})
	s.Plan.Modules = []module3rd.Module{{Name: "echo", Form: "tarball", URL: m.URL + "/mods/echo-1.0.tar.gz"}}
	s.Resolved = located(t, s)
	if err := (fetchStage{}).Run(context.Background(), s); err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	if len(s.Fetched.Components) != 1 {
		t.Fatalf("Fetched = %+v", s.Fetched)
	}
	r := s.Fetched.Components[0]
	b, err := os.ReadFile(r.Path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	if hex.EncodeToString(h[:]) != r.SHA256 || !strings.HasPrefix(r.Path, s.Plan.CacheDir) || r.Cached {
		t.Errorf("fetched %+v", r)
	}
	if mr, ok := s.Fetched.Modules["echo"]; !ok || mr.SHA256 != sum {
		t.Errorf("module tarball = %+v, want sha256 %s", mr, sum)
	}
	if n := m.Requests("/nginx/nginx-1.30.1.tar.gz"); n != 1 {
		t.Errorf("nginx downloaded %d times", n)
	}

	// The same cache again: nothing is downloaded.
	again := &State{Plan: s.Plan, Env: s.Env, Resolved: s.Resolved}
	if err := (fetchStage{}).Run(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	if !again.Fetched.Components[0].Cached || m.Requests("/nginx/nginx-1.30.1.tar.gz") != 1 {
		t.Errorf("second fetch not from the cache: %+v", again.Fetched.Components[0])
	}

	// A pin from a lockfile that the tarball does not match is fatal.
	pinned, _, _ := mirrorState(t)
	pinned.Resolved = with(located(t, pinned), func(r *plan.Resolved) {
		r.Pins = map[string]string{fetch.PinKey("nginx", "1.30.1"): sumA}
	})
	if err := (fetchStage{}).Run(context.Background(), pinned); err == nil {
		t.Error("a tarball that does not match its pin was accepted")
	}
}

// TestFetchStageMirrorBundle: a mirror's git bundle is downloaded into the
// cache, and the module's tree is cloned from it (its URL does not exist).
func TestFetchStageMirrorBundle(t *testing.T) {
	t.Parallel()
	s, out, m := mirrorState(t)
	repo, first, _ := testrepo.GitRepo(t)
	bundleSum := testrepo.Bundle(t, repo, filepath.Join(m.Dir, "modules", "g", "g.bundle"))
	g := module3rd.Module{Name: "g", Form: "git", URL: "https://example.invalid/g.git", Rev: "v1"}
	s.Plan.Modules = []module3rd.Module{g}
	s.Resolved = with(s.Resolved, func(r *plan.Resolved) {
		r.Commits["g"] = first
		r.Offers.Bundles = []source.Artifact{{Component: "module-g", Version: modules.Short(first), FileName: "g-" + bundleSum[:16] + ".bundle",
			URLs: []string{m.URL + "/modules/g/g.bundle"}, PinnedSHA256: bundleSum, PinnedBy: "index.json"}}
		r.Offers.BundleFor = []module3rd.Module{g}
	})
	if err := (fetchStage{}).Run(context.Background(), s); err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	if p := s.Fetched.Bundles[g.URL]; !fileExists(p) || !strings.HasPrefix(p, s.Plan.CacheDir) {
		t.Errorf("bundle = %q, want a file in the cache", p)
	}
	cache := modules.Cache{Dir: s.Plan.CacheDir}
	if b, err := exec.Command("git", "-C", cache.Repo(g), "cat-file", "-e", first+"^{commit}").CombinedOutput(); err != nil {
		t.Errorf("the cache's clone lacks the pinned commit: %v\n%s", err, b)
	}
}

func TestPrepareStage(t *testing.T) {
	t.Parallel()
	s, out := unitState(t)
	s.stampDigest = "d1"
	s.Plan.Libraries = []plan.Component{{Name: "zlib", Constraint: "1.3.2"}}
	s.Resolved = resolved(s.Plan, pin.Component{Name: "nginx", Constraint: "1.30.1", Version: "1.30.1"}, pin.Component{Name: "zlib", Constraint: "1.3.2", Version: "1.3.2"})
	s.Fetched.Components = []fetch.Result{
		fetched("nginx", "1.30.1", testrepo.Tarball(t, map[string]string{"nginx-1.30.1/src/core/nginx.h": "#define NGINX_VERSION \"1.30.1\"\n"})),
		fetched("zlib", "1.3.2", testrepo.Tarball(t, map[string]string{"zlib-1.3.2.dfsg/zlib.h": "/* zlib */\n"})),
	}
	patch := filepath.Join(t.TempDir(), "fix.patch")
	testrepo.WriteFile(t, patch, "--- a/src/core/nginx.h\n+++ b/src/core/nginx.h\n@@ -1 +1 @@\n-#define NGINX_VERSION \"1.30.1\"\n+#define NGINX_VERSION \"1.30.1-patched\"\n", 0o644)
	s.Plan.Patches = []plan.Patch{{Target: "nginx", Path: patch}}
	s.Plan.PatchOpt = []string{"-p1"}
	testrepo.WriteFile(t, filepath.Join(s.buildDir(), plan.StampFile), "{}", 0o644)
	if err := (prepareStage{}).Run(context.Background(), s); err != nil {
		t.Fatalf("prepare: %v\n%s", err, out)
	}
	h, err := os.ReadFile(filepath.Join(s.sourceDir(), "src", "core", "nginx.h"))
	if err != nil || !strings.Contains(string(h), "1.30.1-patched") {
		t.Errorf("nginx.h = %q, %v (not extracted and patched)", h, err)
	}
	if !fileExists(filepath.Join(s.buildDir(), "zlib-1.3.2", "zlib.h")) {
		t.Error("zlib's tree was not renamed to zlib-1.3.2")
	}
	if fileExists(filepath.Join(s.buildDir(), plan.StampFile)) {
		t.Error("the stale stamp survived")
	}
	if !stepDone(s, stepPrepare) {
		t.Error("prepare not recorded as done")
	}
	if !strings.Contains(out.String(), "extracted 2 source trees") {
		t.Errorf("output:\n%s", out)
	}

	// A patch target that is not part of the build.
	bad, _ := unitState(t)
	bad.Fetched.Components = s.Fetched.Components[:1]
	bad.Plan.Patches = []plan.Patch{{Target: "openssl", Path: patch}}
	if err := (prepareStage{}).Run(context.Background(), bad); err == nil || !strings.Contains(err.Error(), `target "openssl" is not part of this build`) {
		t.Errorf("bad target: err = %v", err)
	}
}

func TestPrepareStageEvictsUnsafeTarball(t *testing.T) {
	t.Parallel()
	s, _ := unitState(t)
	evil := testrepo.Tarball(t, map[string]string{"nginx-1.30.1/../../evil": "x"})
	s.Fetched.Components = []fetch.Result{fetched("nginx", "1.30.1", evil)}
	err := prepareStage{}.Run(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "removed it from the cache") {
		t.Fatalf("err = %v", err)
	}
	if _, statErr := os.Stat(evil); !os.IsNotExist(statErr) {
		t.Errorf("unsafe tarball still there: %v", statErr)
	}
	if fileExists(filepath.Join(s.Plan.WorkDir, "evil")) || fileExists(filepath.Join(s.Plan.WorkDir, "nginx", "evil")) {
		t.Error("an entry escaped the build dir")
	}
}

func TestLockWriteStage(t *testing.T) {
	t.Parallel()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	newState := func(t *testing.T, lockPath string) (*State, *bytes.Buffer) {
		s, out := unitState(t)
		s.Plan.Lockfile = lockPath
		r := fetched("nginx", "1.30.1", "/cache/nginx-1.30.1.tar.gz")
		r.SHA256 = sumA
		s.Fetched.Components = []fetch.Result{r}
		s.Plan.Modules = []module3rd.Module{{Name: "m", Form: "git", URL: "https://example.org/m.git", Rev: "main"}}
		s.Resolved.Commits["m"] = commit
		return s, out
	}
	path := filepath.Join(t.TempDir(), "nginx-build.lock")

	// Without a lockfile read and without `lock`, nothing is written.
	s, _ := newState(t, path)
	if !(lockWriteStage{}).Skip(s) {
		t.Error("not skipped without a lockfile read or `lock`")
	}
	if err := Run(context.Background(), s, []Stage{lockWriteStage{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("lockfile written without being asked: %v", err)
	}
	// Nor without a lockfile path.
	s, _ = newState(t, "")
	s.Mode.Relock = true
	if !(lockWriteStage{}).Skip(s) {
		t.Error("not skipped without a lockfile path")
	}

	// `lock` writes it.
	s, out := newState(t, path)
	s.Mode.Relock = true
	if (lockWriteStage{}).Skip(s) {
		t.Fatal("skipped for `lock`")
	}
	if err := (lockWriteStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	l, err := lockfile.Read(path)
	if err != nil || l == nil {
		t.Fatalf("read back: %v", err)
	}
	if len(l.Components) != 1 || l.Components[0].Version != "1.30.1" || l.Components[0].SHA256 != sumA || l.Components[0].Constraint != "1.30.1" {
		t.Errorf("components = %+v", l.Components)
	}
	if m := l.Module("m"); m == nil || m.Commit != commit {
		t.Errorf("module = %+v", m)
	}
	if !strings.Contains(out.String(), "wrote "+path) {
		t.Errorf("output:\n%s", out)
	}

	// The same lockfile read back: left alone.
	before, _ := os.ReadFile(path)
	s, out = newState(t, path)
	s.Resolved.Lock = l
	if err := (lockWriteStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) || out.Len() != 0 {
		t.Errorf("unchanged lockfile rewritten or reported:\n%s", out)
	}

	// A new commit updates it and says so.
	s, out = newState(t, path)
	s.Resolved = with(s.Resolved, func(r *plan.Resolved) {
		r.Lock = l
		r.LockDiffs = []string{"nginx moved"}
		r.Commits["m"] = strings.Repeat("f", 40)
	})
	if err := (lockWriteStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	l2, _ := lockfile.Read(path)
	if m := l2.Module("m"); m == nil || m.Commit != strings.Repeat("f", 40) {
		t.Errorf("module after update = %+v", m)
	}
	if !strings.Contains(out.String(), "updated "+path) || !strings.Contains(out.String(), "nginx moved") {
		t.Errorf("output:\n%s", out)
	}
}

func TestMirrorCopyStage(t *testing.T) {
	t.Parallel()
	s, out := unitState(t)
	s.Mode.MirrorDir = filepath.Join(t.TempDir(), "mirror")
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Env.Now = func() time.Time { return now }
	src := testrepo.Tarball(t, map[string]string{"nginx-1.30.1/README": "hi\n"})
	b, _ := os.ReadFile(src)
	h := sha256.Sum256(b)
	sum := hex.EncodeToString(h[:])
	r := fetched("nginx", "1.30.1", src)
	r.Artifact.FileName = "nginx-1.30.1.tgz" // the mirror renames it to its layout
	r.SHA256 = sum
	s.Fetched.Components = []fetch.Result{r}
	if err := (mirrorCopyStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	copied, err := os.ReadFile(filepath.Join(s.Mode.MirrorDir, "nginx", "nginx-1.30.1.tar.gz"))
	if err != nil || !bytes.Equal(copied, b) {
		t.Fatalf("copy: %v", err)
	}
	if side, err := os.ReadFile(filepath.Join(s.Mode.MirrorDir, "nginx", "nginx-1.30.1.tar.gz.sha256")); err != nil || !strings.Contains(string(side), sum) {
		t.Errorf("sha256 sidecar = %q, %v", side, err)
	}
	idx := mirrorindex.Read(filepath.Join(s.Mode.MirrorDir, "index.json"))
	if len(idx.Files) != 1 || idx.Files[0].Path != "nginx/nginx-1.30.1.tar.gz" || idx.Files[0].SHA256 != sum || !idx.Updated.Equal(now) {
		t.Errorf("index = %+v", idx)
	}
	if !strings.Contains(out.String(), "1 file(s) added, 0 already there") {
		t.Errorf("output:\n%s", out)
	}

	// Again, later: nothing new, index.json unchanged.
	before, _ := os.ReadFile(filepath.Join(s.Mode.MirrorDir, "index.json"))
	out.Reset()
	s.Env.Now = func() time.Time { return now.Add(time.Hour) }
	if err := (mirrorCopyStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(s.Mode.MirrorDir, "index.json"))
	if !bytes.Equal(before, after) || !strings.Contains(out.String(), "0 file(s) added, 1 already there") {
		t.Errorf("second run changed the index or added files:\n%s", out)
	}
}

// The mirror carries the key that verified a tarball when it is pinned
// for the component, and lists it in index.json; a key that is not
// pinned stays out (builds from the mirror would not accept it).
func TestMirrorCopyStageCarriesPinnedKeys(t *testing.T) {
	t.Parallel()
	const pinnedFpr, otherFpr = "5ED46A6721D365587791E2AA783FCD8E58BCAFBA", "0123456789ABCDEF0123456789ABCDEF01234567"
	s, out := unitState(t)
	s.Mode.MirrorDir = filepath.Join(t.TempDir(), "mirror")
	s.Env.KeyPins = verify.KeyPins{"zlib": {{Fingerprint: pinnedFpr, Name: "zlib's release key"}}}
	signed := func(component, version, fpr, key string) fetch.Result {
		src := testrepo.Tarball(t, map[string]string{component + "-" + version + "/README": "hi\n"})
		r := fetched(component, version, src)
		r.Artifact.FileName = component + "-" + version + ".tar.gz"
		r.SHA256, _ = fetch.FileSHA256(src)
		r.Verification = fetch.Verification{Signer: &verify.Signer{Fingerprint: fpr}, SignerKey: []byte(key)}
		return r
	}
	s.Fetched.Components = []fetch.Result{
		signed("nginx", "1.30.1", otherFpr, "nginx key"), // nothing pinned for nginx here
		signed("zlib", "1.3.2", pinnedFpr, "zlib key"),
		signed("pcre2", "10.47", pinnedFpr, "pcre2 key"), // pinned for zlib, not for pcre2
	}
	if err := (mirrorCopyStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	rel := "keys/zlib/" + pinnedFpr + ".asc"
	if b, err := os.ReadFile(filepath.Join(s.Mode.MirrorDir, filepath.FromSlash(rel))); err != nil || string(b) != "zlib key" {
		t.Errorf("carried key = %q, %v", b, err)
	}
	var keys []string
	filepath.WalkDir(filepath.Join(s.Mode.MirrorDir, "keys"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			keys = append(keys, p)
		}
		return nil
	})
	if len(keys) != 1 {
		t.Errorf("the mirror carries %q", keys)
	}
	sum := sha256.Sum256([]byte("zlib key"))
	idx := mirrorindex.Read(filepath.Join(s.Mode.MirrorDir, "index.json"))
	want := mirrorindex.Key{Component: "zlib", Fingerprint: pinnedFpr, Path: rel, SHA256: hex.EncodeToString(sum[:])}
	if len(idx.Keys) != 1 || idx.Keys[0] != want {
		t.Errorf("index keys = %+v, want %+v", idx.Keys, want)
	}
	if msg := "mirrored " + filepath.Join(s.Mode.MirrorDir, filepath.FromSlash(rel)) + " (zlib's release key)"; !strings.Contains(out.String(), msg) {
		t.Errorf("output does not say %q:\n%s", msg, out)
	}

	// Again: nothing changes.
	before, _ := os.ReadFile(filepath.Join(s.Mode.MirrorDir, "index.json"))
	out.Reset()
	if err := (mirrorCopyStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(filepath.Join(s.Mode.MirrorDir, "index.json")); !bytes.Equal(before, after) || strings.Contains(out.String(), "mirrored") {
		t.Errorf("second run changed the mirror:\n%s", out)
	}
}
