package configure

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		body     string
		comments []string
	}{
		{name: "empty", script: "", body: ""},
		{name: "default script", script: "#!/bin/sh\n\n./configure", body: "#!/bin/sh\n\n./configure"},
		{name: "no trailing newline", script: "./configure --prefix=/x", body: "./configure --prefix=/x"},
		{name: "trailing blank lines", script: "./configure --prefix=/x\n\n \n\t\n", body: "./configure --prefix=/x"},
		{
			name:     "CRLF line endings",
			script:   "#!/bin/sh\r\n./configure \\\r\n--prefix=/x \\\r\n\r\n# c\r\n",
			body:     "#!/bin/sh\n./configure \\\n--prefix=/x",
			comments: []string{"# c"},
		},
		{name: "only comments", script: "# a\n# b\n", body: "", comments: []string{"# a", "# b"}},
		{
			name:     "shebang then only comments",
			script:   "#!/bin/sh\n# a\n\n# b\n",
			body:     "#!/bin/sh",
			comments: []string{"# a", "# b"},
		},
		{name: "only shebang", script: "#!/bin/sh\n", body: "#!/bin/sh"},
		{name: "backslash then spaces", script: "./configure --a \\ \t\n", body: "./configure --a"},
		{name: "repeated backslash lines", script: "./configure --a \\\n \\\n\\\n", body: "./configure --a"},
		{name: "backslash before blank line", script: "./configure --a \\\n\n\n", body: "./configure --a"},
		{
			name:     "spec example",
			script:   "#!/bin/sh\n\n./configure \\\n--prefix=/opt/nginx \\\n\n# built by ops\n# v2\n\n",
			body:     "#!/bin/sh\n\n./configure \\\n--prefix=/opt/nginx",
			comments: []string{"# built by ops", "# v2"},
		},
		{
			name:     "comments in the middle stay",
			script:   "#!/bin/sh\n# setup\nexport CC=gcc\n\n./configure \\\n  --prefix=/x\n# end1\n\n# end2\n",
			body:     "#!/bin/sh\n# setup\nexport CC=gcc\n\n./configure \\\n  --prefix=/x",
			comments: []string{"# end1", "# end2"},
		},
		{
			name:   "comment between commands stays",
			script: "cd nginx\n# configure it\n./configure --a\n",
			body:   "cd nginx\n# configure it\n./configure --a",
		},
		{
			name:     "indented comment kept verbatim",
			script:   "./configure --a\n   # note\n",
			body:     "./configure --a",
			comments: []string{"   # note"},
		},
		{
			name:     "comment right after a continuation",
			script:   "./configure --a \\\n# v2",
			body:     "./configure --a",
			comments: []string{"# v2"},
		},
		{name: "inline comment is not a comment line", script: "./configure --a # note\n", body: "./configure --a # note"},
		{name: "hash joined by continuation is not a comment", script: "./configure --a\\\n#x\n", body: "./configure --a\\\n#x"},
		{
			name:   "hash inside quotes is not a comment",
			script: "./configure '--with-cc-opt=-O2\n# not a comment'\n",
			body:   "./configure '--with-cc-opt=-O2\n# not a comment'",
		},
		{
			name:   "hash inside a here-document is not a comment",
			script: "./configure <<EOF\n# data\nEOF\n",
			body:   "./configure <<EOF\n# data\nEOF",
		},
		{
			// Without a parse there is only the text to go by.
			name:     "unparsable script falls back to text",
			script:   "./configure 'unterminated\n# c\n",
			body:     "./configure 'unterminated",
			comments: []string{"# c"},
		},
		{name: "whitespace only", script: " \n\t\n", body: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, comments := Normalize(tt.script)
			if body != tt.body {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			if !slices.Equal(comments, tt.comments) {
				t.Errorf("comments = %q, want %q", comments, tt.comments)
			}
		})
	}
}

var (
	pcre    = Library{Option: "pcre", Dir: "../pcre2-10.42"}
	openssl = Library{Option: "openssl", Dir: "../openssl-3.0.20", SSL: true}
	zlib    = Library{Option: "zlib", Dir: "../zlib-1.2.13"}
)

func TestGenerate(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{name: "default script", in: Input{}, want: "#!/bin/sh\n\n./configure\n"},
		{name: "whitespace-only script means default", in: Input{UserScript: "\n \n"}, want: "#!/bin/sh\n\n./configure\n"},
		{
			name: "spec example",
			in: Input{
				UserScript: "#!/bin/sh\n\n./configure \\\n--prefix=/opt/nginx \\\n\n# built by ops\n# v2\n\n",
				Libraries:  []Library{pcre, openssl, zlib},
				ExtraArgs:  []string{"--with-cc-opt=-O2 -g"},
			},
			want: "#!/bin/sh\n\n./configure \\\n--prefix=/opt/nginx \\\n--with-pcre=../pcre2-10.42 \\\n--with-openssl=../openssl-3.0.20 \\\n--with-zlib=../zlib-1.2.13 \\\n--with-http_ssl_module \\\n'--with-cc-opt=-O2 -g'\n# built by ops\n# v2\n",
		},
		{
			name: "libraries without SSL add no ssl module",
			in:   Input{Libraries: []Library{pcre, zlib}},
			want: "#!/bin/sh\n\n./configure \\\n--with-pcre=../pcre2-10.42 \\\n--with-zlib=../zlib-1.2.13\n",
		},
		{
			name: "ssl module already in the user script",
			in:   Input{UserScript: "./configure --with-http_ssl_module", Libraries: []Library{openssl}},
			want: "./configure --with-http_ssl_module \\\n--with-openssl=../openssl-3.0.20\n",
		},
		{
			name: "ssl module already in extra args",
			in:   Input{Libraries: []Library{openssl}, ExtraArgs: []string{"--with-http_ssl_module"}},
			want: "#!/bin/sh\n\n./configure \\\n--with-openssl=../openssl-3.0.20 \\\n--with-http_ssl_module\n",
		},
		{
			name: "ssl module already in module args",
			in:   Input{Libraries: []Library{openssl}, ModuleArgs: []string{"--with-http_ssl_module"}},
			want: "#!/bin/sh\n\n./configure \\\n--with-openssl=../openssl-3.0.20 \\\n--with-http_ssl_module\n",
		},
		{
			name: "module args after libraries and quoted",
			in: Input{
				Libraries:  []Library{openssl},
				ModuleArgs: []string{"--add-module=../echo-nginx-module", "--add-dynamic-module=/x y"},
				ExtraArgs:  []string{"--prefix=/opt/nginx"},
			},
			want: "#!/bin/sh\n\n./configure \\\n--with-openssl=../openssl-3.0.20 \\\n--with-http_ssl_module \\\n--add-module=../echo-nginx-module \\\n'--add-dynamic-module=/x y' \\\n--prefix=/opt/nginx\n",
		},
		{
			name: "extra args with quotes, dollar and empty",
			in:   Input{ExtraArgs: []string{`--with-cc-opt=-DX="it's"`, "--with-ld-opt=-Wl,-rpath,$ORIGIN", ""}},
			want: "#!/bin/sh\n\n./configure \\\n" + `'--with-cc-opt=-DX="it'\''s"'` + " \\\n'--with-ld-opt=-Wl,-rpath,$ORIGIN' \\\n''\n",
		},
		{
			name: "nothing to append keeps inline comment",
			in:   Input{UserScript: "./configure --a # note\n"},
			want: "./configure --a # note\n",
		},
		{
			name: "env prefix and redirect",
			in:   Input{UserScript: "CFLAGS=-O2 ./configure --a > configure.log 2>&1\n", Libraries: []Library{zlib}},
			want: "CFLAGS=-O2 ./configure --a > configure.log 2>&1 \\\n--with-zlib=../zlib-1.2.13\n",
		},
		{
			name: "CRLF script",
			in:   Input{UserScript: "#!/bin/sh\r\n./configure \\\r\n--prefix=/x\r\n# c\r\n", Libraries: []Library{zlib}},
			want: "#!/bin/sh\n./configure \\\n--prefix=/x \\\n--with-zlib=../zlib-1.2.13\n# c\n",
		},
		{
			name: "first SSL library names the ssl module",
			in:   Input{Libraries: []Library{{Option: "openssl", Dir: "../libressl-3.8.2", SSL: true}}},
			want: "#!/bin/sh\n\n./configure \\\n--with-openssl=../libressl-3.8.2 \\\n--with-http_ssl_module\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, replaced, err := Generate(tt.in)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if replaced != nil {
				t.Errorf("Generate replaced %+v", replaced)
			}
			if got != tt.want {
				t.Errorf("Generate =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// A script's own --with-pcre=, --with-openssl= or --with-zlib= next to the
// flag that embeds that library is replaced by the embedded option, as
// nginx-build's last-one-wins did: cut out of the script and reported.
func TestGenerateReplacesScriptLibraryOptions(t *testing.T) {
	libressl := Library{Option: "openssl", Dir: "../libressl-4.3.0", SSL: true, Flag: "-libressl"}
	tests := []struct {
		name     string
		in       Input
		want     string
		replaced []Replaced
	}{
		{
			name: "openssl on its own line",
			in: Input{
				UserScript: "#!/bin/sh\n./configure \\\n  --prefix=/opt/nginx \\\n  --with-openssl=/opt/ssl \\\n  --with-http_v2_module\n",
				Libraries:  []Library{openssl},
			},
			want:     "#!/bin/sh\n./configure \\\n  --prefix=/opt/nginx \\\n  --with-http_v2_module \\\n--with-openssl=../openssl-3.0.20 \\\n--with-http_ssl_module\n",
			replaced: []Replaced{{Line: 4, Option: "--with-openssl=/opt/ssl", By: "-openssl (embedded ../openssl-3.0.20)"}},
		},
		{
			name: "all three, first, middle and last",
			in: Input{
				UserScript: "./configure --with-pcre=/p --prefix=/x \\\n\t--with-openssl='/opt/my ssl' --with-http_ssl_module \\\n --with-zlib=/z\n# v2\n",
				Libraries:  []Library{pcre, openssl, zlib},
			},
			want: "./configure --prefix=/x --with-http_ssl_module \\\n--with-pcre=../pcre2-10.42 \\\n--with-openssl=../openssl-3.0.20 \\\n--with-zlib=../zlib-1.2.13\n# v2\n",
			replaced: []Replaced{
				{Line: 1, Option: "--with-pcre=/p", By: "-pcre (embedded ../pcre2-10.42)"},
				{Line: 2, Option: "--with-openssl=/opt/my ssl", By: "-openssl (embedded ../openssl-3.0.20)"},
				{Line: 3, Option: "--with-zlib=/z", By: "-zlib (embedded ../zlib-1.2.13)"},
			},
		},
		{
			name:     "the embedded path itself",
			in:       Input{UserScript: "./configure --with-zlib=../zlib-1.2.13", Libraries: []Library{zlib}},
			want:     "./configure \\\n--with-zlib=../zlib-1.2.13\n",
			replaced: []Replaced{{Line: 1, Option: "--with-zlib=../zlib-1.2.13", By: "-zlib (embedded ../zlib-1.2.13)"}},
		},
		{
			name:     "a redirection before it stays",
			in:       Input{UserScript: "./configure >log --with-openssl=$SSL 2>&1", Libraries: []Library{libressl}},
			want:     "./configure >log 2>&1 \\\n--with-openssl=../libressl-4.3.0 \\\n--with-http_ssl_module\n",
			replaced: []Replaced{{Line: 1, Option: "--with-openssl=$SSL", By: "-libressl (embedded ../libressl-4.3.0)"}},
		},
		{
			name:     "CRLF script",
			in:       Input{UserScript: "#!/bin/sh\r\n./configure \\\r\n--with-zlib=/z \\\r\n--prefix=/x\r\n", Libraries: []Library{zlib}},
			want:     "#!/bin/sh\n./configure \\\n--prefix=/x \\\n--with-zlib=../zlib-1.2.13\n",
			replaced: []Replaced{{Line: 3, Option: "--with-zlib=/z", By: "-zlib (embedded ../zlib-1.2.13)"}},
		},
		{
			name: "bare --with-pcre and library tuning options stay",
			in:   Input{UserScript: "./configure --with-pcre --with-pcre-jit --with-openssl-opt=no-weak-ssl-ciphers", Libraries: []Library{pcre, openssl}},
			want: "./configure --with-pcre --with-pcre-jit --with-openssl-opt=no-weak-ssl-ciphers \\\n--with-pcre=../pcre2-10.42 \\\n--with-openssl=../openssl-3.0.20 \\\n--with-http_ssl_module\n",
		},
		{
			name: "no library embedded, nothing replaced",
			in:   Input{UserScript: "./configure --with-openssl=/opt/ssl --with-zlib=/z"},
			want: "./configure --with-openssl=/opt/ssl --with-zlib=/z\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, replaced, err := Generate(tt.in)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if got != tt.want {
				t.Errorf("Generate =\n%s\nwant\n%s", got, tt.want)
			}
			if !slices.Equal(replaced, tt.replaced) {
				t.Errorf("replaced = %+v, want %+v", replaced, tt.replaced)
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string // substring of the error
	}{
		{
			name: "duplicate between script and extra args",
			in:   Input{UserScript: "./configure --with-http_v2_module", ExtraArgs: []string{"--with-http_v2_module"}},
			want: "duplicate option --with-http_v2_module (from the configure script and the command line)",
		},
		{
			name: "library option after -- conflicts with the embedded one",
			in:   Input{Libraries: []Library{openssl}, ExtraArgs: []string{"--with-openssl=/x"}},
			want: "--with-openssl=/x in the command line conflicts with -openssl (embedded ../openssl-3.0.20)",
		},
		{
			// The script's is replaced; the one after -- is still the user's
			// explicit choice against the flag.
			name: "library option in the script and after --",
			in:   Input{UserScript: "./configure --with-openssl=/x", Libraries: []Library{openssl}, ExtraArgs: []string{"--with-openssl=/y"}},
			want: "--with-openssl=/y in the command line conflicts with -openssl (embedded ../openssl-3.0.20)",
		},
		{
			name: "two library options in the script",
			in:   Input{UserScript: "./configure --with-openssl=/x --with-openssl=/y", Libraries: []Library{openssl}},
			want: "conflicting options --with-openssl=/x and --with-openssl=/y (both from the configure script)",
		},
		{
			name: "the same library option twice in the script",
			in:   Input{UserScript: "./configure --with-zlib=/z --with-zlib=/z", Libraries: []Library{zlib}},
			want: "duplicate option --with-zlib=/z (both from the configure script)",
		},
		{
			name: "disabling an embedded library in the script",
			in:   Input{UserScript: "./configure --without-pcre", Libraries: []Library{pcre}},
			want: "--without-pcre in the configure script conflicts with -pcre (embedded ../pcre2-10.42)",
		},
		{
			name: "replaced library option does not hide another conflict",
			in:   Input{UserScript: "./configure --prefix=/a --with-openssl=/x", Libraries: []Library{openssl}, ExtraArgs: []string{"--prefix=/b"}},
			want: "conflicting options --prefix=/a and --prefix=/b (from the configure script and the command line)",
		},
		{
			name: "without ssl module conflicts with embedded SSL library",
			in:   Input{ExtraArgs: []string{"--without-http_ssl_module"}, Libraries: []Library{openssl}},
			want: "--without-http_ssl_module in the command line conflicts with -openssl (embedded ../openssl-3.0.20)",
		},
		{
			name: "two libraries for one option",
			in:   Input{Libraries: []Library{openssl, {Option: "openssl", Dir: "../libressl-3.8.2", SSL: true}}},
			want: "conflicting options --with-openssl=../openssl-3.0.20 and --with-openssl=../libressl-3.8.2",
		},
		{
			name: "conflicting prefix",
			in:   Input{UserScript: "./configure --prefix=/a", ExtraArgs: []string{"--prefix=/b"}},
			want: "conflicting options --prefix=/a and --prefix=/b",
		},
		{
			name: "duplicate module",
			in:   Input{ModuleArgs: []string{"--add-module=../echo", "--add-module=../echo"}},
			want: "duplicate option --add-module=../echo (both from the module configuration)",
		},
		{name: "unparsable script", in: Input{UserScript: "./configure 'oops"}, want: "1:13"},
		{name: "no configure command", in: Input{UserScript: "#!/bin/sh\nmake\n"}, want: "no ./configure command"},
		{name: "only comments", in: Input{UserScript: "# nothing here\n"}, want: "no ./configure command"},
		{
			name: "command after configure",
			in:   Input{UserScript: "./configure --a\nmake\n", Libraries: []Library{zlib}},
			want: "configure command ends at line 1:16",
		},
		{
			name: "inline comment would swallow appended options",
			in:   Input{UserScript: "./configure --a # note\n", ExtraArgs: []string{"--b"}},
			want: "script continues after it",
		},
		{
			name: "statement terminator after configure",
			in:   Input{UserScript: "./configure --a;\n", ExtraArgs: []string{"--b"}},
			want: "script continues after it",
		},
		{name: "empty library option", in: Input{Libraries: []Library{{Dir: "../x"}}}, want: "embedded library 1 has an empty option name"},
		{name: "empty library dir", in: Input{Libraries: []Library{{Option: "zlib"}}}, want: "empty option name or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, replaced, err := Generate(tt.in)
			if err == nil {
				t.Fatalf("Generate succeeded with\n%s\nwant error containing %q", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if got != "" || replaced != nil {
				t.Errorf("Generate returned a script along with the error: %q, %+v", got, replaced)
			}
		})
	}
}

// TestGenerateRoundTrip parses Generate's output back, which proves the
// appended words reach configure exactly as given, whatever they contain.
func TestGenerateRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want []string
	}{
		{name: "default", in: Input{}, want: nil},
		{
			name: "spec example",
			in: Input{
				UserScript: "#!/bin/sh\n\n./configure \\\n--prefix=/opt/nginx \\\n\n# built by ops\n# v2\n\n",
				Libraries:  []Library{pcre, openssl, zlib},
				ExtraArgs:  []string{"--with-cc-opt=-O2 -g"},
			},
			want: []string{"--prefix=/opt/nginx", "--with-pcre=../pcre2-10.42", "--with-openssl=../openssl-3.0.20", "--with-zlib=../zlib-1.2.13", "--with-http_ssl_module", "--with-cc-opt=-O2 -g"},
		},
		{
			name: "awkward words",
			in: Input{
				UserScript: "#!/bin/sh\nCFLAGS=-O2 exec ./configure \\\n  --prefix=\"/opt/my nginx\" \\\n  --user=$NGINX_USER \\\n",
				Libraries:  []Library{{Option: "zlib", Dir: "../zlib dir/it's"}},
				ModuleArgs: []string{"--add-dynamic-module=/x y", "--add-module=../a'b"},
				ExtraArgs:  []string{"--with-cc-opt=-DA=\"$HOME\" `id` \\", "", "--with-ld-opt=\n-lm\t-lz", "--build=ü*?[x]~#!;&|<>(){}"},
			},
			want: []string{"--prefix=/opt/my nginx", "--user=$NGINX_USER", "--with-zlib=../zlib dir/it's", "--add-dynamic-module=/x y", "--add-module=../a'b", "--with-cc-opt=-DA=\"$HOME\" `id` \\", "", "--with-ld-opt=\n-lm\t-lz", "--build=ü*?[x]~#!;&|<>(){}"},
		},
		{
			name: "replaced library options",
			in: Input{
				UserScript: "#!/bin/sh\nexec ./configure --with-pcre=\"/opt/my pcre\" \\\n  --prefix=/x \\\n\t--with-openssl=$SSL_DIR >log \\\n  --with-zlib=/z\n",
				Libraries:  []Library{pcre, openssl, zlib},
			},
			want: []string{"--prefix=/x", "--with-pcre=../pcre2-10.42", "--with-openssl=../openssl-3.0.20", "--with-zlib=../zlib-1.2.13", "--with-http_ssl_module"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script, _, err := Generate(tt.in)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			got, err := Args(script)
			if err != nil {
				t.Fatalf("Args(%q): %v", script, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Args(Generate()) = %q, want %q\nscript:\n%s", got, tt.want, script)
			}
		})
	}
}

// FuzzGenerate feeds arbitrary scripts and options through every entry point
// to make sure none of them panics, and checks that whenever Generate accepts
// a script, the options it appended really reach the configure command.
func FuzzGenerate(f *testing.F) {
	f.Add("#!/bin/sh\n\n./configure \\\n--prefix=/opt/nginx \\\n\n# built by ops\n# v2\n\n", "--with-cc-opt=-O2 -g")
	f.Add("./configure <<EOF\n# data\nEOF\n", "--a")
	f.Add("CFLAGS=-O2 exec ./configure --a > log 2>&1\n# c", "")
	f.Add("cd x && ./configure $'a\\tb' \"$X\" ~/y \\\r\n", "it's")
	f.Add("nginx version: nginx/1.22.1\nconfigure arguments: --with-cc-opt='-O2 -g'", "$(id)")
	f.Add("#\nconfigure 00\n#\xa3", "0")
	f.Add("./configure \\\n  --with-openssl=/opt/ssl \\\n  --prefix=/x", "--with-http_v2_module")
	f.Add("./configure --with-openssl=\"$A\"'b' > log --with-openssl-opt=x", "")
	f.Fuzz(func(t *testing.T, script, extra string) {
		Normalize(script)
		_, _ = Args(script)
		_, _ = ParseV(script)
		out, _, err := Generate(Input{UserScript: script, Libraries: []Library{openssl}, ExtraArgs: []string{extra}})
		// sh runs any bytes, but the parser behind Args rejects invalid
		// UTF-8 (even in comments) and reads NUL and CRLF lossily, so the
		// round trip is only checked where Args can read the result.
		if err != nil || !readable(script) || !readable(extra) {
			return
		}
		args, err := Args(out)
		if err != nil {
			t.Fatalf("Args of the generated script failed: %v\nscript:\n%s", err, out)
		}
		if len(args) == 0 || args[len(args)-1] != extra {
			t.Fatalf("generated script passes %q to configure, want it to end with %q\nscript:\n%s", args, extra, out)
		}
		// The script's own --with-openssl=DIR is replaced: configure
		// receives the embedded library's once.
		var ssl []string
		for _, a := range args {
			if strings.HasPrefix(a, "--with-openssl=") {
				ssl = append(ssl, a)
			}
		}
		if len(ssl) != 1 || ssl[0] != "--with-openssl="+openssl.Dir {
			t.Fatalf("generated script passes %q to configure, want --with-openssl=%s once\nscript:\n%s", ssl, openssl.Dir, out)
		}
	})
}

// readable reports whether Args can read s back exactly.
func readable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0) && !strings.Contains(s, "\r\n")
}
