package module3rd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	mods, data, warnings, err := Load(t.Context(), filepath.Join("testdata", "modules.json"))
	if err != nil || warnings != nil {
		t.Fatal(err, warnings)
	}
	want := []Module{
		{Name: "ngx_http_hello_world", Form: "git", URL: "https://github.com/cubicdaiya/ngx_http_hello_world", Rev: "master", Dynamic: true,
			Pos: "testdata/modules.json:2:3"},
		{Name: "ngx_small_light", Form: "git", URL: "https://github.com/cubicdaiya/ngx_small_light", Rev: "v0.9.2",
			Shprov: "./setup --with-GraphicsMagick", ShprovDir: "..", Pos: "testdata/modules.json:9:3"},
		{Name: "nginx-dav-ext-module", Form: "hg", URL: "https://hg.example.org/nginx-dav-ext-module", Rev: "default", Pos: "testdata/modules.json:17:3"},
		{Name: "echo-nginx-module", Form: "local", URL: "/usr/local/src/echo-nginx-module", Pos: "testdata/modules.json:23:3"},
	}
	if !reflect.DeepEqual(mods, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", mods, want)
	}
	raw, _ := os.ReadFile(filepath.Join("testdata", "modules.json"))
	if string(data) != string(raw) {
		t.Error("Load does not return the file's content")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, _, err := Load(t.Context(), filepath.Join(t.TempDir(), "nope.json"))
	if err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Fatalf("Load = %v, want an error naming the file", err)
	}
}

func TestLoadReportsPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "modules.json")
	if err := os.WriteFile(p, []byte("[\n  {\"name\": \"a\"}\n]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := Load(t.Context(), p)
	if err == nil || !strings.HasPrefix(err.Error(), p+":2:3: ") {
		t.Fatalf("Load = %v, want an error at %s:2:3", err, p)
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Module
	}{
		{"empty array", "[]", nil},
		{"empty array with spaces", " [ \n ] \n", nil},
		{"minimal", `[{"name":"a","form":"git","url":"u"}]`, []Module{{Name: "a", Form: "git", URL: "u"}}},
		{"CRLF", "[\r\n {\"name\": \"a\", \"form\": \"hg\", \"url\": \"u\"}\r\n]\r\n", []Module{{Name: "a", Form: "hg", URL: "u"}}},
		{"tarball with checksum", `[{"name":"a","form":"tarball","url":"u.tar.gz","checksum":"sha256:` + strings.Repeat("ab", 32) + `"}]`,
			[]Module{{Name: "a", Form: "tarball", URL: "u.tar.gz", Checksum: "sha256:" + strings.Repeat("ab", 32)}}},
		// nginx-build's default form is git.
		{"form defaults to git", `[{"name":"a","url":"u"}]`, []Module{{Name: "a", Form: "git", URL: "u"}}},
		{"null fields", `[{"name":"a","form":"git","url":"u","rev":null,"dynamic":null}]`, []Module{{Name: "a", Form: "git", URL: "u"}}},
		{"name charset", `[{"name":"A0._+-z","form":"local","url":"../x"}]`, []Module{{Name: "A0._+-z", Form: "local", URL: "../x"}}},
		{"license", `[{"name":"a","url":"u","license":"BSD-2-Clause"}]`, []Module{{Name: "a", Form: "git", URL: "u", License: "BSD-2-Clause"}}},
		// encoding/json matches keys to fields case-insensitively: these are known.
		{"keys in another case", `[{"Name":"a","URL":"u","Dynamic":true}]`, []Module{{Name: "a", Form: "git", URL: "u", Dynamic: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := Parse("m.json", []byte(tt.in))
			if err != nil || warnings != nil {
				t.Fatal(err, warnings)
			}
			for i := range got {
				got[i].Pos = "" // positions are checked in TestLoad
			}
			if len(got) != 0 || len(tt.want) != 0 {
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("Parse = %+v, want %+v", got, tt.want)
				}
			}
		})
	}
}

// at strips the ‸ marker from s and returns the text and the marker's
// 1-based line and column in bytes, the way errors count them.
func at(t *testing.T, s string) (string, int, int) {
	t.Helper()
	i := strings.Index(s, "‸")
	if i < 0 || strings.Count(s, "‸") != 1 {
		t.Fatalf("test input needs exactly one ‸: %q", s)
	}
	before := s[:i]
	line := strings.Count(before, "\n") + 1
	col := i - strings.LastIndex(before, "\n")
	return before + s[i+len("‸"):], line, col
}

func TestParseErrors(t *testing.T) {
	const ok = `{"name": "a", "form": "git", "url": "u"}`
	tests := []struct {
		name string
		in   string // ‸ marks where the error must point
		has  []string
	}{
		{"syntax error on line 3",
			"[\n  " + ok + ",\n  {\"name\": \"b\", \"form\" ‸\"git\", \"url\": \"u\"}\n]\n",
			[]string{"invalid character '\"' after object key"}},
		{"syntax error in first module",
			"[\n  {\"name\": \"a\",‸, \n]",
			nil},
		{"missing comma between modules",
			"[\n  " + ok + "\n  ‸" + ok + "\n]",
			[]string{"invalid character '{' after array element"}},
		{"trailing comma",
			"[\n  " + ok + ",\n‸]",
			[]string{"invalid character ']' looking for beginning of value"}},
		{"stray close brace after a module",
			"[" + ok + "‸}",
			[]string{"invalid character '}' after array element"}},
		{"leading close bracket",
			"  ‸]",
			[]string{"invalid character ']'"}},
		{"single quotes",
			"[{‸'name': 'a'}]",
			[]string{"invalid character '\\''"}},
		{"wrong type for dynamic",
			"[\n  " + ok + ",\n  {\"name\": \"b\", \"form\": \"git\", \"url\": \"u\",\n   \"dynamic\": \"yes\"‸}\n]",
			[]string{"cannot unmarshal string", "dynamic", "bool"}},
		{"wrong type for name",
			"[\n  {\"name\": 42‸, \"form\": \"git\", \"url\": \"u\"}\n]",
			[]string{"cannot unmarshal number", "name", "string"}},
		{"module is not an object",
			"[\n  " + ok + ",\n  \"echo\"‸\n]",
			[]string{"cannot unmarshal string", "Module"}},
		{"wrong type next to an unknown key",
			"[{\"comment\": \"x\", \"name\": \"b\", \"url\": \"u\", \"rev\": 1‸}]",
			[]string{"cannot unmarshal number", "rev", "string"}},
		{"missing name",
			"[\n  " + ok + ",\n  ‸{\"form\": \"git\", \"url\": \"u\"}\n]",
			[]string{"module 2", `missing "name"`}},
		{"null module",
			"[‸null]",
			[]string{"module 1", `missing "name"`}},
		{"missing url",
			"[\n ‸{\"name\": \"b\", \"form\": \"git\"}\n]",
			[]string{"module 1", `module "b"`, `missing "url"`}},
		{"checksum on a git module",
			"[\n ‸{\"name\": \"b\", \"url\": \"u\", \"checksum\": \"sha256:00\"}\n]",
			[]string{`module "b"`, `"checksum" applies to form "tarball" only`}},
		{"malformed checksum",
			"[\n ‸{\"name\": \"b\", \"form\": \"tarball\", \"url\": \"u\", \"checksum\": \"md5:00\"}\n]",
			[]string{`module "b"`, `must be "sha256:" followed by 64 hex digits`}},
		{"unknown form",
			"[\n  " + ok + ",\n\t‸{\"name\": \"b\", \"form\": \"svn\", \"url\": \"u\"}\n]",
			[]string{"module 2", `unknown "form" "svn"`, "git, hg, local"}},
		{"form is case sensitive",
			"[‸{\"name\": \"b\", \"form\": \"Git\", \"url\": \"u\"}]",
			[]string{`unknown "form" "Git"`}},
		{"rev with local",
			"[‸{\"name\": \"b\", \"form\": \"local\", \"url\": \"/src/b\", \"rev\": \"v1\"}]",
			[]string{`"rev" makes no sense`}},
		{"url looks like an option",
			"[‸{\"name\": \"b\", \"form\": \"git\", \"url\": \"--upload-pack=touch /tmp/pwned\"}]",
			[]string{`must not start with "-"`}},
		{"rev looks like an option",
			"[‸{\"name\": \"b\", \"form\": \"git\", \"url\": \"u\", \"rev\": \"-c\"}]",
			[]string{`must not start with "-"`}},
		{"name with slash",
			"[‸{\"name\": \"a/b\", \"form\": \"git\", \"url\": \"u\"}]",
			[]string{`"name" "a/b" must be a plain directory name`}},
		{"name is dot-dot",
			"[‸{\"name\": \"..\", \"form\": \"git\", \"url\": \"u\"}]",
			[]string{`"name" ".."`}},
		{"name escapes with dot-dot",
			"[‸{\"name\": \"../../etc\", \"form\": \"git\", \"url\": \"u\"}]",
			[]string{`"name" "../../etc"`}},
		{"name is hidden",
			"[‸{\"name\": \".git\", \"form\": \"git\", \"url\": \"u\"}]",
			[]string{`"name" ".git"`}},
		{"name with backslash",
			"[‸{\"name\": \"a\\\\b\", \"form\": \"git\", \"url\": \"u\"}]",
			[]string{`must be a plain directory name`}},
		{"name with space",
			"[‸{\"name\": \"a b\", \"form\": \"git\", \"url\": \"u\"}]",
			[]string{`must be a plain directory name`}},
		{"object instead of array",
			"‸" + ok,
			[]string{"must be a JSON array"}},
		{"string instead of array",
			`‸"modules"`,
			[]string{"must be a JSON array"}},
		{"trailing garbage",
			"[\n  " + ok + "\n]\n‸garbage",
			[]string{"unexpected content after the module list"}},
		{"second array",
			"[] ‸[]",
			[]string{"unexpected content after the module list"}},
		{"trailing string",
			"[]\n\t‸\"trailing text\"",
			[]string{"unexpected content after the module list"}},
		{"trailing number",
			"[] ‸12345",
			[]string{"unexpected content after the module list"}},
		{"unterminated array",
			"[\n  " + ok + "\n‸",
			[]string{"unexpected end of file"}},
		{"unterminated module",
			"[{\"name\": \"a\"‸",
			[]string{"unexpected end of file"}},
		{"empty file",
			"‸",
			[]string{"unexpected end of file"}},
		{"whitespace only",
			" \n‸",
			[]string{"unexpected end of file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, line, col := at(t, tt.in)
			mods, _, err := Parse("m.json", []byte(in))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", in, mods)
			}
			if prefix := "m.json:" + strconv.Itoa(line) + ":" + strconv.Itoa(col) + ": "; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q\ndoes not start with %q", err, prefix)
			}
			for _, s := range tt.has {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %s", err, s)
				}
			}
			if strings.Contains(err.Error(), "json: ") {
				t.Errorf("error %q leaks the json: prefix", err)
			}
		})
	}
}

// A key modules.json does not know is ignored, as nginx-build ignores it
// (a "comment" annotates an entry), with a warning at the key.
func TestParseUnknownKeys(t *testing.T) {
	const ok = `{"name": "a", "form": "git", "url": "u"}`
	tests := []struct {
		name string
		in   string // ‸ marks where the warning must point
		has  []string
		want []Module // without Pos
	}{
		{"comment key",
			"[\n  {\"name\": \"a\", \"url\": \"u\",\n   ‸\"comment\": \"pinned for CVE-2024-1\"}\n]",
			[]string{`unknown key "comment" is ignored`, "(known keys: name, form, url, rev, dynamic, shprov, shprovdir, checksum, license)"},
			[]Module{{Name: "a", Form: "git", URL: "u"}}},
		{"misspelt key gets a did-you-mean",
			"[\n  " + ok + ",\n  {\"name\": \"b\", \"form\": \"git\", \"url\": \"u\",\n   ‸\"dynamc\": true}\n]",
			[]string{`unknown key "dynamc" is ignored (did you mean "dynamic"?)`},
			[]Module{{Name: "a", Form: "git", URL: "u"}, {Name: "b", Form: "git", URL: "u"}}},
		{"named like a value before it",
			"[{\"name\": \"dynamc\", \"rev\": \"dynamc\", ‸\"dynamc\": {\"dynamc\": [1]}, \"url\": \"u\"}]",
			[]string{`unknown key "dynamc"`},
			[]Module{{Name: "dynamc", Form: "git", URL: "u", Rev: "dynamc"}}},
		{"spelt with escapes",
			"[{\"name\": \"b\", \"sh\\u0070rov\": \"x\",\n\t‸\"shpr\\u006fvv\": 1, \"url\": \"u\"}]",
			[]string{`unknown key "shprovv"`, `did you mean "shprov"?`},
			[]Module{{Name: "b", Form: "git", URL: "u", Shprov: "x"}}},
		{"in the second module on one line",
			"[" + ok + ", {\"name\": \"b\", \"url\": \"u\", ‸\"lisence\": \"MIT\"}]",
			[]string{`unknown key "lisence"`, `did you mean "license"?`},
			[]Module{{Name: "a", Form: "git", URL: "u"}, {Name: "b", Form: "git", URL: "u"}}},
		{"any value, nested keys not reported",
			"[{\"name\": \"b\", \"url\": \"u\", ‸\"notes\": {\"by\": [\"ops\", {\"x\": null}]}, \"rev\": \"v1\"}]",
			[]string{`unknown key "notes"`},
			[]Module{{Name: "b", Form: "git", URL: "u", Rev: "v1"}}},
		{"the struct's hidden field is no key",
			"[{\"name\": \"b\", \"url\": \"u\", ‸\"Pos\": \"x:1:1\"}]",
			[]string{`unknown key "Pos"`},
			[]Module{{Name: "b", Form: "git", URL: "u"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, line, col := at(t, tt.in)
			mods, warnings, err := Parse("m.json", []byte(in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(warnings) != 1 {
				t.Fatalf("warnings = %q, want one", warnings)
			}
			if prefix := "m.json:" + strconv.Itoa(line) + ":" + strconv.Itoa(col) + ": "; !strings.HasPrefix(warnings[0], prefix) {
				t.Errorf("warning %q\ndoes not start with %q", warnings[0], prefix)
			}
			for _, s := range tt.has {
				if !strings.Contains(warnings[0], s) {
					t.Errorf("warning %q does not mention %s", warnings[0], s)
				}
			}
			for i := range mods {
				mods[i].Pos = ""
			}
			if !reflect.DeepEqual(mods, tt.want) {
				t.Errorf("Parse = %+v, want %+v", mods, tt.want)
			}
		})
	}
}

// The warnings found before an error come with it: a misspelt "nmae"
// explains why "name" is missing.
func TestParseWarnsBeforeAnError(t *testing.T) {
	in := "[\n  {\"nmae\": \"a\", \"url\": \"u\", \"comment\": \"x\"}\n]"
	mods, warnings, err := Parse("m.json", []byte(in))
	if err == nil || err.Error() != `m.json:2:3: module 1: missing "name"` {
		t.Fatalf("Parse = %+v, %v; want the missing name", mods, err)
	}
	want := []string{
		`m.json:2:4: unknown key "nmae" is ignored (did you mean "name"?)`,
		`m.json:2:29: unknown key "comment" is ignored (known keys: name, form, url, rev, dynamic, shprov, shprovdir, checksum, license)`,
	}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings =\n%q\nwant\n%q", warnings, want)
	}
}

func TestParseDuplicateNames(t *testing.T) {
	in := "[\n" +
		"  {\"name\": \"echo\", \"form\": \"git\", \"url\": \"u1\"},\n" +
		"  {\"name\": \"other\", \"form\": \"git\", \"url\": \"u2\"},\n" +
		"\t\t{\"name\": \"echo\", \"form\": \"hg\", \"url\": \"u3\"}\n" +
		"]\n"
	_, _, err := Parse("m.json", []byte(in))
	want := `m.json:4:3: module "echo" is listed twice (first at m.json:2:3)`
	if err == nil || err.Error() != want {
		t.Fatalf("Parse = %v\nwant     %s", err, want)
	}
}

var errPosition = regexp.MustCompile(`^f\.json:([0-9]+):([0-9]+): `)

func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "modules.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(seed),
		"",
		"[]",
		"{}",
		"null",
		"[null]",
		"[1, 2]",
		`[{"name": "a", "form": "git", "url": "u"}]`,
		`[{"name": "a", "form": "git", "url": "u"}, {"name": "a", "form": "hg", "url": "u"}]`,
		`[{"name": "a", "form": "git", "url": "u", "dynamic": "yes"}]`,
		`[{"name": "a", "form": "git", "url": "u", "bogus": 1}]`,
		"[\n  {\"name\": \"b\", \"form\" \"git\"}\n]",
		`[{"name": "../x", "form": "local", "url": "/x"}]`,
		`[{"name": "a", "form": "git", "url": "u"}] trailing`,
		`[{"name": "a", "form": "git", "url": "u"}}`,
		`[{"name": "a\u0000", "form": "git", "url": "u"}]`,
		"[\"\xff\"]",
		`[[[[[[[[]]]]]]]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mods, warnings, err := Parse("f.json", data)
		// Every message points into the input.
		lines := strings.Split(string(data), "\n")
		inside := func(msg string) {
			m := errPosition.FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("%q has no f.json:line:col position", msg)
			}
			line, _ := strconv.Atoi(m[1])
			col, _ := strconv.Atoi(m[2])
			if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1])+1 {
				t.Fatalf("%q points outside the input (%d lines)", msg, len(lines))
			}
		}
		for _, w := range warnings {
			inside(w)
			if !strings.Contains(w, "unknown key") {
				t.Errorf("warning %q is not about an unknown key", w)
			}
		}
		if err != nil {
			if mods != nil {
				t.Errorf("Parse returned modules and an error")
			}
			inside(err.Error())
			return
		}
		seen := map[string]bool{}
		for i := range mods {
			if verr := mods[i].validate(); verr != nil {
				t.Errorf("Parse accepted invalid module %+v: %v", mods[i], verr)
			}
			if seen[mods[i].Name] {
				t.Errorf("Parse accepted duplicate name %q", mods[i].Name)
			}
			seen[mods[i].Name] = true
			if strings.ContainsAny(mods[i].Name, `/\`) || mods[i].Name == ".." {
				t.Errorf("Parse accepted unsafe name %q", mods[i].Name)
			}
		}
	})
}

func TestValidSPDXExpression(t *testing.T) {
	for _, s := range []string{
		"MIT", "BSD-2-Clause", "GPL-2.0+", "Apache-2.0 OR MIT", "OpenSSL AND ISC",
		"BSD-3-Clause WITH PCRE2-exception", "(MIT OR Apache-2.0) AND Zlib", "LicenseRef-my-license",
		"DocumentRef-spdx-doc:LicenseRef-x", "((MIT))",
	} {
		if !ValidSPDXExpression(s) {
			t.Errorf("%q rejected", s)
		}
	}
	for _, s := range []string{
		"", "MIT License", "MIT OR", "AND MIT", "MIT WITH", "(MIT", "MIT)", "MIT or Apache-2.0",
		"BSD WITH X WITH Y", "GPL-2.0 WITH (X)", "MIT, Apache-2.0", "-MIT",
	} {
		if ValidSPDXExpression(s) {
			t.Errorf("%q accepted", s)
		}
	}
	_, _, err := Parse("m.json", []byte(`[{"name":"a","url":"u","license":"BSD licence"}]`))
	if err == nil || !strings.Contains(err.Error(), `"license" "BSD licence" is not an SPDX license expression`) {
		t.Errorf("bad license: %v", err)
	}
}

// The SPDX check never panics, and what it accepts is made only of
// identifier characters, spaces and parentheses, with balanced
// parentheses: nothing else reaches an SBOM.
func FuzzValidSPDXExpression(f *testing.F) {
	for _, s := range []string{"MIT", "(MIT OR Apache-2.0) AND Zlib", "BSD-3-Clause WITH PCRE2-exception", "((", "MIT OR", "DocumentRef-a:LicenseRef-b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidSPDXExpression(s) {
			return
		}
		depth := 0
		for _, r := range s {
			switch {
			case r == '(':
				depth++
			case r == ')':
				depth--
			case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' ||
				strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-+:", r):
			default:
				t.Fatalf("accepted %q with %q", s, r)
			}
			if depth < 0 {
				t.Fatalf("accepted %q: unbalanced", s)
			}
		}
		if depth != 0 {
			t.Fatalf("accepted %q: unbalanced", s)
		}
	})
}

// largeModulesFile is a modules.json of n local modules, one key a line
// as people write them.
func largeModulesFile(n int) []byte {
	var b strings.Builder
	b.WriteString("[\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "  {\n    \"name\": \"m%d\",\n    \"form\": \"local\",\n    \"url\": \"/src/m%d\",\n    \"dynamic\": true\n  }", i, i)
	}
	b.WriteString("\n]\n")
	return []byte(b.String())
}

// A large modules.json parses in linear time: each module's position was
// found by rescanning the file from its start, so 200,000 entries ran for
// more than ten minutes.
//
// Not parallel: it measures the CPU time of the test process, which the
// paused parallel tests do not use. CPU time, not the time on the clock,
// so that a loaded machine does not fail it.
func TestParseLargeFileIsLinear(t *testing.T) {
	const n = 200_000
	data := largeModulesFile(n)
	before := cpuTime(t)
	mods, warnings, err := Parse("modules.json", data)
	used := cpuTime(t) - before
	if err != nil || warnings != nil || len(mods) != n {
		t.Fatalf("Parse = %d modules, %v, %v; want %d", len(mods), warnings, err, n)
	}
	if got, want := mods[n-1].Pos, fmt.Sprintf("modules.json:%d:3", 2+6*(n-1)); got != want {
		t.Errorf("last module at %s, want %s", got, want)
	}
	// Linear, it takes about a second; quadratic, more than ten minutes.
	if used > 4*time.Second {
		t.Errorf("parsing %d modules took %v of CPU time", n, used)
	}
}

// cpuTime is the CPU time the test process has used so far.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Positions from the line index are those of counting lines by hand,
// at line starts and ends, past the end, and in a file without a final
// newline.
func TestLineIndexPosition(t *testing.T) {
	t.Parallel()
	data := []byte("ab\n\ncd")
	for _, tc := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {4, 3, 1}, {5, 3, 2}, {6, 3, 3}, {99, 3, 3}, {-1, 1, 1}} {
		if line, col := newLineIndex(data).position(tc.off); line != tc.line || col != tc.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tc.off, line, col, tc.line, tc.col)
		}
	}
}

// A modules file is bounded: more entries than MaxModules, or more bytes
// than MaxFileSize, is an error that says so, found without reading all
// of it.
func TestParseBounds(t *testing.T) {
	t.Parallel()
	t.Run("entries", func(t *testing.T) {
		t.Parallel()
		// parse is Parse with a limit that spares generating MaxModules.
		_, _, err := parse(t.Context(), "modules.json", largeModulesFile(4), 3)
		want := "modules.json:20:3: more than 3 modules, the most a modules file may list"
		if err == nil || err.Error() != want {
			t.Errorf("Parse = %v, want %s", err, want)
		}
	})
	t.Run("size", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "modules.json")
		// A sparse file: its size costs no disk.
		if err := os.WriteFile(p, []byte("["), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, MaxFileSize+1); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := Load(t.Context(), p)
		if err == nil || !strings.Contains(err.Error(), p+": modules file is larger than 64 MiB") {
			t.Errorf("Load = %v, want it refused for its size", err)
		}
		// At the limit it is read and parsed: the NULs are a syntax error.
		if err := os.Truncate(p, MaxFileSize); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := Load(t.Context(), p); err == nil || !strings.Contains(err.Error(), "invalid character") {
			t.Errorf("Load at the limit = %v, want a syntax error", err)
		}
	})
}

// Loading stops when its context is cancelled (Ctrl-C), between entries:
// the run ends at once rather than when a large file is read.
func TestLoadStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "modules.json")
	if err := os.WriteFile(p, largeModulesFile(2*cancelEvery), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, _, err := Load(ctx, p); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), p) {
		t.Errorf("Load = %v, want context.Canceled naming %s", err, p)
	}
}
