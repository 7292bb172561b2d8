// Package module3rd reads nginx-build's modules.json: the list of third-party
// nginx modules to fetch and compile in, each by git, hg or a local path.
// Loading validates everything up front and reports problems as
// file:line:col, so a mistake fails before any download starts; a key it
// does not know is ignored, like nginx-build does, with a warning.
package module3rd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/nginx-build/nginx-build/internal/suggest"
)

// Module is one entry of modules.json, in nginx-build's format.
type Module struct {
	// Name is the directory the module is provisioned into, beside the
	// nginx source tree: ../<Name>.
	Name string `json:"name"`
	// Form is how to get it: "git" (the default), "hg", "local" (a
	// directory), "tarball" (a URL or path of a .tar.gz/.tar.xz/.tar.bz2)
	// or "debian" (the upstream tarball of a Debian source package, e.g.
	// libnginx-mod-http-echo; "rev" then picks its upstream version).
	Form string `json:"form"`
	// URL is the repository URL, or for "local" a directory path.
	URL string `json:"url"`
	// Rev is a branch, tag or commit for git/hg ("" = default branch).
	Rev string `json:"rev"`
	// Dynamic builds the module as a loadable .so (--add-dynamic-module).
	Dynamic bool `json:"dynamic"`
	// Shprov is a shell command run in the module (or ShprovDir) after
	// provisioning, e.g. to generate sources.
	Shprov    string `json:"shprov"`
	ShprovDir string `json:"shprovdir"`
	// Checksum pins a tarball module's content: "sha256:HEX".
	Checksum string `json:"checksum,omitempty"`
	// License is the module's SPDX license expression ("BSD-2-Clause",
	// "MIT OR Apache-2.0"), only for SBOMs: nginx-build cannot know a
	// third-party module's license unless it is told.
	License string `json:"license,omitempty"`
	// Pos is where the module is defined, "file:line:col", for errors
	// found later (a rev that does not exist, say).
	Pos string `json:"-"`
}

// formList names the supported values of "form", for error messages.
const formList = "git, hg, local, tarball, debian"

var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// The bounds of a modules.json. They are far beyond any real build (a
// build with a hundred third-party modules is rare) and keep a hostile or
// generated file from holding a run for long: a file at both limits
// parses in about a second.
const (
	// MaxFileSize is the largest modules.json read, in bytes.
	MaxFileSize = 64 << 20
	// MaxModules is the most entries a modules.json may list.
	MaxModules = 500_000
)

// Load reads and validates a modules.json file. Its warnings are what
// Parse ignores. A file larger than MaxFileSize is refused unread, and
// cancelling ctx (Ctrl-C) stops the parse of a large one.
func Load(ctx context.Context, path string) (mods []Module, data []byte, warnings []string, err error) {
	data, err = readBounded(path, MaxFileSize)
	if err != nil {
		return nil, nil, nil, err
	}
	mods, warnings, err = parse(ctx, path, data, MaxModules)
	return mods, data, warnings, err
}

// readBounded reads path, refusing it when it holds more than limit bytes.
// It reads at most limit+1 bytes: a file that grows while being read, or
// a device that never ends, is refused too.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read modules file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read modules file: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: modules file is larger than %d MiB, the most nginx-build reads: it cannot be a list of modules to build", path, limit>>20)
	}
	return data, nil
}

// Parse validates modules.json content; name is used in messages.
//
// A key that is not modules.json's is ignored, as nginx-build ignores it:
// people annotate entries with a "comment" key. Since a misspelt key
// ("dynamc") is ignored too, each one is returned as a warning at its
// file:line:col, with a did-you-mean. The warnings found before an error
// are returned with it: an unknown "nmae" explains a missing "name".
func Parse(name string, data []byte) ([]Module, []string, error) {
	return parse(context.Background(), name, data, MaxModules)
}

// cancelEvery is how many entries parse reads between looks at its
// context: often enough to stop within milliseconds, rarely enough to
// cost nothing.
const cancelEvery = 1024

// parse is Parse with at most maxModules entries, stopped when ctx is.
func parse(ctx context.Context, name string, data []byte, maxModules int) ([]Module, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	// Positions come from one index of line starts: rescanning the file
	// for each one made a large file take quadratic time.
	lines := newLineIndex(data)
	at := func(off int64) string {
		line, col := lines.position(off)
		return fmt.Sprintf("%s:%d:%d", name, line, col)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, wholeDecodeError(name, data, err, dec.InputOffset())
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, nil, fmt.Errorf("%s: modules file must be a JSON array of modules, like [{\"name\": …, \"form\": \"git\", \"url\": …}]", at(0))
	}
	var mods []Module
	var warnings []string
	seen := map[string]int64{}
	known := knownFields()
	for dec.More() {
		start := skipSpace(data, dec.InputOffset())
		if len(mods)%cancelEvery == 0 && ctx.Err() != nil {
			return nil, warnings, fmt.Errorf("%s: %w", name, context.Cause(ctx))
		}
		if len(mods) == maxModules {
			return nil, warnings, fmt.Errorf("%s: more than %d modules, the most a modules file may list", at(start), maxModules)
		}
		var m Module
		if err := dec.Decode(&m); err != nil {
			return nil, warnings, wholeDecodeError(name, data, err, start)
		}
		for _, k := range unknownKeys(data, start, known) {
			warnings = append(warnings, fmt.Sprintf("%s: unknown key %q is ignored %s", at(k.off), k.name, suggestKey(k.name)))
		}
		if err := m.validate(); err != nil {
			return nil, warnings, fmt.Errorf("%s: module %d: %w", at(start), len(mods)+1, err)
		}
		if prev, dup := seen[m.Name]; dup {
			return nil, warnings, fmt.Errorf("%s: module %q is listed twice (first at %s)", at(start), m.Name, at(prev))
		}
		seen[m.Name] = start
		m.Pos = at(start)
		mods = append(mods, m)
	}
	if _, err := dec.Token(); err != nil {
		return nil, warnings, wholeDecodeError(name, data, err, dec.InputOffset())
	}
	// Where the trailing content starts: Token consumes it before we can ask.
	end := dec.InputOffset()
	for end < int64(len(data)) && strings.ContainsRune(" \t\r\n", rune(data[end])) {
		end++
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, warnings, fmt.Errorf("%s: unexpected content after the module list", at(end))
	}
	return mods, warnings, nil
}

// The forms a module comes in (modules.json's "form"); package modules
// implements each.
const (
	FormGit     = "git"
	FormHg      = "hg"
	FormLocal   = "local"
	FormTarball = "tarball"
	FormDebian  = "debian"
)

func (m *Module) validate() error {
	switch {
	case m.Name == "":
		return errors.New(`missing "name"`)
	case !safeName.MatchString(m.Name):
		return fmt.Errorf(`"name" %q must be a plain directory name (letters, digits, . _ + -)`, m.Name)
	case m.URL == "":
		return fmt.Errorf(`module %q: missing "url"`, m.Name)
	}
	if m.Form == "" {
		m.Form = "git" // nginx-build's default
	}
	switch m.Form {
	case "git", "hg", "local", "tarball", "debian":
	default:
		return fmt.Errorf(`module %q: unknown "form" %q (one of %s)`, m.Name, m.Form, formList)
	}
	if (m.Form == "local" || m.Form == "tarball") && m.Rev != "" {
		return fmt.Errorf(`module %q: "rev" makes no sense with form %q`, m.Name, m.Form)
	}
	if m.Form == "debian" && !debianPackageName.MatchString(m.URL) {
		return fmt.Errorf(`module %q: with form "debian", "url" is a Debian source package name such as libnginx-mod-http-echo, not %q`, m.Name, m.URL)
	}
	if m.Checksum != "" {
		if m.Form != "tarball" {
			return fmt.Errorf(`module %q: "checksum" applies to form "tarball" only`, m.Name)
		}
		if _, err := m.SHA256(); err != nil {
			return fmt.Errorf(`module %q: %v`, m.Name, err)
		}
	}
	if strings.HasPrefix(m.Rev, "-") || strings.HasPrefix(m.URL, "-") {
		return fmt.Errorf(`module %q: "url" and "rev" must not start with "-"`, m.Name)
	}
	if m.License != "" && !ValidSPDXExpression(m.License) {
		return fmt.Errorf(`module %q: "license" %q is not an SPDX license expression (e.g. "BSD-2-Clause" or "MIT OR Apache-2.0")`, m.Name, m.License)
	}
	return nil
}

var spdxID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*\+?$|^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$`)

// ValidSPDXExpression reports whether s has the syntax of an SPDX license
// expression: identifiers joined by AND/OR, an exception after WITH,
// parentheses. Whether each identifier is on SPDX's list is not checked:
// that list grows, and a LicenseRef- is always allowed.
func ValidSPDXExpression(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false // SPDX identifiers are ASCII; so is the whitespace between them
		}
	}
	tokens := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(s))
	isOp := func(t string) bool { return t == "AND" || t == "OR" || t == "WITH" }
	pos := 0
	var expr func() bool
	// term is a parenthesized expression or an identifier with an
	// optional WITH exception.
	term := func() bool {
		if pos < len(tokens) && tokens[pos] == "(" {
			pos++
			if !expr() || pos >= len(tokens) || tokens[pos] != ")" {
				return false
			}
			pos++
			return true
		}
		if pos >= len(tokens) || isOp(tokens[pos]) || !spdxID.MatchString(tokens[pos]) {
			return false
		}
		pos++
		if pos < len(tokens) && tokens[pos] == "WITH" {
			pos++
			if pos >= len(tokens) || isOp(tokens[pos]) || !spdxID.MatchString(tokens[pos]) {
				return false
			}
			pos++
		}
		return true
	}
	expr = func() bool {
		if !term() {
			return false
		}
		for pos < len(tokens) && (tokens[pos] == "AND" || tokens[pos] == "OR") {
			pos++
			if !term() {
				return false
			}
		}
		return true
	}
	return expr() && pos == len(tokens)
}

// wholeDecodeError re-decodes the whole file to report err's position:
// a streaming Decode reports offsets relative to the element it was
// reading, and Token's syntax errors point at the offending byte rather
// than past it, while decoding from the start gives offsets into the file
// with one convention.
func wholeDecodeError(name string, data []byte, err error, start int64) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var all []Module
	if whole := dec.Decode(&all); whole != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(whole, &syn) || errors.As(whole, &typ) {
			return decodeError(name, data, whole, start)
		}
	}
	return decodeError(name, data, err, start)
}

var (
	sha256Pin         = regexp.MustCompile(`^sha256:[0-9a-fA-F]{64}$`)
	debianPackageName = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]+$`)
)

// SHA256 returns the hex digest pinned by Checksum ("" when none).
func (m *Module) SHA256() (string, error) {
	if m.Checksum == "" {
		return "", nil
	}
	if !sha256Pin.MatchString(m.Checksum) {
		return "", fmt.Errorf(`"checksum" %q must be "sha256:" followed by 64 hex digits`, m.Checksum)
	}
	return strings.ToLower(strings.TrimPrefix(m.Checksum, "sha256:")), nil
}

// knownFields are modules.json's keys (Module's JSON names), for
// telling unknown keys and did-you-mean suggestions.
func knownFields() []string {
	var names []string
	t := reflect.TypeFor[Module]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "-" && name != "" {
			names = append(names, name)
		}
	}
	return names
}

// objectKey is a key of a JSON object and where it is written.
type objectKey struct {
	name string // unescaped, as encoding/json compares it
	off  int64  // its opening quote
}

// unknownKeys lists the keys of the module object at start that
// encoding/json matches to no field of Module, and so ignores. It matches
// a key to a field name case-insensitively, like bytes.EqualFold. fields
// are knownFields(), found once for a whole file.
func unknownKeys(data []byte, start int64, fields []string) []objectKey {
	var unknown []objectKey
	for _, k := range objectKeys(data, start) {
		known := false
		for _, f := range fields {
			known = known || strings.EqualFold(k.name, f)
		}
		if !known {
			unknown = append(unknown, k)
		}
	}
	return unknown
}

// objectKeys lists the keys of the JSON object starting at start, in
// order: not those of nested objects, and not a string value spelt like a
// key. A value that is not an object has none.
func objectKeys(data []byte, start int64) []objectKey {
	if start < 0 || start >= int64(len(data)) || data[start] != '{' {
		return nil
	}
	var keys []objectKey
	dec := json.NewDecoder(bytes.NewReader(data[start:]))
	depth, wantKey := 0, false
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '{' || tok == '[' {
				depth++
				wantKey = depth == 1
				continue
			}
			depth--
			if depth == 0 {
				return keys
			}
			wantKey = depth == 1 // a nested value ended: a key comes next
			continue
		case string:
			if depth == 1 && wantKey {
				// before is where the previous token ended: skip the
				// separators to the key's quote.
				off := start + before
				for off < int64(len(data)) && data[off] != '"' {
					off++
				}
				keys = append(keys, objectKey{name: tok, off: off})
				wantKey = false
				continue
			}
		}
		if depth == 1 {
			wantKey = true // a scalar value ended
		}
	}
}

// suggestKey is the hint for an unknown key: the known key it is likely
// a misspelling of, else the list of known keys.
func suggestKey(key string) string {
	if best := suggest.Closest(key, knownFields()); best != "" {
		return `(did you mean "` + best + `"?)`
	}
	return "(known keys: " + strings.Join(knownFields(), ", ") + ")"
}

// decodeError turns encoding/json's offsets into file:line:col.
func decodeError(name string, data []byte, err error, fallback int64) error {
	off := fallback
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the offending byte itself; point at it.
		off = max(syn.Offset-1, 0)
	case errors.As(err, &typ):
		off = typ.Offset
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		off = int64(len(data))
		err = errors.New("unexpected end of file")
	}
	line, col := newLineIndex(data).position(off)
	return fmt.Errorf("%s:%d:%d: %s", name, line, col, strings.TrimPrefix(err.Error(), "json: "))
}

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.ContainsRune(" \t\r\n,", rune(data[off])) {
		off++
	}
	return off
}

// lineIndex maps byte offsets of a file to lines and columns; built
// once, it answers each in logarithmic time.
type lineIndex struct {
	size   int64
	starts []int64 // the offset each line starts at; starts[0] is 0
}

// newLineIndex indexes data's lines in one pass.
func newLineIndex(data []byte) lineIndex {
	starts := []int64{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, int64(i)+1)
		}
	}
	return lineIndex{size: int64(len(data)), starts: starts}
}

// position converts a byte offset to a 1-based line and column; an offset
// past the end is the end.
func (x lineIndex) position(off int64) (line, col int) {
	off = min(max(off, 0), x.size)
	// The line is the last one starting at or before off.
	i := sort.Search(len(x.starts), func(i int) bool { return x.starts[i] > off }) - 1
	return i + 1, int(off-x.starts[i]) + 1
}
