package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Inputs cubicdaiya/nginx-build accepts: modules.json entries annotated
// with keys it does not know, and a -c script that names a library the
// flags embed. They build, with a warning.

// TestModulesJSONUnknownKeys: an unknown key is ignored with a warning at
// its file:line:col, in builds and in the modules command; malformed
// JSON, a wrong type and an unknown form are still usage errors.
func TestModulesJSONUnknownKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		modules string // a local module "mymod" beside it; %MOD% is its absolute path
		modCmd  bool   // the modules command instead of a build
		code    int
		want    []string // in stderr; %FILE% is the modules.json path
		addArg  string   // in the configure arguments; %MOD% as above
	}{
		{name: "comment key",
			modules: "[\n  {\"name\": \"mymod\", \"form\": \"local\", \"url\": \"mymod\",\n    \"comment\": \"our fork, see TICKET-12\"}\n]\n",
			want:    []string{`warning: %FILE%:3:5: unknown key "comment" is ignored (known keys: name, form, url, rev, dynamic, shprov, shprovdir, checksum, license)`},
			addArg:  "--add-module=%MOD%"},
		{name: "misspelt key",
			modules: "[{\"name\": \"mymod\", \"form\": \"local\", \"url\": \"mymod\", \"dynamc\": true}]",
			want:    []string{`warning: %FILE%:1:53: unknown key "dynamc" is ignored (did you mean "dynamic"?)`},
			addArg:  "--add-module=%MOD%"}, // "dynamc" is not "dynamic"
		{name: "modules command",
			modules: "[{\"name\": \"mymod\", \"form\": \"local\", \"url\": \"mymod\", \"comment\": \"x\"}]",
			modCmd:  true,
			want:    []string{`warning: %FILE%:1:53: unknown key "comment" is ignored`},
			addArg:  "--add-dynamic-module=%MOD%"},
		{name: "malformed JSON", code: 2,
			modules: "[\n  {\"name\": \"mymod\", \"form\": local}\n]",
			want:    []string{`-m: %FILE%:2:29: invalid character 'l' looking for beginning of value`}},
		{name: "wrong type", code: 2,
			modules: "[\n  {\"name\": \"mymod\", \"form\": \"local\", \"url\": \"mymod\", \"dynamic\": \"yes\"}\n]",
			want:    []string{`-m: %FILE%:2:70: cannot unmarshal string into Go struct field Module.dynamic of type bool`}},
		{name: "wrong type in the modules command", code: 2, modCmd: true,
			modules: "[{\"name\": 1, \"url\": \"mymod\"}]",
			want:    []string{`-m: %FILE%:1:12: cannot unmarshal number`}},
		{name: "unknown form", code: 2,
			modules: "[{\"name\": \"mymod\", \"form\": \"svn\", \"url\": \"mymod\"}]",
			want:    []string{`-m: %FILE%:1:2: module 1: module "mymod": unknown "form" "svn"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			dir := t.TempDir()
			mod := filepath.Join(dir, "mymod")
			os.MkdirAll(mod, 0o755)
			os.WriteFile(filepath.Join(mod, "config"), []byte("ngx_addon_name=mymod\n"), 0o644)
			mods := filepath.Join(dir, "modules.json")
			os.WriteFile(mods, []byte(tt.modules), 0o644)

			args := f.args("-m", mods)
			if tt.modCmd {
				args = []string{"modules", "--from-configure-args", "--with-compat", "-v", "1.30.1", "-m", mods,
					"-d", f.work, "-o", filepath.Join(dir, "out"), "--mirror", f.m.URL}
			}
			r := run(t, args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tt.code, r.err)
			}
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "%FILE%", mods)
				mustContain(t, "stderr", r.err, w)
				if n := strings.Count(r.err, w); n != 1 {
					t.Errorf("%q is in stderr %d times, want once", w, n)
				}
			}
			if tt.code != 0 {
				if n := f.m.TarballRequests(); n != 0 {
					t.Errorf("%d tarball requests before the error", n)
				}
				return
			}
			want := strings.ReplaceAll(tt.addArg, "%MOD%", mod)
			if got := f.configureArgs(t); !slices.Contains(got, want) {
				t.Errorf("configure args %q lack %s", got, want)
			}
		})
	}
}

// TestModulesJSONCommentKeepsLockfile: the lockfile holds the modules'
// pins, not modules.json's text, so a comment added after `lock` keeps a
// --locked build valid (it changes the input digest, as any edit of the
// file does: the next build rebuilds).
func TestModulesJSONCommentKeepsLockfile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	repo := gitRepo(t, filepath.Join(dir, "mod"))
	mods := filepath.Join(dir, "modules.json")
	entry := `{"name": "mod", "form": "git", "url": "` + repo + `", "rev": "main"`
	os.WriteFile(mods, []byte("["+entry+"}]"), 0o644)
	if r := run(t, "lock", "--mirror", f.m.URL, "-v", "1.30.1", "-m", mods); r.code != 0 {
		t.Fatalf("lock: %s", r.err)
	}
	lock, _ := os.ReadFile(filepath.Join(dir, "nginx-build.lock"))

	os.WriteFile(mods, []byte("["+entry+`, "comment": "pinned by lock"}]`), 0o644)
	r := run(t, "-d", f.work, "--mirror", f.m.URL, "-v", "1.30.1", "-m", mods, "--locked", "--dry-run")
	if r.code != 0 {
		t.Fatalf("--locked after adding a comment: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "stderr", r.err, `unknown key "comment" is ignored`)
	if r := run(t, "lock", "--mirror", f.m.URL, "-v", "1.30.1", "-m", mods); r.code != 0 {
		t.Fatalf("lock again: %s", r.err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "nginx-build.lock")); string(again) != string(lock) {
		t.Errorf("a comment changed the lockfile:\n%s\nwas\n%s", again, lock)
	}
}

// TestConfigureScriptLibraryOptionIsReplaced: a -c script's own
// --with-pcre=, --with-openssl= or --with-zlib= next to the flag that
// embeds that library is replaced by the embedded option, with one
// warning naming the script's line and the flag, in a dry run and in the
// build; configure receives the embedded option once.
func TestConfigureScriptLibraryOptionIsReplaced(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		option   string // in the script
		flags    []string
		embedded string
		by       string
	}{
		{"pcre", "--with-pcre=/opt/pcre2", []string{"-pcre", "-pcreversion", "10.42"}, "--with-pcre=../pcre2-10.42", "-pcre (embedded ../pcre2-10.42)"},
		{"openssl", "--with-openssl=/opt/ssl", []string{"-openssl", "-opensslversion", "3.0.20"}, "--with-openssl=../openssl-3.0.20", "-openssl (embedded ../openssl-3.0.20)"},
		{"zlib", "--with-zlib=/opt/zlib", []string{"-zlib", "-zlibversion", "1.2.13"}, "--with-zlib=../zlib-1.2.13", "-zlib (embedded ../zlib-1.2.13)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			dir := t.TempDir()
			chdir(t, dir)
			os.WriteFile(filepath.Join(dir, "configure.sh"), []byte("#!/bin/sh\n./configure \\\n  "+tt.option+" \\\n  --prefix=/opt/nginx\n"), 0o644)
			warning := "warning: configure.sh:3: " + tt.option + " is replaced by " + tt.by + "\n"
			args := f.args(append([]string{"-c", "configure.sh"}, tt.flags...)...)
			key, _, _ := strings.Cut(tt.option, "=")
			only := func(what string, got []string) {
				t.Helper()
				var opts []string
				for _, a := range got {
					if strings.HasPrefix(a, key+"=") {
						opts = append(opts, a)
					}
				}
				if !slices.Equal(opts, []string{tt.embedded}) || !slices.Contains(got, "--prefix=/opt/nginx") {
					t.Errorf("%s: %q, want %s once and --prefix=/opt/nginx", what, got, tt.embedded)
				}
			}

			r := run(t, append(args, "--dry-run", "--json")...)
			if r.code != 0 {
				t.Fatalf("dry run: exit %d\n%s", r.code, r.err)
			}
			if n := strings.Count(r.err, warning); n != 1 {
				t.Errorf("dry run: warning %q %d times, want once:\n%s", warning, n, r.err)
			}
			var plan struct {
				Configure []string `json:"configure"`
				Script    string   `json:"script"`
			}
			if err := json.Unmarshal([]byte(r.out), &plan); err != nil {
				t.Fatalf("dry run JSON: %v\n%s", err, r.out)
			}
			only("dry run's configure", plan.Configure)
			if strings.Contains(plan.Script, tt.option) {
				t.Errorf("dry run's script still has %s:\n%s", tt.option, plan.Script)
			}

			r = run(t, args...)
			if r.code != 0 {
				t.Fatalf("build: exit %d\n%s", r.code, r.err)
			}
			if n := strings.Count(r.err, warning); n != 1 {
				t.Errorf("build: warning %q %d times, want once:\n%s", warning, n, r.err)
			}
			only("configure's arguments", f.configureArgs(t))
			gen, _ := os.ReadFile(filepath.Join(f.src(), "nginx-configure"))
			if strings.Contains(string(gen), tt.option) || strings.Count(string(gen), tt.embedded) != 1 {
				t.Errorf("nginx-configure does not replace %s by %s:\n%s", tt.option, tt.embedded, gen)
			}
		})
	}
}

// TestConfigureOptionConflictsStayErrors: options the user wrote twice
// with different values, and a library option after -- next to the flag
// that embeds the library, are errors before any download.
func TestConfigureOptionConflictsStayErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script string // "" for none
		args   []string
		want   string
	}{
		{"two prefixes after --", "", []string{"--", "--prefix=/a", "--prefix=/b"},
			"conflicting options --prefix=/a and --prefix=/b (both from the command line)"},
		{"prefix in the script and after --", "./configure --prefix=/a\n", []string{"--", "--prefix=/b"},
			"conflicting options --prefix=/a and --prefix=/b (from the configure script and the command line)"},
		{"library option after --", "", []string{"-zlib", "-zlibversion", "1.2.13", "--", "--with-zlib=/opt/zlib"},
			"--with-zlib=/opt/zlib in the command line conflicts with -zlib (embedded ../zlib-1.2.13)"},
		{"library option in the script and after --", "./configure --with-zlib=/opt/zlib\n", []string{"-zlib", "-zlibversion", "1.2.13", "--", "--with-zlib=/usr/src/zlib"},
			"--with-zlib=/usr/src/zlib in the command line conflicts with -zlib (embedded ../zlib-1.2.13)"},
		{"two library options in the script", "./configure --with-zlib=/a --with-zlib=/b\n", []string{"-zlib", "-zlibversion", "1.2.13"},
			"conflicting options --with-zlib=/a and --with-zlib=/b (both from the configure script)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var args []string
			if tt.script != "" {
				script := filepath.Join(t.TempDir(), "configure.sh")
				os.WriteFile(script, []byte(tt.script), 0o644)
				args = []string{"-c", script}
			}
			r := run(t, f.args(append(args, tt.args...)...)...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.err)
			}
			mustContain(t, "error", r.err, tt.want)
			if strings.Contains(r.err, "is replaced by") {
				t.Errorf("a conflict also warned of a replacement:\n%s", r.err)
			}
			if n := f.m.TarballRequests(); n != 0 {
				t.Errorf("%d tarball requests before the conflict was reported", n)
			}
		})
	}
}
