package plan

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/source"
)

func TestWithLockfile(t *testing.T) {
	t.Parallel()
	base := &Plan{
		WorkDir: "/w", Jobs: 4, ExtraArgs: []string{"--with-http_v2_module"},
		Server:     Component{Name: "nginx", Constraint: "latest"},
		Libraries:  []Component{{Name: "zlib", Constraint: "1.3.x"}},
		Modules:    []module3rd.Module{{Name: "flagmod", Form: "git", URL: "https://example.org/f.git"}},
		GitSources: []module3rd.Module{{Name: "myssl-v1", Form: "git", URL: "https://example.org/myssl.git", Rev: "v1"}},
		Lockfile:   "/l/nginx-build.lock",
	}
	snapshot := *base
	snapshot.Libraries = slices.Clone(base.Libraries)
	snapshot.Modules = slices.Clone(base.Modules)
	snapshot.GitSources = slices.Clone(base.GitSources)
	l := &lockfile.File{
		LockfileVersion: lockfile.Version,
		Components: []pin.Component{
			{Name: "nginx", Constraint: "1.30.x", Version: "1.30.1", URL: "https://nginx.org/download/nginx-1.30.1.tar.gz", SHA256: sumA},
			{Name: "myssl", Constraint: "custom", Version: "custom", URL: "https://example.org/myssl-1.0.tar.gz", CustomURL: "https://example.org/myssl-1.0.tar.gz", SHA256: sumB},
		},
		Modules: []pin.Module{
			{Name: "echo", Form: "git", URL: "https://example.org/echo.git", Rev: "v1", Commit: "c", Dynamic: true},
			{Name: "here", Form: "local", URL: "/src/here"},
			{Name: "t", Form: "tarball", URL: "https://example.org/t.tar.gz"},
		},
	}
	p, err := WithLockfile(base, l)
	if err != nil {
		t.Fatal(err)
	}
	if p.Server != (Component{Name: "nginx", Constraint: "1.30.x"}) {
		t.Errorf("server = %+v", p.Server)
	}
	if want := []Component{{Name: "myssl", Constraint: "custom", CustomURL: "https://example.org/myssl-1.0.tar.gz"}}; !reflect.DeepEqual(p.Libraries, want) {
		t.Errorf("libraries = %+v, want %+v", p.Libraries, want)
	}
	want := []module3rd.Module{
		{Name: "echo", Form: "git", URL: "https://example.org/echo.git", Rev: "v1", Dynamic: true},
		{Name: "t", Form: "tarball", URL: "https://example.org/t.tar.gz"},
	}
	if !reflect.DeepEqual(p.Modules, want) {
		t.Errorf("modules = %+v, want %+v (the local one dropped)", p.Modules, want)
	}
	if p.GitSources != nil {
		t.Errorf("git sources = %+v", p.GitSources)
	}
	if !p.Locked || p.Lockfile != base.Lockfile || p.Jobs != 4 || p.WorkDir != "/w" || !slices.Equal(p.ExtraArgs, base.ExtraArgs) {
		t.Errorf("plan = %+v", p)
	}
	if p == base || !reflect.DeepEqual(*base, snapshot) {
		t.Errorf("base changed: %+v", base)
	}

	// Only git trees: which one is the server, the lockfile does not say.
	_, err = WithLockfile(base, &lockfile.File{LockfileVersion: lockfile.Version, Modules: []pin.Module{{Name: "nginx-v1", Form: "git", URL: "u", Component: "nginx"}}})
	if !errors.Is(err, ErrNoTarballs) {
		t.Errorf("git trees only: err = %v, want ErrNoTarballs", err)
	}
	if !reflect.DeepEqual(*base, snapshot) {
		t.Errorf("base changed: %+v", base)
	}
}

func TestCompatibleArgs(t *testing.T) {
	t.Parallel()
	lib := t.TempDir()
	missing := filepath.Join(t.TempDir(), "gone")
	tests := []struct {
		name        string
		args        []string
		keep, dropd []string
	}{
		{name: "nothing", args: nil},
		{name: "plain options kept", args: []string{"--prefix=/opt/ngx", "--with-compat", "--with-http_v2_module", "--with-stream=dynamic"},
			keep: []string{"--prefix=/opt/ngx", "--with-compat", "--with-http_v2_module", "--with-stream=dynamic"}},
		{name: "modules dropped", args: []string{"--add-module=/x/echo", "--prefix=/p", "--add-dynamic-module=/x/lua"},
			keep: []string{"--prefix=/p"}, dropd: []string{"--add-module=/x/echo", "--add-dynamic-module=/x/lua"}},
		{name: "nginx's own dynamic modules dropped", args: []string{"--with-http_geoip_module=dynamic", "--with-http_xslt_module=dynamic", "--with-http_ssl_module"},
			keep: []string{"--with-http_ssl_module"}, dropd: []string{"--with-http_geoip_module=dynamic", "--with-http_xslt_module=dynamic"}},
		{name: "library paths kept when they exist", args: []string{"--with-openssl=" + lib, "--with-pcre=" + missing, "--with-zlib=" + missing, "--with-pcre"},
			keep: []string{"--with-openssl=" + lib, "--with-pcre"}, dropd: []string{"--with-pcre=" + missing, "--with-zlib=" + missing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keep, dropped := CompatibleArgs(tt.args)
			if !slices.Equal(keep, tt.keep) || !slices.Equal(dropped, tt.dropd) {
				t.Errorf("CompatibleArgs(%q) = %q, %q; want %q, %q", tt.args, keep, dropped, tt.keep, tt.dropd)
			}
		})
	}
}

func TestForBinary(t *testing.T) {
	t.Parallel()
	base := &Plan{
		WorkDir: "/w", Jobs: 2, Lockfile: "/l/nginx-build.lock", ExtraArgs: []string{"--flag-from-cli"},
		Server:    Component{Name: "nginx", Constraint: "latest"},
		Libraries: []Component{{Name: "zlib", Constraint: "1.3.2"}},
		Modules: []module3rd.Module{
			{Name: "echo", Form: "git", URL: "https://example.org/echo.git"},
			{Name: "lua", Form: "git", URL: "https://example.org/lua.git", Dynamic: true},
		},
	}
	snapshot := *base
	snapshot.Modules = slices.Clone(base.Modules)
	snapshot.Libraries = slices.Clone(base.Libraries)
	info := configure.VersionInfo{Name: "freenginx", Version: "1.29.3", ConfigureArgs: []string{"--prefix=/usr/share/nginx", "--with-compat", "--add-module=/build/echo", "--with-http_perl_module=dynamic"}}
	p, dropped := ForBinary(base, info)
	if p.Server != (Component{Name: "freenginx", Constraint: "1.29.3"}) || p.Libraries != nil {
		t.Errorf("components = %+v", p.Components())
	}
	if !slices.Equal(p.ExtraArgs, []string{"--prefix=/usr/share/nginx", "--with-compat"}) {
		t.Errorf("args = %q", p.ExtraArgs)
	}
	if !slices.Equal(dropped, []string{"--add-module=/build/echo", "--with-http_perl_module=dynamic"}) {
		t.Errorf("dropped = %q", dropped)
	}
	if !p.KeepCompat || p.Lockfile != "" || p.Jobs != 2 || p.WorkDir != "/w" {
		t.Errorf("plan = %+v", p)
	}
	if len(p.Modules) != 2 || !p.Modules[0].Dynamic || !p.Modules[1].Dynamic || p.Modules[0].Name != "echo" {
		t.Errorf("modules = %+v, want all dynamic", p.Modules)
	}
	if p == base || !reflect.DeepEqual(*base, snapshot) {
		t.Errorf("base changed: %+v", base)
	}
}

// TestWithMirrorDefaults: from a mirror tree, the components whose
// version the user did not choose ask for the mirror's newest stable
// release; chosen and custom ones, and builds from upstream, are as given.
func TestWithMirrorDefaults(t *testing.T) {
	t.Parallel()
	mirror, err := source.ParseMirror(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	chosen := func(name string) bool { return name == "pcre2" }
	in := &Plan{
		Server: Component{Name: "nginx", Constraint: "1.30.4"},
		Libraries: []Component{
			{Name: "pcre2", Constraint: "10.42"},
			{Name: "customssl", Constraint: "custom", CustomURL: "https://example.org/ssl.tar.gz"},
			{Name: "zlib", Constraint: "1.3.2"},
		},
	}
	if got := WithMirrorDefaults(in, chosen); got != in {
		t.Errorf("from upstream the plan changed: %+v", got)
	}
	fromMirror := *in
	fromMirror.Mirror = mirror
	got := WithMirrorDefaults(&fromMirror, chosen)
	want := []Component{
		{Name: "nginx", Constraint: "stable", Unasked: true},
		{Name: "pcre2", Constraint: "10.42"},
		{Name: "customssl", Constraint: "custom", CustomURL: "https://example.org/ssl.tar.gz"},
		{Name: "zlib", Constraint: "latest", Unasked: true},
	}
	if !reflect.DeepEqual(got.Components(), want) {
		t.Errorf("components %+v, want %+v", got.Components(), want)
	}
	if in.Libraries[2].Constraint != "1.3.2" {
		t.Errorf("the input plan changed: %+v", in.Libraries)
	}
}
