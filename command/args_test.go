package command

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/iostreams"
)

func testRoot() *Factory {
	return (&Factory{IO: iostreams.New(nil, nil)}).withDefaults()
}

func TestNormalizeArgs(t *testing.T) {
	t.Parallel()
	cwd := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join("/cwd", p)
	}
	for _, tc := range []struct{ in, want, configure string }{
		{in: "-d work -openssl -opensslversion 3.0.20", want: "-d work --openssl --opensslversion 3.0.20"},
		{in: "-opensslversion=3.0.20 --pcre", want: "--opensslversion=3.0.20 --pcre"},
		{in: "--d work --v 1.22.1", want: "-d work -v 1.22.1"},
		{in: "-j8 -v1.22.1", want: "-j8 -v1.22.1"},
		{in: "-patch-opt -p1 -verbose", want: "--patch-opt -p1 --verbose"},
		{in: "-patch-opt=-p1", want: "--patch-opt=-p1"},
		{in: "-d work -- -openssl --prefix=/x", want: "-d work -- -openssl --prefix=/x"},
		{in: "versions openssl -mirror /m", want: "versions openssl --mirror /m"},
		{in: "-version", want: "--version"},
		{in: "-versions", want: "--versions"},
		{in: "-help-all", want: "--help-all"},
		{in: "--help-all", want: "--help-all"},
		{in: "-help", want: "--help"},
		{in: "-pcre=false", want: "--pcre=false"},
		{in: "---openssl", want: "---openssl"},
		// nginx-build before v0.16: configure options as flags, with one
		// dash or two, an attached value or the next word.
		{in: "-d work -pcre --conf-path=/etc/nginx/nginx.conf --with-http_v2_module",
			want: "-d work --pcre -- --conf-path=/etc/nginx/nginx.conf --with-http_v2_module", configure: "--conf-path=/etc/nginx/nginx.conf --with-http_v2_module"},
		{in: "-d=../openresty -j=4 -with-ld-opt -lwebp -m=modules.conf -openresty -pcre",
			want: "-d=../openresty -j=4 -m=modules.conf --openresty --pcre -- --with-ld-opt=-lwebp", configure: "--with-ld-opt=-lwebp"},
		// -conf-path is configure's, not -c onf-path.
		{in: "-d w -conf-path /etc/nginx.conf -- --with-debug", want: "-d w -- --conf-path=/etc/nginx.conf --with-debug", configure: "--conf-path=/etc/nginx.conf"},
		// A switch never takes the next word; an optional value must be attached.
		{in: "-d w -with-pcre -with-stream=dynamic -with-debug -pcre", want: "-d w --pcre -- --with-pcre --with-stream=dynamic --with-debug", configure: "--with-pcre --with-stream=dynamic --with-debug"},
		// OpenResty's own configure options, only with -openresty.
		{in: "-d w -openresty -without-lua_cjson", want: "-d w --openresty -- --without-lua_cjson", configure: "--without-lua_cjson"},
		{in: "lock -d w -with-http_v2_module", want: "lock -d w -- --with-http_v2_module", configure: "--with-http_v2_module"},
		// nginx-build's spellings: a string flag's value as the next word,
		// *_dynamic, Go's =true/=false, -add-module lists relative to here.
		{in: "-d w -with-pcre /opt/pcre -with-stream_dynamic", want: "-d w -- --with-pcre=/opt/pcre --with-stream=dynamic",
			configure: "--with-pcre=/opt/pcre --with-stream=dynamic"},
		{in: "-d w -with-debug=false -with-file-aio=true", want: "-d w -- --with-file-aio", configure: "--with-file-aio"},
		{in: "-d w -add-module=mods/a,/abs/b -add-dynamic-module x", want: "-d w -- --add-module=/cwd/mods/a --add-module=/abs/b --add-dynamic-module=/cwd/x",
			configure: "--add-module=/cwd/mods/a --add-module=/abs/b --add-dynamic-module=/cwd/x"},
		{in: "-d w -openresty=T -with-dtrace-probes", want: "-d w --openresty=T -- --with-dtrace-probes", configure: "--with-dtrace-probes"},
		// Shell completion's half-typed words are never refused or moved.
		{in: "__complete -d w -opens", want: "__complete -d w -opens"},
		{in: "__complete -d w -with-debug --ope", want: "__complete -d w -with-debug --ope"},
		{in: "__complete -d w -with-cc-opt", want: "__complete -d w -with-cc-opt"},
	} {
		line, err := normalizeArgs(newRoot(testRoot()), strings.Fields(tc.in), cwd)
		if err != nil {
			t.Errorf("normalize(%q): %v", tc.in, err)
			continue
		}
		got := strings.Join(line.args, " ")
		if got != tc.want || strings.Join(line.legacyConfigure, " ") != tc.configure {
			t.Errorf("normalize(%q) = %q (configure %q), want %q (configure %q)", tc.in, got, line.legacyConfigure, tc.want, tc.configure)
		}
	}
}

func TestUnknownFlagsAreNamedAsWritten(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ args, want string }{
		{"-d w -opensll", "unknown flag -opensll (did you mean -openssl?)"},
		{"-d w --opensll", "unknown flag --opensll (did you mean --openssl?)"},
		{"-d w -pcreversoin 10.42", "unknown flag -pcreversoin (did you mean -pcreversion?)"},
		// Never "unknown command DIR": the unknown flag is the problem.
		{"-d w --frobnicate --mirror DIR", "unknown flag --frobnicate"},
		{"-d w -x", "unknown flag -x"},
		// OpenResty's options without -openresty are nginx's: unknown.
		{"-d w -without-lua_cjson", "unknown flag -without-lua_cjson"},
		// Only build, lock, fetch and package take configure options.
		{"versions -with-debug", `unknown flag -with-debug for nginx-build versions (nginx configure options go after "--"`},
		{"versions -openssl", "unknown flag -openssl for nginx-build versions"},
		{"-d w -conf-path", "-conf-path needs a value: -conf-path=VALUE"},
		// A shorthand takes an attached value only when it looks like one.
		{"-d w -dryrun", "unknown flag -dryrun (did you mean -dry-run?)"},
		{"-d w -verbos", "unknown flag -verbos (did you mean -verbose?)"},
		{"-d w -mirorr DIR", "unknown flag -mirorr (did you mean -mirror?)"},
		{"-d w -jobz 3", "unknown flag -jobz (did you mean -jobs?)"},
		{"-d w -customngnx http://x/y.git", "unknown flag -customngnx (did you mean -customnginx?)"},
		{"-d w -with-debug=maybe", "-with-debug=maybe: -with-debug is a switch"},
		// OpenResty's options need -openresty, not a work dir called so.
		{"-d openresty -with-luajit", "unknown flag -with-luajit"},
		{"-with-debug versions", "unknown flag -with-debug for nginx-build versions"},
	} {
		r := run(t, strings.Fields(tc.args)...)
		if r.code != ExitUsage || !strings.Contains(r.err, "nginx-build: "+tc.want) {
			t.Errorf("nginx-build %s: exit %d, stderr\n%s\nwant exit %d and %q", tc.args, r.code, r.err, ExitUsage, tc.want)
		}
		if strings.Contains(r.err, "unknown command") || strings.Contains(r.err, "shorthand") {
			t.Errorf("nginx-build %s: cobra's wording leaked:\n%s", tc.args, r.err)
		}
	}
}

func TestLegacyVersionsPrintsTheDefaults(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"-versions", "--versions"} {
		r := run(t, flag)
		want := []string{"nginx-" + defaultVersion("nginx"), "openresty-" + defaultVersion("openresty"), "freenginx-" + defaultVersion("freenginx")}
		if got := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n"); r.code != 0 || !slices.Equal(got, want) || r.err != "" {
			t.Errorf("nginx-build %s: exit %d, stdout %q, stderr %q; want exactly %q", flag, r.code, r.out, r.err, want)
		}
	}
}

func TestHelpAllListsEveryFlagAndConfigureOption(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-help-all"}, {"--help-all"}, {"build", "-help-all"}} {
		flag := strings.Join(args, " ")
		r := run(t, args...)
		if r.code != 0 {
			t.Fatalf("nginx-build %s: exit %d\n%s", flag, r.code, r.err)
		}
		mustContain(t, flag, r.out, "--customnginxtag", "--help-all", "--mirror", "--verify", "-j, --jobs",
			"--conf-path=VALUE", "--with-http_v2_module", "--with-pcre[=VALUE]", "--without-lua_cjson", "With -openresty")
	}
}

func TestLegacyConfigureFlagsReachConfigure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := run(t, f.args("-pcre", "-pcreversion", "10.42", "-conf-path", "/etc/nginx/nginx.conf",
		"--http-log-path=/var/log/nginx/access.log", "-with-ld-opt", "-lwebp", "--with-http_v2_module", "--", "--with-debug")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	want := []string{"--with-pcre=../pcre2-10.42", "--conf-path=/etc/nginx/nginx.conf", "--http-log-path=/var/log/nginx/access.log",
		"--with-ld-opt=-lwebp", "--with-http_v2_module", "--with-debug"}
	if got := f.configureArgs(t); !slices.Equal(got, want) {
		t.Errorf("configure got\n%q\nwant\n%q", got, want)
	}
	if n := strings.Count(r.err, "note:"); n != 1 {
		t.Errorf("want one note about the current form, got %d:\n%s", n, r.err)
	}
	mustContain(t, "stderr", r.err, `after "--"`)
}
