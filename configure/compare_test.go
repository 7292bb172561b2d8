package configure

import (
	"slices"
	"testing"
)

func TestDifferences(t *testing.T) {
	installed := VersionInfo{
		Name: "nginx", Version: "1.22.1",
		ConfigureArgs: []string{"--prefix=/opt/nginx", "--with-pcre=../pcre2-10.42", "--with-openssl=../openssl-3.0.20", "--with-http_ssl_module", "--add-module=../echo"},
	}
	same := Wanted{Name: "nginx", Version: "1.22.1", Args: installed.ConfigureArgs}
	tests := []struct {
		name string
		want Wanted
		have VersionInfo
		diff []string
	}{
		{"identical", same, installed, nil},
		{"newer version", Wanted{Name: "nginx", Version: "1.22.2", Args: same.Args}, installed,
			[]string{"version: installed 1.22.1, requested 1.22.2"}},
		{"other flavour", Wanted{Name: "freenginx", Version: "1.22.1", Args: same.Args}, installed,
			[]string{"flavour: installed nginx, requested freenginx"}},
		{"library upgrade", Wanted{Name: "nginx", Version: "1.22.1",
			Args: []string{"--prefix=/opt/nginx", "--with-pcre=../pcre2-10.42", "--with-openssl=../openssl-3.0.21", "--with-http_ssl_module", "--add-module=../echo"}}, installed,
			[]string{"openssl: installed static openssl-3.0.20, requested static openssl-3.0.21"}},
		{"library now system", Wanted{Name: "nginx", Version: "1.22.1",
			Args: []string{"--prefix=/opt/nginx", "--with-openssl=../openssl-3.0.20", "--with-http_ssl_module", "--add-module=../echo"}}, installed,
			[]string{"pcre: installed static pcre2-10.42, requested the system library"}},
		{"one option more", Wanted{Name: "nginx", Version: "1.22.1", Args: append(slices.Clone(same.Args), "--with-http_v2_module")}, installed,
			[]string{"configure arguments: added --with-http_v2_module"}},
		{"option removed and module added", Wanted{Name: "nginx", Version: "1.22.1",
			Args: []string{"--prefix=/opt/nginx", "--with-pcre=../pcre2-10.42", "--with-openssl=../openssl-3.0.20", "--add-module=../echo", "--add-dynamic-module=../more"}}, installed,
			[]string{"modules: added --add-dynamic-module=../more", "configure arguments: removed --with-http_ssl_module"}},
		{"module order", Wanted{Name: "nginx", Version: "1.22.1", Args: []string{"--add-module=../b", "--add-module=../a"}},
			VersionInfo{Name: "nginx", Version: "1.22.1", ConfigureArgs: []string{"--add-module=../a", "--add-module=../b"}},
			[]string{"modules: same, in a different order"}},
		{"openresty compares what was asked for", Wanted{Name: "openresty", Version: "1.21.4.1", Args: []string{"-j2", "--with-http_v2_module"}, Subset: true},
			VersionInfo{Name: "openresty", Version: "1.21.4.1", ConfigureArgs: []string{"--prefix=/usr/local/openresty/nginx", "--add-module=../ngx_devel_kit-0.3.1", "--with-http_v2_module"}},
			nil},
		{"openresty missing option", Wanted{Name: "openresty", Version: "1.21.4.1", Args: []string{"--with-stream"}, Subset: true},
			VersionInfo{Name: "openresty", Version: "1.21.4.1", ConfigureArgs: []string{"--add-module=../ngx_devel_kit-0.3.1"}},
			[]string{"configure arguments: missing --with-stream"}},
		{"custom fork: version not compared", Wanted{Args: same.Args}, VersionInfo{Name: "tengine", Version: "3.1.0", ConfigureArgs: same.Args}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Differences(tt.want, tt.have)
			if !slices.Equal(got, tt.diff) {
				t.Errorf("Differences = %q\nwant          %q", got, tt.diff)
			}
		})
	}
}
