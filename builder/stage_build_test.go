package builder

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/testmirror"
	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/plan"
)

// configuredTree is a unitState whose source dir holds the synthetic
// nginx's configure, and whose script configures it with prefix.
func configuredTree(t *testing.T, extra string) *State {
	t.Helper()
	s, _ := unitState(t)
	s.stampDigest = "d1"
	src := s.sourceDir()
	testrepo.WriteFile(t, filepath.Join(src, "configure"), testmirror.FakeConfigure("nginx", "1.30.1"), 0o755)
	testrepo.WriteFile(t, filepath.Join(src, "src", "core", "nginx.h"), "#define NGINX_VERSION \"1.30.1\"\n", 0o644)
	s.Resolved.Script = "#!/bin/sh\n./configure --prefix=/opt/ngx" + extra + "\n"
	return s
}

func output(s *State) string {
	return s.Env.IO.Err.(interface{ String() string }).String()
}

func TestConfigureStage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		extra         string
		configureOnly bool
		wantStop      bool
		wantErr       string
	}{
		{name: "configures"},
		{name: "configure only", configureOnly: true, wantStop: true},
		{name: "configure fails", extra: " --test-fail-configure", wantErr: "configure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := configuredTree(t, tt.extra)
			s.Plan.ConfigureOnly = tt.configureOnly
			src := s.sourceDir()
			err := configureStage{}.Run(context.Background(), s)
			if tt.wantErr != "" {
				if err == nil || errors.Is(err, ErrStop) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if stepDone(s, stepConfigure) {
					t.Error("a failed configure recorded as done")
				}
				return
			}
			if errors.Is(err, ErrStop) != tt.wantStop || (err != nil && !errors.Is(err, ErrStop)) {
				t.Fatalf("err = %v, want stop %v", err, tt.wantStop)
			}
			if b, _ := os.ReadFile(filepath.Join(src, "nginx-configure")); string(b) != s.Resolved.Script {
				t.Errorf("nginx-configure = %q, want the script", b)
			}
			if b, _ := os.ReadFile(filepath.Join(src, "configure.args")); string(b) != "--prefix=/opt/ngx\n" {
				t.Errorf("configure ran with %q", b)
			}
			if !fileExists(filepath.Join(src, "Makefile")) || !fileExists(filepath.Join(src, "nginx-configure.log")) {
				t.Error("no Makefile or configure log")
			}
			if s.toolchain == nil || !stepDone(s, stepConfigure) {
				t.Errorf("toolchain %v, configure done %v", s.toolchain, stepDone(s, stepConfigure))
			}
			var st stamp
			b, stampErr := os.ReadFile(filepath.Join(s.buildDir(), plan.StampFile))
			if tt.configureOnly {
				if stampErr != nil || json.Unmarshal(b, &st) != nil || st.Stage != "configured" || st.Digest != "d1" {
					t.Errorf("stamp = %s, %v", b, stampErr)
				}
			} else if stampErr == nil {
				t.Errorf("a stamp after configure alone: %s", b)
			}

			// Once more with the same inputs: configure does not run again.
			if err := os.Remove(filepath.Join(src, "configure.args")); err != nil {
				t.Fatal(err)
			}
			if err := (configureStage{}).Run(context.Background(), s); err != nil && !errors.Is(err, ErrStop) {
				t.Fatal(err)
			}
			if fileExists(filepath.Join(src, "configure.args")) {
				t.Error("configure ran again for the same inputs")
			}
			if !strings.Contains(output(s), "not running configure again") {
				t.Errorf("output:\n%s", output(s))
			}
		})
	}
}

// sourceTree is a unitState whose source dir has the given Makefile and a
// toolchain as configureStage leaves it (no extra environment).
func sourceTree(t *testing.T, makefile string) *State {
	t.Helper()
	s, _ := unitState(t)
	s.stampDigest = "d1"
	s.toolchain = &toolchain{}
	if err := os.MkdirAll(s.buildDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	testrepo.WriteFile(t, filepath.Join(s.sourceDir(), "Makefile"), makefile, 0o644)
	return s
}

const nginxMakefile = "all:\n\tmkdir -p objs\n" +
	"\tprintf '#!/bin/sh\\necho \"nginx version: nginx/1.30.1\" >&2\\necho \"configure arguments: --prefix=/opt/ngx\" >&2\\n' > objs/nginx\n" +
	"\tchmod +x objs/nginx\n" +
	"install:\n\tmkdir -p $(DESTDIR)/opt/ngx/sbin\n\tcp objs/nginx $(DESTDIR)/opt/ngx/sbin/nginx\n"

func TestMakeStage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		makefile string
		wantErr  string
	}{
		{"builds objs/nginx", nginxMakefile, ""},
		{"make fails", "all:\n\t@echo 'src/x.c:1: error: boom'; exit 1\n", "make"},
		{"no binary", "all:\n\t@echo nothing\n", "produced no nginx binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sourceTree(t, tt.makefile)
			err := makeStage{}.Run(context.Background(), s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(s.sourceDir(), "objs", "nginx"); s.Built.Binary != want {
				t.Errorf("Binary = %q, want %q", s.Built.Binary, want)
			}
			if !stepDone(s, stepMake) || !fileExists(filepath.Join(s.sourceDir(), "nginx-build.log")) {
				t.Error("make not recorded as done, or no log")
			}
			if s.Built.CCacheSummary != "" {
				t.Errorf("ccache summary without ccache: %q", s.Built.CCacheSummary)
			}
		})
	}
}

func TestReportStage(t *testing.T) {
	t.Parallel()
	s, _ := unitState(t)
	s.stampDigest = "d1"
	s.Resolved.Script = "#!/bin/sh\n./configure --prefix=/opt/ngx\n"
	s.Built.Binary = fakeNginx(t, filepath.Join(s.sourceDir(), "objs", "nginx"), "1.30.1", "--prefix=/opt/ngx")
	r := fetched("nginx", "1.30.1", "/cache/nginx-1.30.1.tar.gz")
	r.SHA256 = sumA
	s.Fetched.Components = []fetch.Result{r}
	if err := (reportStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Built.NginxV, "nginx version: nginx/1.30.1") || !strings.Contains(s.Built.NginxV, "--prefix=/opt/ngx") {
		t.Errorf("NginxV = %q", s.Built.NginxV)
	}
	rec, err := os.ReadFile(s.Built.RecordPath)
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	if !strings.Contains(string(rec), sumA) || !strings.Contains(string(rec), "--prefix=/opt/ngx") {
		t.Errorf("record lacks the component or the arguments:\n%s", rec)
	}
	var st stamp
	b, _ := os.ReadFile(filepath.Join(s.buildDir(), plan.StampFile))
	if json.Unmarshal(b, &st) != nil || st.Stage != "built" || st.Binary != s.Built.Binary || st.Digest != "d1" {
		t.Errorf("stamp = %s", b)
	}

	broken, _ := unitState(t)
	broken.Built.Binary = filepath.Join(t.TempDir(), "nginx")
	err = reportStage{}.Run(context.Background(), broken)
	if err == nil || !strings.Contains(err.Error(), "does not run") {
		t.Errorf("missing binary: err = %v", err)
	}
	if fileExists(filepath.Join(broken.buildDir(), plan.StampFile)) {
		t.Error("a stamp for a binary that does not run")
	}
}

func TestInstallStage(t *testing.T) {
	t.Parallel()
	skips := []struct {
		install, dry bool
		binary       string
		want         bool
	}{
		{false, false, "/b", true},
		{true, true, "/b", true},
		{true, false, "", true},
		{true, false, "/b", false},
	}
	for _, sk := range skips {
		s, _ := unitState(t)
		s.Plan.Install, s.Mode.DryRun, s.Built.Binary = sk.install, sk.dry, sk.binary
		if got := (installStage{}).Skip(s); got != sk.want {
			t.Errorf("Skip(install=%v dry=%v binary=%q) = %v", sk.install, sk.dry, sk.binary, got)
		}
	}
	if !(installStage{}).Final() {
		t.Error("install is not final")
	}

	tests := []struct {
		name     string
		makefile string
		fromDisk bool // up to date: an nginx-configure of another build is on disk
		wantErr  string
	}{
		{name: "installs into destdir", makefile: nginxMakefile},
		// The old stage read an up-to-date build's script from nginx-configure;
		// the pin stage now always generates it, and install uses that one.
		{name: "up to date build", makefile: nginxMakefile, fromDisk: true},
		{name: "install fails", makefile: "install:\n\texit 1\n", wantErr: "make install"},
		{name: "nothing installed", makefile: "install:\n\ttrue\n", wantErr: "is not there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sourceTree(t, tt.makefile)
			src := s.sourceDir()
			s.Plan.Install, s.Plan.DestDir = true, filepath.Join(t.TempDir(), "stage")
			s.Built.Binary = fakeNginx(t, filepath.Join(src, "objs", "nginx"), "1.30.1", "--prefix=/opt/ngx")
			s.Resolved.Script = "#!/bin/sh\n./configure --prefix=/opt/ngx\n"
			if tt.fromDisk {
				testrepo.WriteFile(t, filepath.Join(src, "nginx-configure"), "#!/bin/sh\n./configure --prefix=/elsewhere\n", 0o755)
			}
			err := installStage{}.Run(context.Background(), s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(s.Plan.DestDir, "opt", "ngx", "sbin", "nginx")
			if s.Installed != want || !fileExists(want) {
				t.Errorf("Installed = %q, want %q (exists %v)", s.Installed, want, fileExists(want))
			}
		})
	}

	// An up-to-date build (stopped early) is still installed by Run.
	s := sourceTree(t, nginxMakefile)
	s.Plan.Install, s.Plan.DestDir = true, filepath.Join(t.TempDir(), "stage")
	s.Built.Binary = fakeNginx(t, filepath.Join(s.sourceDir(), "objs", "nginx"), "1.30.1", "--prefix=/opt/ngx")
	s.Resolved.Script = "#!/bin/sh\n./configure --prefix=/opt/ngx\n"
	s.Mode.DryRun = false
	stopped := false
	if err := Run(context.Background(), s, []Stage{stopStage{}, markerStage{&stopped}, installStage{}}); err != nil {
		t.Fatal(err)
	}
	if stopped || s.Installed == "" {
		t.Errorf("after a stop: other stage ran %v, installed %q", stopped, s.Installed)
	}
}

func TestMakeModulesStage(t *testing.T) {
	t.Parallel()
	const modules = "modules:\n\tmkdir -p objs\n\ttouch objs/ngx_x_module.so objs/ngx_stream_module.so\n"
	dir := t.TempDir()
	accepts := filepath.Join(dir, "accepts")
	testrepo.WriteFile(t, accepts, "#!/bin/sh\nexit 0\n", 0o755)
	refuses := filepath.Join(dir, "refuses")
	testrepo.WriteFile(t, refuses, "#!/bin/sh\necho 'module is not binary compatible' >&2\nexit 1\n", 0o755)
	tests := []struct {
		name     string
		makefile string
		extra    []string
		target   string
		want     []string
		wantErr  string
	}{
		{name: "copies all", makefile: modules, want: []string{"ngx_stream_module.so", "ngx_x_module.so"}},
		{name: "leaves nginx's own", makefile: modules, extra: []string{"--with-stream=dynamic"}, want: []string{"ngx_x_module.so"}},
		{name: "target loads them", makefile: modules, extra: []string{"--with-stream=dynamic"}, target: accepts, want: []string{"ngx_x_module.so"}},
		{name: "target refuses them", makefile: modules, target: refuses, wantErr: "not binary compatible"},
		{name: "no modules", makefile: "modules:\n\ttrue\n", wantErr: "produced no .so files"},
		{name: "make fails", makefile: "modules:\n\texit 1\n", wantErr: "make modules"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sourceTree(t, tt.makefile)
			s.Mode.ModulesOut = filepath.Join(t.TempDir(), "out")
			s.Plan.ExtraArgs, s.Mode.TargetBinary = tt.extra, tt.target
			err := makeModulesStage{}.Run(context.Background(), s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range s.Built.Modules {
				if filepath.Dir(p) != s.Mode.ModulesOut || !fileExists(p) {
					t.Errorf("module %s not copied to %s", p, s.Mode.ModulesOut)
				}
				got = append(got, filepath.Base(p))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("BuiltModules = %q, want %q", got, tt.want)
			}
			entries, _ := os.ReadDir(s.Mode.ModulesOut)
			if len(entries) != len(tt.want) {
				t.Errorf("%d files in the output dir, want %d", len(entries), len(tt.want))
			}
		})
	}
}
