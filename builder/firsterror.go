package builder

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/nginx-build/nginx-build/module3rd"
)

// The first error of a failed configure or make.
//
// nginx's objs/Makefile builds the embedded libraries by running their own
// configure and make in their trees (`cd ../openssl-3.0.20 && ./config …
// && $(MAKE)`), so with -j2 the log interleaves the output of OpenSSL,
// PCRE2, zlib, nginx and its modules, and its last lines are often the
// summary of a library that was doing fine. What failed is named by the
// rule of nginx's own Makefile that failed (`make[1]: *** [objs/Makefile:
// 1249: ../openssl-3.0.20/.openssl/include/openssl/ssl.h] Error 127`);
// what went wrong is that component's first error. A line belongs to a
// component when a path in it lies in the component's tree (compiler
// diagnostics, make's targets, `make[2]: Entering directory`); a line
// without a path (`/usr/bin/env: 'perl': No such file or directory`,
// `configure: error: …`) belongs to the component whose output it sits
// in: between the recipe's `cd ../openssl-3.0.20` and the failed rule.

// logOwner is a part of the build whose output can be in a log: the
// server, a library or a module, and the tree its files are in.
type logOwner struct {
	// Label names it in messages: "openssl 3.0.20", "module echo".
	Label string
	// Dir is its tree, absolute.
	Dir string
	// OwnLogs are logs it writes itself in its tree, with more detail
	// than its output (nginx's objs/autoconf.err, a config.log).
	OwnLogs []string
	// module is set for third-party modules.
	module bool
}

// FirstError is where a failed step's log shows what went wrong: the
// first error of the component that failed, with the lines around it.
type FirstError struct {
	// Component names what failed ("openssl 3.0.20", "module echo"; ""
	// when no line says) and Dir is its tree.
	Component string
	Dir       string
	// OwnLog is the component's own log with more detail (nginx's
	// objs/autoconf.err, PCRE2's config.log), when it wrote one.
	OwnLog string
	// Line is the error's line in the step's log, counting from 1.
	Line int
	// Excerpt is the lines around it that are not another component's.
	Excerpt []LogLine
}

// LogLine is one line of a log and its number, counting from 1.
type LogLine struct {
	N    int
	Text string
}

const (
	// excerptBefore and excerptAfter are how many lines around the first
	// error are shown: what led to it, and the compiler's notes after it.
	excerptBefore = 4
	excerptAfter  = 10
	// excerptWidth cuts the compile commands of large libraries, whose
	// lines run to thousands of characters.
	excerptWidth = 300
	// maxScanLines bounds how much of a log is read into memory.
	maxScanLines = 500_000
)

var (
	// errorLine matches a line that says something failed: compilers and
	// configure scripts (`error:`, `fatal error:`, `configure: error:`,
	// dash's `Syntax error:`), the shell (`./config: not found`), the
	// linker, perl, make's missing rules.
	errorLine = regexp.MustCompile(`\berror:|: not found$|: No such file or directory$|command not found|undefined reference to|Can't locate \S+ in @INC|No rule to make target`)
	// makeFailure is make's `*** [Makefile:12: target] Error 1` (GNU make
	// 4) or `*** [target] Error 1` (older): the rule that failed.
	makeFailure = regexp.MustCompile(`make(?:\[\d+\])?: \*\*\* \[(?:([^\]\s]+):\d+: )?([^\]]+)\] Error \d+`)
	// makeDir is make's note of the directory a sub-make works in; with
	// -j it can start in the middle of another line.
	makeDir = regexp.MustCompile(`make\[\d+\]: (Entering|Leaving) directory ['‘]([^'’]+)['’]`)
	// recipeCd is the echo of objs/Makefile's recipe for a library:
	// `cd ../pcre2-10.42 \`.
	recipeCd = regexp.MustCompile(`^cd (\S+)`)
	// configure's notes as it sources a module's config script.
	addingModule = regexp.MustCompile(`^adding module in (.+)$`)
	moduleDone   = regexp.MustCompile(`^ \+ \S+ was configured$`)
	// includedFrom is gcc's chain of includes before a diagnostic in a
	// header; its last file is the one being compiled.
	includedFrom = regexp.MustCompile(`^(?:In file included from|\s+from) ([^\s:]+):\d+[:,]`)
	// snippet is gcc's quote of a source line and its caret line under a
	// diagnostic: "    7 |     NULL, …", "      |     ^~~~".
	snippet = regexp.MustCompile(`^\s*\d*\s\|(\s|$)`)
	// positionSuffix is the `:12:5` or `:(.text+0x1a)` after a path.
	positionSuffix = regexp.MustCompile(`(?::\d+)+$|:\(.*\)$`)
)

// logOwners lists the parts of s's build: the server first (make and
// configure run in its tree), then the libraries, git sources and modules.
func logOwners(s *State) []logOwner {
	r := s.Resolved
	owners := []logOwner{{Label: serverLabel(r), Dir: s.sourceDir(), OwnLogs: []string{"objs/autoconf.err"}}}
	for _, c := range r.Components[1:] {
		owners = append(owners, logOwner{Label: c.Name + " " + c.Version, Dir: r.TreeDir(c), OwnLogs: []string{"config.log", "configure.log"}})
	}
	for _, m := range s.Plan.Modules {
		dir := filepath.Join(s.buildDir(), m.Name)
		if m.Form == module3rd.FormLocal {
			dir, _ = filepath.Abs(m.URL)
		}
		owners = append(owners, logOwner{Label: "module " + m.Name, Dir: dir, module: true})
	}
	return owners
}

// explainFailure adds to a failed configure or make the first error of the
// component that failed, found in its log.
func explainFailure(s *State, err error) error {
	var se *StepError
	if errors.As(err, &se) && se.Log != "" {
		owners := logOwners(s)
		if se.Step != stepConfigure {
			// objs/autoconf.err explains configure's checks, not make.
			owners[0].OwnLogs = nil
		}
		se.First = findFirstError(se.Log, owners)
	}
	return err
}

// findFirstError reads the log of a step that ran in owners[0]'s tree and
// returns its first error, or nil when no line looks like one.
func findFirstError(logPath string, owners []logOwner) *FirstError {
	lines := readLines(logPath, maxScanLines)
	if len(lines) == 0 {
		return nil
	}
	sc := &logScan{owners: owners}
	sc.classify(lines)
	failed := sc.failedOwner()
	i := sc.firstErrorOf(failed)
	if i < 0 {
		return nil
	}
	if failed < 0 {
		failed = sc.owner[i]
	}
	if failed < 0 && sc.sitsIn(i, 0) {
		failed = 0 // outside every library's sub-make: the output of nginx's own make
	}
	fe := &FirstError{Line: i + 1, Excerpt: sc.excerpt(lines, i, failed, sc.ruleFailed(failed))}
	if failed >= 0 {
		o := owners[failed]
		fe.Component, fe.Dir = o.Label, o.Dir
		for _, l := range o.OwnLogs {
			if p := filepath.Join(o.Dir, l); fileExists(p) {
				fe.OwnLog = p
				break
			}
		}
	}
	return fe
}

// logScan is what each line of a log says: whose it is, whether it is an
// error, and which components' output it sits in.
type logScan struct {
	owners []logOwner
	// owner is the component a line's own text names (-1: none).
	owner []int
	// isError marks lines that say something failed; failure holds, for
	// make's failed rules, the owner of the target (-1: not known) and
	// whether the rule is nginx's own (objs/Makefile).
	isError []bool
	failure map[int]makeRule
	// inside holds, per line, the owners whose output it sits in: from
	// the recipe's `cd` or make's "Entering directory" on. inMake is the
	// part of it between make's "Entering" and "Leaving": a recipe's `cd`
	// is never seen to end when it succeeds.
	inside, inMake []map[int]bool
}

type makeRule struct {
	owner int
	nginx bool
}

// scanContext is what classify carries from line to line.
type scanContext struct {
	// recipes and makes count, per owner, its recipes (from their `cd`)
	// and sub-makes (Entering to Leaving) that are running.
	recipes, makes map[int]int
	// module is the module whose config script configure is sourcing (-1:
	// none).
	module int
	// tu is the file being compiled, from a chain of includes, and chain
	// how many lines that chain has had.
	tu    string
	chain int
}

// classify reads every line once.
func (sc *logScan) classify(lines []string) {
	n := len(lines)
	sc.owner, sc.isError = make([]int, n), make([]bool, n)
	sc.inside, sc.inMake = make([]map[int]bool, n), make([]map[int]bool, n)
	sc.failure = map[int]makeRule{}
	cx := &scanContext{recipes: map[int]int{}, makes: map[int]int{}, module: -1}
	for i, line := range lines {
		sc.owner[i] = sc.ownLine(lines, i, cx)
		if m := makeFailure.FindStringSubmatch(line); m != nil {
			rule := sc.ruleOwner(m[1], m[2])
			sc.failure[i] = rule
			if rule.owner >= 0 {
				sc.owner[i] = rule.owner
				cx.recipes[rule.owner], cx.makes[rule.owner] = 0, 0 // its recipe is over
			}
		} else {
			sc.isError[i] = errorLine.MatchString(line)
		}
		sc.track(i, line, cx)
		sc.inside[i], sc.inMake[i] = map[int]bool{}, map[int]bool{}
		for o, k := range cx.makes {
			if k > 0 {
				sc.inside[i][o], sc.inMake[i][o] = true, true
			}
		}
		for o, k := range cx.recipes {
			if k > 0 {
				sc.inside[i][o] = true
			}
		}
	}
}

// ownLine is the owner line i names, or inherits from the lines it
// belongs with: a chain of includes and the compiler's quotes of the
// source belong to their diagnostic, the lines of a command make echoed
// over several lines to its first.
func (sc *logScan) ownLine(lines []string, i int, cx *scanContext) int {
	line := lines[i]
	if m := includedFrom.FindStringSubmatch(line); m != nil {
		cx.tu = m[1]
		cx.chain++
		return -1 // set with the diagnostic that ends the chain
	}
	if i > 0 && snippet.MatchString(line) {
		return sc.owner[i-1]
	}
	o := sc.lineOwner(line, cx.tu)
	cx.tu = ""
	for ; cx.chain > 0; cx.chain-- {
		sc.owner[i-cx.chain] = o
	}
	if o < 0 && i > 0 && strings.HasSuffix(lines[i-1], "\\") {
		return sc.owner[i-1]
	}
	return o
}

// track follows the recipes, sub-makes and module config scripts that
// line i starts or ends, and gives the line to the one it starts.
func (sc *logScan) track(i int, line string, cx *scanContext) {
	switch m := makeDir.FindStringSubmatch(line); {
	case m != nil && m[1] == "Entering":
		if o := sc.ownerOf(m[2], ""); o > 0 {
			cx.makes[o]++
		}
	case m != nil:
		if o := sc.ownerOf(m[2], ""); o > 0 && cx.makes[o] > 0 {
			cx.makes[o]--
		}
	}
	if m := recipeCd.FindStringSubmatch(line); m != nil {
		if o := sc.ownerOf(m[1], sc.owners[0].Dir); o > 0 {
			cx.recipes[o]++
			sc.owner[i] = o
		}
	}
	if m := addingModule.FindStringSubmatch(line); m != nil {
		cx.module = sc.ownerOf(m[1], sc.owners[0].Dir)
		sc.owner[i] = cx.module
	}
	if cx.module >= 0 {
		// configure sources the module's config script: what it prints,
		// ./configure's errors included, is the module's.
		if sc.owner[i] <= 0 {
			sc.owner[i] = cx.module
		}
		if moduleDone.MatchString(line) {
			cx.module = -1
		}
	}
}

// failedOwner is the component whose rule failed: the first failed rule
// of nginx's own Makefile whose target is known, else of any Makefile;
// -1 when none names one (a configure log, say).
func (sc *logScan) failedOwner() int {
	first := -1
	for i := range sc.owner {
		rule, ok := sc.failure[i]
		if !ok || rule.owner < 0 {
			continue
		}
		if rule.nginx {
			return rule.owner
		}
		if first < 0 {
			first = rule.owner
		}
	}
	return first
}

// firstErrorOf is the index of failed's first error line: one that is
// its own, or that names no component and sits in its output. For an
// unknown failed, the first error line at all; failing any error line,
// make's first failed rule of the component.
func (sc *logScan) firstErrorOf(failed int) int {
	for i, isErr := range sc.isError {
		if isErr && (failed < 0 || sc.owner[i] == failed || (sc.owner[i] < 0 && sc.sitsIn(i, failed))) {
			return i
		}
	}
	for i := range sc.owner {
		if rule, ok := sc.failure[i]; ok && (failed < 0 || rule.owner == failed) {
			return i
		}
	}
	return -1
}

// sitsIn reports whether line i, which names no component, is owner's
// output. nginx's make runs throughout: what is not in a library's
// sub-make is nginx's.
func (sc *logScan) sitsIn(i, owner int) bool {
	if owner == 0 {
		return len(sc.inMake[i]) == 0
	}
	return sc.inside[i][owner]
}

// ruleFailed is the line of owner's first failed rule in nginx's
// Makefile: nothing of owner's comes after it (-1: none).
func (sc *logScan) ruleFailed(owner int) int {
	for i := range sc.owner {
		if rule, ok := sc.failure[i]; ok && rule.nginx && rule.owner == owner && owner >= 0 {
			return i
		}
	}
	return -1
}

// excerpt is the lines around line i, up to line end (when not -1),
// leaving out those that are another component's.
func (sc *logScan) excerpt(lines []string, i, owner, end int) []LogLine {
	last := min(len(lines)-1, i+excerptAfter)
	if end >= i && end < last {
		last = end
	}
	var out []LogLine
	for j := max(0, i-excerptBefore); j <= last; j++ {
		if j != i && owner >= 0 && !sc.belongs(j, owner) {
			continue
		}
		text := lines[j]
		if len(text) > excerptWidth {
			text = text[:excerptWidth] + " …"
		}
		out = append(out, LogLine{N: j + 1, Text: text})
	}
	return out
}

// belongs reports whether line j may be owner's: it is, or it names no
// component and is not in another's sub-make.
func (sc *logScan) belongs(j, owner int) bool {
	if sc.owner[j] >= 0 {
		return sc.owner[j] == owner
	}
	return len(sc.inMake[j]) == 0 || sc.inMake[j][owner]
}

// lineOwner is the component a path in line lies in, -1 when none does.
// A diagnostic after a chain of includes belongs to the file being
// compiled (tu), not to the header it points into.
func (sc *logScan) lineOwner(line, tu string) int {
	if tu != "" {
		if o := sc.ownerOf(tu, ""); o >= 0 {
			return o
		}
	}
	// The path is one of the first fields: `src/x.c:3:1: error: …`,
	// `/bin/sh: 1: ./config: not found`, `/usr/bin/ld: objs/x.o: …`.
	fields := strings.SplitN(line, ": ", 4)
	for _, seg := range fields[:min(3, len(fields))] {
		p := positionSuffix.ReplaceAllString(strings.TrimSpace(seg), "")
		if p == "" || strings.ContainsAny(p, " \t'\"`‘") || !strings.ContainsAny(p, "/.") {
			continue
		}
		if o := sc.ownerOf(p, ""); o >= 0 {
			return o
		}
	}
	return -1
}

// ruleOwner is the owner of a failed make rule's target. Targets of
// nginx's objs/Makefile are relative to the nginx tree (make runs there):
// ../openssl-3.0.20/… is OpenSSL's, objs/addon/DIR/FILE.o a module's.
func (sc *logScan) ruleOwner(makefile, target string) makeRule {
	nginx := makefile == "objs/Makefile" || (makefile == "" && (strings.HasPrefix(target, "objs/") || strings.HasPrefix(target, "../")))
	if nginx {
		if rest, ok := strings.CutPrefix(target, "objs/addon/"); ok {
			return makeRule{owner: sc.addonOwner(rest), nginx: true}
		}
		return makeRule{owner: sc.ownerOf(target, sc.owners[0].Dir), nginx: true}
	}
	// A library's own Makefile: its target is relative to its tree.
	if d := filepath.Dir(target); d != "." {
		for o := 1; o < len(sc.owners); o++ {
			if fi, err := os.Stat(filepath.Join(sc.owners[o].Dir, d)); err == nil && fi.IsDir() {
				return makeRule{owner: o}
			}
		}
	}
	return makeRule{owner: -1}
}

// addonOwner is the module an object of objs/addon/ is compiled from:
// nginx names it after the source's directory and file
// (../echo-nginx-module/src/ngx_http_echo.c → objs/addon/src/ngx_http_echo.o).
func (sc *logScan) addonOwner(obj string) int {
	dir, file := filepath.Split(strings.TrimSuffix(obj, ".o"))
	dir = filepath.Clean(dir)
	for o, ow := range sc.owners {
		if !ow.module {
			continue
		}
		found := errors.New("found")
		err := filepath.WalkDir(ow.Dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if filepath.Base(filepath.Dir(p)) == dir && strings.TrimSuffix(d.Name(), filepath.Ext(d.Name())) == file {
				return found
			}
			return nil
		})
		if err == found {
			return o
		}
	}
	return -1
}

// ownerOf is the owner whose tree holds path: an absolute path by its
// place, a relative one resolved against base, or when base is "" against
// the tree where it exists (the nginx tree first, where make runs).
func (sc *logScan) ownerOf(path, base string) int {
	if !filepath.IsAbs(path) {
		if base != "" {
			path = filepath.Join(base, path)
		} else {
			return sc.existingIn(path)
		}
	}
	path = filepath.Clean(path)
	best, bestLen := -1, 0
	for o, ow := range sc.owners {
		// The longest tree that holds it: a module may sit inside
		// another tree (an OpenResty bundle).
		if within(path, ow.Dir) && len(ow.Dir) > bestLen {
			best, bestLen = o, len(ow.Dir)
		}
	}
	return best
}

// existingIn is the owner in whose tree a relative path exists. A bare
// file name says too little: every module has a config, the shell's
// `./config: not found` is OpenSSL's though nothing by that name exists.
func (sc *logScan) existingIn(rel string) int {
	if strings.HasPrefix(rel, "../") {
		return sc.ownerOf(rel, sc.owners[0].Dir)
	}
	if filepath.Dir(filepath.Clean(rel)) == "." {
		return -1
	}
	for o, ow := range sc.owners {
		if _, err := os.Stat(filepath.Join(ow.Dir, rel)); err == nil {
			return o
		}
	}
	return -1
}

// within reports whether path is dir or lies under it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// readLines reads up to n lines of a file ("" lines when it cannot).
func readLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() && len(lines) < n {
		lines = append(lines, sc.Text())
	}
	return lines
}

// describe is the first error for a message: where it is and the lines.
func (fe *FirstError) describe(logPath string) string {
	var b strings.Builder
	where := "the first error"
	if fe.Component != "" {
		where += " is in " + fe.Component + " (" + fe.Dir + "),"
	}
	fmt.Fprintf(&b, "%s at line %d of %s:\n", where, fe.Line, logPath)
	width := len(fmt.Sprint(fe.Excerpt[len(fe.Excerpt)-1].N))
	for _, l := range fe.Excerpt {
		mark := " "
		if l.N == fe.Line {
			mark = ">"
		}
		fmt.Fprintf(&b, "%s%*d | %s\n", mark, width, l.N, l.Text)
	}
	if fe.OwnLog != "" {
		fmt.Fprintf(&b, "%s's own log: %s\n", ownerName(fe.Component), fe.OwnLog)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ownerName is a label without its version: "openssl 3.0.20" → "openssl".
func ownerName(label string) string {
	if strings.HasPrefix(label, "module ") {
		return label
	}
	name, _, _ := strings.Cut(label, " ")
	return name
}
