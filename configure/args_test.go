package configure

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   []string
	}{
		{name: "no arguments", script: "#!/bin/sh\n\n./configure", want: nil},
		{
			name:   "multi-line with quotes",
			script: "#!/bin/sh\n\n./configure \\\n  --prefix=/opt/nginx \\\n  --with-cc-opt='-O2 -g' \\\n  \"--with-ld-opt=-Wl,-rpath,/x y\" \\\n  --a\\ b \\\n  --c='it'\\''s'\n",
			want:   []string{"--prefix=/opt/nginx", "--with-cc-opt=-O2 -g", "--with-ld-opt=-Wl,-rpath,/x y", "--a b", "--c=it's"},
		},
		{
			name:   "variables and substitutions keep their source",
			script: "./configure --prefix=$PREFIX --with-cc-opt=\"$CFLAGS -g\" --builddir=$(pwd)/b --x=`pwd` --y=${Z:-1} --z=$((1+2))",
			want:   []string{"--prefix=$PREFIX", `--with-cc-opt="$CFLAGS -g"`, "--builddir=$(pwd)/b", "--x=`pwd`", "--y=${Z:-1}", "--z=$((1+2))"},
		},
		{
			name:   "tilde and globs keep their source",
			script: `./configure ~/nginx --with-cc-opt=-I* '--q=*' --r=\*`,
			want:   []string{"~/nginx", "--with-cc-opt=-I*", "--q=*", "--r=*"},
		},
		{name: "env prefix", script: "CFLAGS=-O2 CC=clang ./configure --with-cc=clang", want: []string{"--with-cc=clang"}},
		{name: "exec wrapper", script: "exec ./configure --a", want: []string{"--a"}},
		{name: "env wrapper", script: "env -i CC=clang ./configure --a", want: []string{"--a"}},
		{name: "sh wrapper", script: "sh -x ./configure --a", want: []string{"--a"}},
		{name: "bash long option", script: "bash --norc ./configure --a", want: []string{"--a"}},
		{name: "after cd", script: "cd nginx-1.27.0 && ./configure --a", want: []string{"--a"}},
		{name: "auto/configure", script: "auto/configure --a", want: []string{"--a"}},
		{name: "quoted command", script: "'./configure' --a", want: []string{"--a"}},
		{name: "last call wins", script: "./configure --help\n./configure --a\n", want: []string{"--a"}},
		{name: "double-quote escapes", script: `./configure "a\$b\"c\\d\e"`, want: []string{`a$b"c\d\e`}},
		{name: "ANSI-C quote without escapes", script: "./configure $'--a b'", want: []string{"--a b"}},
		{name: "ANSI-C quote with escapes keeps source", script: `./configure $'--a\tb'`, want: []string{`$'--a\tb'`}},
		{name: "continuation inside a word", script: "./configure --pre\\\nfix=/x", want: []string{"--prefix=/x"}},
		{name: "CRLF", script: "./configure \\\r\n--a \\\r\n--b\r\n", want: []string{"--a", "--b"}},
		{name: "comments between lines", script: "./configure \\\n  --a # note\n# more\n", want: []string{"--a"}},
		{name: "redirections are not arguments", script: "./configure --a > log 2>&1 --b", want: []string{"--a", "--b"}},
		{name: "empty quoted argument", script: "./configure '' \"\"", want: []string{"", ""}},
		{name: "newline in quotes", script: "./configure '--a=x\ny'", want: []string{"--a=x\ny"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Args(tt.script)
			if err != nil {
				t.Fatalf("Args: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Args = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestArgsErrors(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   string
	}{
		{name: "unterminated quote", script: "./configure 'x", want: "1:13"},
		{name: "syntax error on a later line", script: "#!/bin/sh\n./configure --a\nif true; then\n", want: "3:1"},
		{name: "invalid UTF-8", script: "./configure \xff", want: "1:13"},
		{name: "no configure", script: "echo hi\nmake", want: "no ./configure command"},
		{name: "empty", script: "", want: "no ./configure command"},
		{name: "unknown command wrapper", script: "sudo ./configure --a", want: "no ./configure command"},
		{name: "sh -c is not a configure call", script: "sh -c ./configure --a", want: "no ./configure command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Args(tt.script)
			if err == nil {
				t.Fatalf("Args = %q, want an error containing %q", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := Args("make"); !errors.Is(err, errNoConfigure) {
		t.Errorf("Args(make) error = %v, want errNoConfigure", err)
	}
}
