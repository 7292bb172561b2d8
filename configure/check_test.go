package configure

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	script := func(vs ...string) []Arg {
		var args []Arg
		for _, v := range vs {
			args = append(args, Arg{Value: v, Origin: "the configure script"})
		}
		return args
	}
	embedded := func(v, origin string) Arg { return Arg{Value: v, Origin: origin, Embedded: true} }
	extra := func(v string) Arg { return Arg{Value: v, Origin: "the command line"} }
	cat := func(lists ...[]Arg) []Arg {
		var all []Arg
		for _, l := range lists {
			all = append(all, l...)
		}
		return all
	}
	const opensslOrigin = "-openssl (embedded ../openssl-3.0.20)"

	tests := []struct {
		name string
		args []Arg
		want []string // one substring per reported line; nil means no error
	}{
		{name: "nil", args: nil},
		{name: "distinct options", args: script("--prefix=/a", "--with-http_ssl_module", "--with-cc-opt=-O2")},
		{name: "bare and valued pcre coexist", args: script("--with-pcre", "--with-pcre=../pcre2-10.42", "--with-pcre-jit")},
		{name: "different modules", args: script("--add-module=../a", "--add-module=../b", "--add-dynamic-module=../c", "--add-dynamic-module=../d")},
		{
			name: "library tuning options next to an embedded library",
			args: cat(script("--with-openssl-opt=no-weak-ssl-ciphers"), []Arg{embedded("--with-openssl=../openssl-3.0.20", opensslOrigin)}),
		},
		{
			name: "duplicate within one origin",
			args: script("--with-http_ssl_module", "--with-http_ssl_module"),
			want: []string{"duplicate option --with-http_ssl_module (both from the configure script)"},
		},
		{
			name: "duplicate across origins",
			args: cat(script("--with-http_ssl_module"), []Arg{extra("--with-http_ssl_module")}),
			want: []string{"duplicate option --with-http_ssl_module (from the configure script and the command line)"},
		},
		{
			name: "identical module paths",
			args: script("--add-dynamic-module=../njs/nginx", "--add-dynamic-module=../njs/nginx"),
			want: []string{"duplicate option --add-dynamic-module=../njs/nginx"},
		},
		{
			name: "conflicting prefix",
			args: cat(script("--prefix=/a"), []Arg{extra("--prefix=/b")}),
			want: []string{"conflicting options --prefix=/a and --prefix=/b (from the configure script and the command line)"},
		},
		{name: "cc-opt twice", args: script("--with-cc-opt=-O2", "--with-cc-opt=-g"), want: []string{"conflicting options --with-cc-opt=-O2 and --with-cc-opt=-g"}},
		{name: "ld-opt twice", args: script("--with-ld-opt=-lm", "--with-ld-opt=-lz"), want: []string{"conflicting options --with-ld-opt=-lm and --with-ld-opt=-lz"}},
		{name: "with and without", args: script("--with-pcre", "--without-pcre"), want: []string{"conflicting options --with-pcre and --without-pcre"}},
		{name: "without then with value", args: script("--without-pcre", "--with-pcre=../pcre"), want: []string{"conflicting options --without-pcre and --with-pcre=../pcre"}},
		{
			name: "user library option before embedded",
			args: cat(script("--with-openssl=/x"), []Arg{embedded("--with-openssl=../openssl-3.0.20", opensslOrigin)}),
			want: []string{"--with-openssl=/x in the configure script conflicts with -openssl (embedded ../openssl-3.0.20)"},
		},
		{
			name: "replaced library option before embedded",
			args: []Arg{{Value: "--with-openssl=/x", Origin: "the configure script", Replaced: true}, embedded("--with-openssl=../openssl-3.0.20", opensslOrigin)},
		},
		{
			name: "replaced library option with the embedded path",
			args: []Arg{embedded("--with-zlib=../zlib-1.2.13", "-zlib (embedded ../zlib-1.2.13)"), {Value: "--with-zlib=../zlib-1.2.13", Replaced: true}},
		},
		{
			name: "two replaced options still clash",
			args: []Arg{
				{Value: "--with-openssl=/x", Origin: "the configure script", Replaced: true},
				{Value: "--with-openssl=/y", Origin: "the configure script", Replaced: true},
				embedded("--with-openssl=../openssl-3.0.20", opensslOrigin),
			},
			want: []string{"conflicting options --with-openssl=/x and --with-openssl=/y (both from the configure script)"},
		},
		{
			name: "after a replaced option, later ones meet the embedded one",
			args: []Arg{
				{Value: "--with-openssl=/x", Origin: "the configure script", Replaced: true},
				embedded("--with-openssl=../openssl-3.0.20", opensslOrigin),
				extra("--with-openssl=/y"),
			},
			want: []string{"--with-openssl=/y in the command line conflicts with -openssl (embedded ../openssl-3.0.20)"},
		},
		{
			name: "user library option after embedded",
			args: []Arg{embedded("--with-openssl=../openssl-3.0.20", opensslOrigin), extra("--with-openssl=/x")},
			want: []string{"--with-openssl=/x in the command line conflicts with -openssl (embedded ../openssl-3.0.20)"},
		},
		{
			name: "user repeats the embedded path",
			args: cat(script("--with-zlib=../zlib-1.2.13"), []Arg{embedded("--with-zlib=../zlib-1.2.13", "-zlib (embedded ../zlib-1.2.13)")}),
			want: []string{"--with-zlib=../zlib-1.2.13 in the configure script conflicts with -zlib (embedded ../zlib-1.2.13)"},
		},
		{
			name: "disabling an embedded library",
			args: cat(script("--without-pcre"), []Arg{embedded("--with-pcre=../pcre2-10.42", "-pcre (embedded ../pcre2-10.42)")}),
			want: []string{"--without-pcre in the configure script conflicts with -pcre (embedded ../pcre2-10.42)"},
		},
		{
			name: "every problem is reported",
			args: script("--prefix=/a", "--prefix=/b", "--with-stream", "--with-stream", "--prefix=/c"),
			want: []string{"--prefix=/a and --prefix=/b", "duplicate option --with-stream", "--prefix=/a and --prefix=/c"},
		},
		{name: "no origins", args: []Arg{{Value: "--a=1"}, {Value: "--a=2"}}, want: []string{"conflicting options --a=1 and --a=2"}},
		{name: "empty values", args: []Arg{{Value: ""}, {Value: ""}, {Value: "="}, {Value: "=x"}}, want: []string{"duplicate option ", "conflicting options = and =x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.args)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check: unexpected error %q", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check succeeded, want errors %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("Check reported %d problems, want %d:\n%s", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i+1, lines[i], w)
				}
			}
		})
	}
}
