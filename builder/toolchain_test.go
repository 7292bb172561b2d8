package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/plan"
)

func TestInstallPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "/usr/local/nginx/sbin/nginx"},
		{[]string{"--prefix=/opt/nginx"}, "/opt/nginx/sbin/nginx"},
		{[]string{"--prefix=/opt/nginx", "--sbin-path=bin/nginx"}, "/opt/nginx/bin/nginx"},
		{[]string{"--prefix=/opt/nginx", "--sbin-path=/usr/sbin/nginx"}, "/usr/sbin/nginx"},
		{[]string{"--sbin-path=sbin/ngx"}, "/usr/local/nginx/sbin/ngx"},
	}
	for _, tt := range tests {
		if got := installPath(tt.args); got != tt.want {
			t.Errorf("installPath(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
}

// toolchainState is a State whose build dir exists and holds a script.
func toolchainState(t *testing.T, script string, mode plan.CCacheMode) *State {
	t.Helper()
	p := &plan.Plan{WorkDir: t.TempDir(), Server: plan.Component{Name: "nginx", Constraint: "1.22.1"}, CCache: mode}
	r := resolved(p)
	r.Script = script
	if err := os.MkdirAll(r.SourceDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	return &State{Plan: p, Resolved: r}
}

func envValue(env []string, key string) (string, bool) {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, key+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestToolchainWrapperMapsTheBuildDir(t *testing.T) {
	t.Parallel()
	s := toolchainState(t, "./configure --with-http_v2_module\n", plan.CCacheOff)
	stamp := time.Date(2022, 10, 19, 8, 2, 20, 0, time.UTC)
	nginxH := filepath.Join(s.sourceDir(), "src", "core", "nginx.h")
	os.MkdirAll(filepath.Dir(nginxH), 0o755)
	os.WriteFile(nginxH, []byte("#define NGINX_VERSION \"1.22.1\"\n"), 0o644)
	os.Chtimes(nginxH, stamp, stamp)

	tc, err := setupToolchain(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if tc.CCache != "" {
		t.Errorf("ccache used although off: %s", tc.CCache)
	}
	if v, _ := envValue(tc.Env, "SOURCE_DATE_EPOCH"); v != "1666166540" {
		t.Errorf("SOURCE_DATE_EPOCH = %q, want the release time of nginx.h (1666166540)", v)
	}
	cc, ok := envValue(tc.Env, "CC")
	if !ok {
		t.Fatalf("no CC in %q", tc.Env)
	}
	b, err := os.ReadFile(cc)
	if err != nil {
		t.Fatal(err)
	}
	if want := "-ffile-prefix-map=" + s.buildDir() + "=."; !strings.Contains(string(b), want) {
		t.Errorf("wrapper does not map the build dir (%s):\n%s", want, b)
	}
	if _, err := exec.LookPath("cc"); err == nil {
		// The wrapper is a working compiler: what configure probes first.
		out, err := exec.Command(cc, "--version").CombinedOutput()
		if err != nil {
			t.Errorf("wrapper --version: %v\n%s", err, out)
		}
	}
}

func TestToolchainRespectsUserChoices(t *testing.T) {
	s := toolchainState(t, "./configure --with-cc=/usr/bin/clang\n", plan.CCacheAuto)
	s.Env.SourceDateEpoch = "42"
	tc, err := setupToolchain(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := envValue(tc.Env, "CC"); ok {
		t.Errorf("--with-cc given, but CC is still set: %q", tc.Env)
	}
	if _, ok := envValue(tc.Env, "SOURCE_DATE_EPOCH"); ok {
		t.Errorf("the user's SOURCE_DATE_EPOCH must be left alone: %q", tc.Env)
	}

	t.Setenv("PATH", t.TempDir()) // no ccache anywhere
	s = toolchainState(t, "./configure\n", plan.CCacheOn)
	if _, err := setupToolchain(context.Background(), s); err == nil || !strings.Contains(err.Error(), "ccache is not on PATH") {
		t.Errorf("--ccache without ccache: error %v", err)
	}
	s = toolchainState(t, "./configure\n", plan.CCacheAuto)
	if tc, err := setupToolchain(context.Background(), s); err != nil || tc.CCache != "" {
		t.Errorf("auto without ccache: %v, ccache %q", err, tc.CCache)
	}
}

func TestCCacheSummary(t *testing.T) {
	t.Parallel()
	before := ccacheStats{hits: 10, misses: 5, ok: true}
	after := ccacheStats{hits: 205, misses: 10, ok: true}
	if got, want := after.summary(before), "ccache: 195 hits, 5 misses (98% hit rate)"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if got := after.summary(ccacheStats{}); got != "" {
		t.Errorf("summary without a first reading = %q, want nothing", got)
	}
}
