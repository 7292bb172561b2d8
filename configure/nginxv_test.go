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
		{name: "unbalanced quote", out: "nginx version: nginx/1.22.1\nconfigure arguments: --with-cc-opt='-O2\n", want: "configure arguments"},
		{name: "operator in arguments", out: "nginx version: nginx/1.22.1\nconfigure arguments: --a; rm -rf /\n", want: "configure arguments"},
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
