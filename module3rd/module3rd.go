// Package module3rd reads nginx-build's modules.json: the list of third-party
// nginx modules to fetch and compile in, each by git, hg or a local path.
// Loading validates everything up front and reports problems as
// file:line:col, so a typo fails before any download starts.
package module3rd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
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

// Load reads and validates a modules.json file.
func Load(path string) ([]Module, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read modules file: %w", err)
	}
	mods, err := Parse(path, data)
	return mods, data, err
}

// Parse validates modules.json content; name is used in error messages.
func Parse(name string, data []byte) ([]Module, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	at := func(off int64) string {
		line, col := position(data, off)
		return fmt.Sprintf("%s:%d:%d", name, line, col)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, wholeDecodeError(name, data, err, dec.InputOffset())
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%s: modules file must be a JSON array of modules, like [{\"name\": …, \"form\": \"git\", \"url\": …}]", at(0))
	}
	var mods []Module
	seen := map[string]int64{}
	for dec.More() {
		start := skipSpace(data, dec.InputOffset())
		var m Module
		if err := dec.Decode(&m); err != nil {
			return nil, wholeDecodeError(name, data, err, start)
		}
		if err := m.validate(); err != nil {
			return nil, fmt.Errorf("%s: module %d: %w", at(start), len(mods)+1, err)
		}
		if prev, dup := seen[m.Name]; dup {
			return nil, fmt.Errorf("%s: module %q is listed twice (first at %s)", at(start), m.Name, at(prev))
		}
		seen[m.Name] = start
		m.Pos = at(start)
		mods = append(mods, m)
	}
	if _, err := dec.Token(); err != nil {
		return nil, wholeDecodeError(name, data, err, dec.InputOffset())
	}
	// Where the trailing content starts: Token consumes it before we can ask.
	end := dec.InputOffset()
	for end < int64(len(data)) && strings.ContainsRune(" \t\r\n", rune(data[end])) {
		end++
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected content after the module list", at(end))
	}
	return mods, nil
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
	dec.DisallowUnknownFields()
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

// knownFields are modules.json's keys, for did-you-mean suggestions.
func knownFields() []string {
	return []string{"name", "form", "url", "rev", "dynamic", "shprov", "shprovdir", "checksum", "license"}
}

// unknownField extracts the field name from encoding/json's unknown-field error.
func unknownField(msg string) (string, bool) {
	const prefix = `unknown field "`
	i := strings.Index(msg, prefix)
	if i < 0 {
		return "", false
	}
	field, _, ok := strings.Cut(msg[i+len(prefix):], `"`)
	return field, ok
}

// keyOffset finds where key is written (its opening quote) among the keys
// of the JSON object starting at start: not in nested values, not as a
// value, and compared after unescaping, as encoding/json compares it.
func keyOffset(data []byte, start int64, key string) (int64, bool) {
	if start < 0 || start >= int64(len(data)) || data[start] != '{' {
		return 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(data[start:]))
	depth, wantKey := 0, false
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return 0, false
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
				return 0, false
			}
			wantKey = depth == 1 // a nested value ended: a key comes next
			continue
		case string:
			if depth == 1 && wantKey {
				if tok == key {
					// before is where the previous token ended: skip the
					// separators to the key's quote.
					off := start + before
					for off < int64(len(data)) && data[off] != '"' {
						off++
					}
					return off, true
				}
				wantKey = false
				continue
			}
		}
		if depth == 1 {
			wantKey = true // a scalar value ended
		}
	}
}

// suggestField adds "did you mean" to encoding/json's unknown-field error.
func suggestField(msg string) string {
	const prefix = `unknown field "`
	i := strings.Index(msg, prefix)
	if i < 0 {
		return msg
	}
	field := strings.TrimSuffix(msg[i+len(prefix):], `"`)
	best, bestDist := "", 3
	for _, k := range knownFields() {
		if d := editDistance(strings.ToLower(field), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return msg + " (known fields: " + strings.Join(knownFields(), ", ") + ")"
	}
	return msg + ` (did you mean "` + best + `"?)`
}

// editDistance is Levenshtein's distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
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
	default:
		// encoding/json names an unknown field but not where it is:
		// find its key in the object that starts at fallback.
		if field, ok := unknownField(err.Error()); ok {
			if k, ok := keyOffset(data, fallback, field); ok {
				off = k
			}
		}
	}
	line, col := position(data, off)
	return fmt.Errorf("%s:%d:%d: %s", name, line, col, suggestField(strings.TrimPrefix(err.Error(), "json: ")))
}

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.ContainsRune(" \t\r\n,", rune(data[off])) {
		off++
	}
	return off
}

// position converts a byte offset to a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
