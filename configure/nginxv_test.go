package configure

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseV(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want VersionInfo
	}{
		{
			name: "nginx with OpenSSL",
			out: `nginx version: nginx/1.22.1
built by gcc 12.2.0 (Debian 12.2.0-14)
built with OpenSSL 3.0.20 7 Apr 2026
TLS SNI support enabled
configure arguments: --prefix=/usr/local/nginx --with-cc-opt='-O2 -g' --with-ld-opt=-Wl,-rpath,$ORIGIN --with-pcre=../pcre2-10.42 --with-openssl=../openssl-3.0.20 --with-http_ssl_module
`,
			want: VersionInfo{
				Name: "nginx", Version: "1.22.1", Compiler: "gcc 12.2.0 (Debian 12.2.0-14)", SSL: "OpenSSL 3.0.20 7 Apr 2026",
				ConfigureArgs: []string{"--prefix=/usr/local/nginx", "--with-cc-opt=-O2 -g", "--with-ld-opt=-Wl,-rpath,$ORIGIN", "--with-pcre=../pcre2-10.42", "--with-openssl=../openssl-3.0.20", "--with-http_ssl_module"},
			},
		},
		{
			name: "openresty",
			out: `nginx version: openresty/1.21.4.1
built by gcc 8.5.0 20210514 (Red Hat 8.5.0-4) (GCC)
built with OpenSSL 1.1.1n  15 Mar 2022
TLS SNI support enabled
configure arguments: --prefix=/usr/local/openresty/nginx --with-cc-opt='-O2 -DNGX_LUA_ABORT_AT_PANIC -I/usr/local/openresty/zlib/include' --add-module=../ngx_devel_kit-0.3.1 --add-module=../echo-nginx-module-0.62 --with-ld-opt='-Wl,-rpath,/usr/local/openresty/luajit/lib -L/usr/local/openresty/zlib/lib' --with-pcre-jit --with-stream --with-http_ssl_module
`,
			want: VersionInfo{
				Name: "openresty", Version: "1.21.4.1", Compiler: "gcc 8.5.0 20210514 (Red Hat 8.5.0-4) (GCC)", SSL: "OpenSSL 1.1.1n  15 Mar 2022",
				ConfigureArgs: []string{
					"--prefix=/usr/local/openresty/nginx",
					"--with-cc-opt=-O2 -DNGX_LUA_ABORT_AT_PANIC -I/usr/local/openresty/zlib/include",
					"--add-module=../ngx_devel_kit-0.3.1",
					"--add-module=../echo-nginx-module-0.62",
					"--with-ld-opt=-Wl,-rpath,/usr/local/openresty/luajit/lib -L/usr/local/openresty/zlib/lib",
					"--with-pcre-jit", "--with-stream", "--with-http_ssl_module",
				},
			},
		},
		{
			name: "freenginx with CRLF and distribution suffix",
			out:  "nginx version: freenginx/1.27.2 (Debian)\r\nbuilt by clang 17.0.6\r\nconfigure arguments: --with-http_v3_module\r\n",
			want: VersionInfo{Name: "freenginx", Version: "1.27.2", Compiler: "clang 17.0.6", ConfigureArgs: []string{"--with-http_v3_module"}},
		},
		{
			name: "Tengine prints its own version first",
			out:  "Tengine version: Tengine/3.1.0\nnginx version: nginx/1.24.0\nbuilt with LibreSSL 3.8.2\n",
			want: VersionInfo{Name: "Tengine", Version: "3.1.0", SSL: "LibreSSL 3.8.2"},
		},
		{
			name: "no configure arguments",
			out:  "nginx version: nginx/1.27.0\nbuilt by gcc 13.2.0\nconfigure arguments:\n",
			want: VersionInfo{Name: "nginx", Version: "1.27.0", Compiler: "gcc 13.2.0"},
		},
		{
			// Printed by nginx's own code: the options went through
			// auto/options and configure's NGX_CONFIGURE string literal
			// (configure was given --with-cc-opt='-DNGX_X=\"a b\" -O2',
			// "--with-cc-opt=-DMSG='hello world'", '--with-ld-opt=-Wl,(x)&y',
			// --with-cc-opt=-DN=\"it\'s\" and "--build=it's  two").
			name: "nginx's own quoting",
			out: `nginx version: nginx/1.22.1
configure arguments: --prefix=/x --with-cc-opt='-DNGX_X="a b" -O2' --with-cc-opt='-DMSG='hello world'' --with-ld-opt=-Wl,(x)&y --with-cc-opt=-DN="it's" --build='it's two'
`,
			want: VersionInfo{Name: "nginx", Version: "1.22.1", ConfigureArgs: []string{
				"--prefix=/x", `--with-cc-opt=-DNGX_X=\"a b\" -O2`, "--with-cc-opt=-DMSG='hello world'", "--with-ld-opt=-Wl,(x)&y",
				`--with-cc-opt=-DN=\"it's\"`, "--build=it's two",
			}},
		},
		{
			name: "quoted values end where the next option starts",
			out:  "nginx version: nginx/1.22.1\nconfigure arguments: --with-cc-opt='-DA='x y' -DB' --with-ld-opt='-L/a b' --x='q' --y=a'b' --z='\n",
			want: VersionInfo{Name: "nginx", Version: "1.22.1", ConfigureArgs: []string{
				"--with-cc-opt=-DA='x y' -DB", "--with-ld-opt=-L/a b", "--x='q'", "--y=a'b'", "--z='",
			}},
		},
		{
			// nginx prints a value without spaces as it was given.
			name: "unbalanced quote in a value without spaces",
			out:  "nginx version: nginx/1.22.1\nconfigure arguments: --with-cc-opt='-O2 --prefix=/p\n",
			want: VersionInfo{Name: "nginx", Version: "1.22.1", ConfigureArgs: []string{"--with-cc-opt='-O2", "--prefix=/p"}},
		},
		{
			name: "noise around the output",
			out:  "$ nginx -V\nnginx version: nginx/1.25.3\nnginx: [warn] something\n",
			want: VersionInfo{Name: "nginx", Version: "1.25.3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseV(tt.out)
			if err != nil {
				t.Fatalf("ParseV: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseV =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestParseVErrors(t *testing.T) {
	tests := []struct{ name, out, want string }{
		{name: "empty", out: "", want: "no \"nginx version:\" line"},
		{name: "not nginx", out: "bash: nginx: command not found\n", want: "no \"nginx version:\" line"},
		{name: "not an option", out: "nginx version: nginx/1.22.1\nconfigure arguments: --a; rm -rf /\n", want: `configure arguments of nginx -V: "rm" is not a configure option`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseV(tt.out)
			if err == nil {
				t.Fatalf("ParseV = %#v, want an error containing %q", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestParseVRealDebian parses the nginx -V of Debian bookworm's packaged
// nginx, captured verbatim from /usr/sbin/nginx.
func TestParseVRealDebian(t *testing.T) {
	out, err := os.ReadFile("../testdata/nginx-V/debian-bookworm-1.22.1.txt")
	if err != nil {
		t.Fatal(err)
	}
	info, err := ParseV(string(out))
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "nginx" || info.Version != "1.22.1" || !strings.HasPrefix(info.SSL, "OpenSSL 3.0.") {
		t.Errorf("ParseV = %+v", info)
	}
	want := "-g -O2 -ffile-prefix-map=/build/reproducible-path/nginx-1.22.1=. -fstack-protector-strong -Wformat -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2"
	if len(info.ConfigureArgs) < 40 || info.ConfigureArgs[0] != "--with-cc-opt="+want {
		t.Errorf("first argument %q of %d", info.ConfigureArgs[0], len(info.ConfigureArgs))
	}
	for _, a := range []string{"--with-compat", "--with-stream=dynamic", "--modules-path=/usr/lib/nginx/modules"} {
		found := false
		for _, got := range info.ConfigureArgs {
			found = found || got == a
		}
		if !found {
			t.Errorf("%s missing from %q", a, info.ConfigureArgs)
		}
	}
}

// TestParseVNginxOrgPackage parses the nginx -V of nginx.org's own package
// of 1.26.2 for Debian bookworm, as its build (pkg-oss) configures it.
func TestParseVNginxOrgPackage(t *testing.T) {
	out, err := os.ReadFile("../testdata/nginx-V/nginx-org-bookworm-1.26.2.txt")
	if err != nil {
		t.Fatal(err)
	}
	info, err := ParseV(string(out))
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "nginx" || info.Version != "1.26.2" || info.Compiler != "gcc 12.2.0 (Debian 12.2.0-14)" ||
		info.SSL != "OpenSSL 3.0.11 19 Sep 2023 (running with OpenSSL 3.0.15 3 Sep 2024)" {
		t.Errorf("ParseV = %+v", info)
	}
	args := info.ConfigureArgs
	if len(args) != 42 || args[0] != "--prefix=/etc/nginx" || args[1] != "--sbin-path=/usr/sbin/nginx" || args[2] != "--modules-path=/usr/lib/nginx/modules" {
		t.Fatalf("%d arguments: %q", len(args), args)
	}
	wantCC := "--with-cc-opt=-g -O2 -ffile-prefix-map=/data/builder/debuild/nginx-1.26.2/debian/debuild-base/nginx-1.26.2=. -fstack-protector-strong -Wformat -Werror=format-security -Wp,-D_FORTIFY_SOURCE=2 -fPIC"
	if args[len(args)-2] != wantCC || args[len(args)-1] != "--with-ld-opt=-Wl,-z,relro -Wl,-z,now -Wl,--as-needed -pie" {
		t.Errorf("compiler options %q", args[len(args)-2:])
	}
	for _, a := range []string{"--with-compat", "--user=nginx", "--with-http_v3_module", "--with-stream"} {
		found := false
		for _, got := range args {
			found = found || got == a
		}
		if !found {
			t.Errorf("%s missing from %q", a, args)
		}
	}
}
