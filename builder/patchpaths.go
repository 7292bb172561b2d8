package builder

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// checkPatchPaths refuses a patch file naming a file outside the tree it
// is applied to: an absolute name or one that climbs out with "..", once
// the leading components -p (from -patch-opt) strips are gone. Without
// -p every name is checked whole, which is stricter than patch(1) (it then
// uses the base name) but never lets a file through that a -p would turn
// into an escape. Checking before patch runs matters because whether GNU
// patch refuses or follows such a name depends on its version, and its
// words end up only in nginx-patch.log.
func checkPatchPaths(path string, patchOpt []string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("patch %s: %w", path, err)
	}
	defer f.Close()
	strip := stripCount(patchOpt)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var h hunk
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if h.inside(line) {
			continue
		}
		if h.start(line) {
			continue
		}
		name, ok := headerName(line)
		if !ok {
			continue
		}
		if escapes(name, strip) {
			return fmt.Errorf("patch %s line %d: %q names a file outside the source tree; "+
				"refusing to apply it (a patch may only change files inside its target tree)", path, n, strings.TrimRight(line, "\r"))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("patch %s: %w", path, err)
	}
	return nil
}

// hunk tracks the lines left in a unified diff hunk, whose removed
// and added lines may themselves start with "--- " or "+++ ".
type hunk struct{ old, new int }

var hunkHeader = regexp.MustCompile(`^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@`)

// start begins a hunk at its "@@ -a,b +c,d @@" line.
func (h *hunk) start(line string) bool {
	m := hunkHeader.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	h.old, h.new = count(m[1]), count(m[2])
	return true
}

// count is a hunk's line count, 1 when the header leaves it out.
func count(s string) int {
	if s == "" {
		return 1
	}
	n, _ := strconv.Atoi(s)
	return n
}

// inside consumes one line of the current hunk, if any is left.
func (h *hunk) inside(line string) bool {
	if h.old <= 0 && h.new <= 0 {
		return false
	}
	switch {
	case line == "" || line[0] == ' ':
		h.old--
		h.new--
	case line[0] == '-':
		h.old--
	case line[0] == '+':
		h.new--
	case line[0] == '\\': // "\ No newline at end of file"
	default:
		h.old, h.new = 0, 0 // a malformed hunk: patch itself will say so
		return false
	}
	return true
}

// contextRange is a context diff's "*** 1,5 ****" or "--- 1,5 ----".
var contextRange = regexp.MustCompile(`^\d+(?:,\d+)? (?:\*\*\*\*|----)$`)

// headerName is the file name of a unified ("--- ", "+++ ") or context
// ("*** ", "--- ") diff header line, without its timestamp.
func headerName(line string) (string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(line, "--- "), strings.HasPrefix(line, "+++ "), strings.HasPrefix(line, "*** "):
		rest = line[4:]
	default:
		return "", false
	}
	rest = strings.TrimRight(rest, "\r")
	if i := strings.IndexByte(rest, '\t'); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimSpace(rest)
	if contextRange.MatchString(rest) || rest == "/dev/null" {
		return "", false
	}
	if strings.HasPrefix(rest, `"`) { // git quotes unusual names C-style
		if u, err := strconv.Unquote(rest); err == nil {
			rest = u
		}
	}
	return rest, rest != ""
}

// stripCount is the -p/--strip count in patch(1) options, 0 without one.
func stripCount(opts []string) int {
	for i := 0; i < len(opts); i++ {
		o := opts[i]
		var v string
		switch {
		case o == "-p" || o == "--strip":
			if i+1 < len(opts) {
				v = opts[i+1]
			}
		case strings.HasPrefix(o, "--strip="):
			v = strings.TrimPrefix(o, "--strip=")
		case strings.HasPrefix(o, "-p"):
			v = strings.TrimPrefix(o, "-p")
		default:
			continue
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	return 0
}

// escapes reports whether name, with strip leading components removed
// the way patch(1) removes them, is absolute or climbs out with "..".
func escapes(name string, strip int) bool {
	for i := 0; i < strip; i++ {
		j := strings.IndexByte(name, '/')
		if j < 0 {
			break // patch cannot strip it and fails on its own
		}
		name = strings.TrimLeft(name[j+1:], "/")
	}
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) {
		return true
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return true
		}
	}
	return false
}
