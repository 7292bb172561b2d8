package configure

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// FuzzParseV feeds arbitrary text to ParseV as `nginx -V` output, and checks
// that a configure argument printed the way nginx prints it comes back intact.
func FuzzParseV(f *testing.F) {
	if real, err := os.ReadFile("../testdata/nginx-V/debian-bookworm-1.22.1.txt"); err == nil {
		f.Add(string(real), "--with-cc-opt=-g -O2")
	}
	f.Add("nginx version: nginx/1.22.1\nbuilt by gcc 12.2.0 (Debian 12.2.0-14)\nbuilt with OpenSSL 3.0.20 7 Apr 2026\n"+
		"TLS SNI support enabled\nconfigure arguments: --prefix=/usr/local/nginx --with-cc-opt='-O2 -g' --with-ld-opt=-Wl,-rpath,$ORIGIN\n", "$ORIGIN")
	f.Add("nginx version: freenginx/1.27.2 (Debian)\r\nbuilt by clang 17.0.6\r\nconfigure arguments: --with-http_v3_module\r\n", "it's")
	f.Add("Tengine version: Tengine/3.1.0\nnginx version: nginx/1.24.0\nbuilt with LibreSSL 3.8.2\n", "")
	f.Add("nginx version: nginx/1.22.1\nconfigure arguments: --with-cc-opt='-O2\n", "'")
	f.Add("nginx version: nginx/1.22.1\nconfigure arguments: --a; rm -rf /\n", "; rm -rf /")
	f.Add("nginx version: nginx/1.22.1\nconfigure arguments: --a=$(id) `id` \"x\" ~/y *\n", "~/y")
	f.Add("nginx version: nginx/1.26.2\nconfigure arguments: --with-cc-opt='-DMSG='a b' -DX=\\\"y z\\\"' --with-ld-opt=-Wl,(x)&\n", "-DMSG='a b' -DX=1")
	f.Add("nginx version: nginx/1.26.2\nconfigure arguments: --with-cc-opt='-DNAME=\"it's\" x'\n", "a' -b")
	f.Add("bash: nginx: command not found\n", "\\")
	f.Fuzz(func(t *testing.T, out, arg string) {
		info, err := ParseV(out)
		if err == nil {
			if strings.IndexFunc(info.Version, unicode.IsSpace) >= 0 {
				t.Errorf("version %q contains white space", info.Version)
			}
			if info.Compiler != strings.TrimSpace(info.Compiler) || info.SSL != strings.TrimSpace(info.SSL) {
				t.Errorf("untrimmed compiler %q or SSL %q", info.Compiler, info.SSL)
			}
			if info.ConfigureArgs != nil && len(info.ConfigureArgs) == 0 {
				t.Errorf("empty, non-nil ConfigureArgs")
			}
			again, err := ParseV(out)
			if err != nil || !reflect.DeepEqual(again, info) {
				t.Fatalf("ParseV is not deterministic: %+v, %v then %+v", info, err, again)
			}
		} else if !reflect.DeepEqual(info, VersionInfo{}) {
			t.Errorf("error %v with non-zero info %+v", err, info)
		}

		// An argument printed the way nginx prints it must be recovered
		// exactly. nginx prints what its shell's echo gives (runs of white
		// space squeezed, so none here), and a value with a quote followed
		// by " -" inside reads like the end of an argument and the start of
		// the next: nginx's output is ambiguous there.
		// A double quote is given escaped (\") for nginx's C string literal,
		// which prints it plain; other backslashes depend on the shell's echo.
		if !readable(arg) || strings.ContainsAny(arg, "\r\n\t\\") || strings.TrimSpace(arg) != arg ||
			strings.Contains(arg, "  ") || strings.Contains(arg, "' -") {
			return
		}
		opt := "--x=" + strings.ReplaceAll(arg, `"`, `\"`)
		printed := strings.ReplaceAll(nginxPrints(opt), `\"`, `"`)
		v := "nginx version: nginx/1.22.1\nconfigure arguments: --a " + printed + " --b\n"
		info, err = ParseV(v)
		if err != nil {
			t.Fatalf("ParseV(%q): %v", v, err)
		}
		if want := []string{"--a", opt, "--b"}; !slices.Equal(info.ConfigureArgs, want) {
			t.Fatalf("ParseV(%q) args = %q, want %q", v, info.ConfigureArgs, want)
		}
	})
}

// nginxPrints is what nginx's auto/options makes of one configure
// argument for nginx -V: sed -e "s/\(--[^=]*=\)\(.* .*\)/\1'\2'/"
// (before the C compiler reads it as a string literal).
func nginxPrints(opt string) string {
	i := strings.Index(opt, "--")
	if i < 0 {
		return opt
	}
	eq := strings.IndexByte(opt[i:], '=')
	if eq < 0 || !strings.Contains(opt[i+eq+1:], " ") {
		return opt
	}
	return opt[:i+eq+1] + "'" + opt[i+eq+1:] + "'"
}

// FuzzNormalize checks the shape of what Normalize returns on arbitrary
// scripts; FuzzGenerate covers how Generate uses it.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"#!/bin/sh\n\n./configure \\\n--prefix=/opt/nginx \\\n\n# built by ops\n# v2\n\n",
		"#!/bin/sh\n",
		"#!/bin/sh\n# only a comment\n",
		"./configure <<EOF\n# data\nEOF\n# trailing\n",
		"./configure --a='\n# not a comment\n'\n",
		"./configure --a \\\r\n  --b \\\r\n# c\r\n",
		"./configure --a \\\n# c\n\t \n",
		"./configure --a # inline\n",
		"echo \"unterminated\n# c\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		body, comments := Normalize(script)
		if trimmed := strings.TrimRight(body, " \t\r\n\\"); trimmed != body {
			t.Errorf("body %q keeps a trailing blank or backslash", body)
		}
		norm := strings.ReplaceAll(script, "\r\n", "\n")
		if !strings.HasPrefix(norm, body) {
			t.Errorf("body %q is not a prefix of the script", body)
		}
		rest := norm[len(body):]
		for _, c := range comments {
			if isBlank(c) || strings.Contains(c, "\n") {
				t.Errorf("trailing comment %q is blank or spans lines", c)
			}
			if !strings.HasPrefix(strings.TrimLeft(c, " \t"), "#") {
				t.Errorf("trailing comment %q is not a comment line", c)
			}
			// Comments come out in order, and only blanks and
			// backslashes may be dropped between them.
			i := strings.Index(rest, c)
			if i < 0 {
				t.Fatalf("comment %q not found after the body in %q", c, norm)
			}
			if gap := rest[:i]; strings.Trim(gap, " \t\r\n\\") != "" {
				t.Errorf("Normalize dropped %q before comment %q", gap, c)
			}
			rest = rest[i+len(c):]
		}
		if strings.Trim(rest, " \t\r\n\\") != "" {
			t.Errorf("Normalize dropped %q at the end", rest)
		}
	})
}
