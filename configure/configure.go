// Package configure builds and inspects the shell script that nginx-build runs
// to configure an nginx source tree.
//
// The script is the user's -c file (or a default one) with the options
// nginx-build needs appended to its ./configure call, following the semantics
// of cubicdaiya/nginx-build so that existing configure scripts keep working.
// Unlike the original, conflicting or duplicated options are rejected before
// anything runs, because nginx's configure silently lets the last one win and
// the resulting binary differs from what the user asked for. The one
// exception is the original's: a script's own --with-openssl=DIR (or pcre,
// zlib) while a flag embeds that library is replaced by the embedded one.
//
// Everything here is a pure function of its input: no files are read and no
// commands are run, so callers decide where scripts come from and how they run.
package configure

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// defaultScript is used when the user gives no -c script; it matches the
// original nginx-build so generated scripts stay byte-for-byte comparable.
const defaultScript = "#!/bin/sh\n\n./configure"

// sslModule is added when an SSL library is embedded, because nginx ignores
// --with-openssl unless some module actually needs SSL.
const sslModule = "--with-http_ssl_module"

// Library is a static library source tree embedded into the nginx build, e.g.
// {Option: "openssl", Dir: "../openssl-3.0.20"}.
type Library struct {
	Option string // configure option stem: "pcre" → --with-pcre=DIR, "openssl" → --with-openssl=DIR, "zlib" → --with-zlib=DIR
	Dir    string // path relative to the nginx source dir
	SSL    bool   // true for an SSL library (openssl/libressl/custom ssl): triggers --with-http_ssl_module
	Flag   string // the nginx-build flag that embeds it, for messages ("-libressl"); "" means "-" + Option
}

// Replaced is an option of the user's script that [Generate] dropped
// because an embedded library's option replaces it.
type Replaced struct {
	Line   int    // the option's line in the script, 1-based
	Option string // as written: "--with-openssl=/opt/ssl"
	By     string // the library: "-openssl (embedded ../openssl-3.5.7)"
}

// Input is everything that goes into the generated script.
type Input struct {
	UserScript string    // contents of the -c file; "" (or only whitespace) means the default script "#!/bin/sh\n\n./configure"
	Libraries  []Library // appended in this order
	ModuleArgs []string  // e.g. "--add-module=../echo-nginx-module", "--add-dynamic-module=/x y"; appended after libraries
	ExtraArgs  []string  // options the user gave after `--` on the command line, appended last, verbatim (but quoted)
}

// Origins used in error messages; they name where the user can fix the option.
const (
	originScript  = "the configure script"
	originModules = "the module configuration"
	originExtra   = "the command line"
)

// Normalize applies nginx-build's -c normalization so that options can be
// appended to the script's last line.
//
// Trailing blank lines are dropped. The final run of `#` comment lines (blank
// lines between them are ignored and dropped) is removed from its place and
// returned separately, because appending options after a comment would
// comment them out; [Generate] puts those lines at the very end of the script.
// A leading "#!" line is never part of that run. Then trailing spaces, tabs,
// newlines and backslashes are trimmed from the remaining body, so a dangling
// line continuation cannot join the appended options to an unrelated line.
//
// CRLF line endings are converted to LF: a backslash before "\r\n" is not a
// line continuation for sh, so scripts edited on Windows would otherwise break.
// Lines that merely look like comments but are part of a quoted string or a
// here-document are left in place when the script parses.
func Normalize(script string) (body string, trailingComments []string) {
	script = strings.ReplaceAll(script, "\r\n", "\n")
	lines := strings.Split(script, "\n")
	starts := commentStarts(script)

	end := len(lines)
	for end > 0 && isBlank(lines[end-1]) {
		end--
	}
	cut := end
	for i := end - 1; i >= 0; i-- {
		line := lines[i]
		if isBlank(line) {
			continue
		}
		if !isCommentLine(line, i+1, starts) || (i == 0 && strings.HasPrefix(line, "#!")) {
			break
		}
		cut = i
	}
	for _, line := range lines[cut:end] {
		if !isBlank(line) {
			trailingComments = append(trailingComments, line)
		}
	}
	body = strings.TrimRight(strings.Join(lines[:cut], "\n"), " \t\r\n\\")
	return body, trailingComments
}

func isBlank(line string) bool {
	return strings.Trim(line, " \t\r") == ""
}

// isCommentLine reports whether line (1-based number n) holds only a comment.
// When the script parsed, starts maps line numbers to the column where the shell
// sees a comment start, which rules out "#" inside strings and here-documents;
// a nil map means the script did not parse and the text is all we have.
func isCommentLine(line string, n int, starts map[int]int) bool {
	trimmed := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(trimmed, "#") {
		return false
	}
	if starts == nil {
		return true
	}
	col, ok := starts[n]
	return ok && col == len(line)-len(trimmed)+1
}

// Generate returns the final script text.
//
// The normalized body comes first; then, each on its own line and joined with
// " \\\n" continuations to the configure command: each Library as
// --with-<Option>=<Dir>; then --with-http_ssl_module if any Library has SSL
// and the option is not already present anywhere (user script, ModuleArgs,
// ExtraArgs); then ModuleArgs; then ExtraArgs. Every appended word is quoted
// with [Quote]. The script ends with a newline, then the trailing comment lines
// found by [Normalize], each followed by a newline.
//
// A --with-<Option>=DIR of the script for a Library is replaced: it is
// cut out of the script, with the blanks and line continuation before it,
// and returned, so that configure receives the embedded library's option
// once, as nginx-build's last-one-wins gave. The same option after --
// is the user's explicit choice on the command line next to the flag
// that embeds the library, and stays a conflict.
//
// Generate returns an error, so that nothing runs, when the script does not
// parse, has no configure command, does not end with that command (appended
// options would land on another command), or when options are duplicated or
// conflict (see [Check]).
func Generate(in Input) (string, []Replaced, error) {
	script := in.UserScript
	if strings.TrimSpace(script) == "" {
		script = defaultScript
	}
	body, comments := Normalize(script)
	call, err := findConfigure(body)
	if err != nil {
		return "", nil, err
	}

	var args []Arg
	for _, v := range call.args {
		args = append(args, Arg{Value: v, Origin: originScript, Replaced: replacingLibrary(v, in.Libraries) != nil})
	}
	var appended []Arg
	var sslLib *Library
	for i := range in.Libraries {
		lib := &in.Libraries[i]
		if lib.Option == "" || lib.Dir == "" {
			return "", nil, fmt.Errorf("embedded library %d has an empty option name or directory (option %q, dir %q)", i+1, lib.Option, lib.Dir)
		}
		appended = append(appended, Arg{Value: "--with-" + lib.Option + "=" + lib.Dir, Origin: libraryOrigin(*lib), Embedded: true})
		if lib.SSL && sslLib == nil {
			sslLib = lib
		}
	}
	if sslLib != nil && !hasOption(sslModule, call.args, in.ModuleArgs, in.ExtraArgs) {
		appended = append(appended, Arg{Value: sslModule, Origin: libraryOrigin(*sslLib), Embedded: true})
	}
	for _, v := range in.ModuleArgs {
		appended = append(appended, Arg{Value: v, Origin: originModules})
	}
	for _, v := range in.ExtraArgs {
		appended = append(appended, Arg{Value: v, Origin: originExtra})
	}

	if len(appended) > 0 && call.end != len(body) {
		line, col := lineCol(body, call.end)
		return "", nil, fmt.Errorf("cannot append options to the configure script: its configure command ends at line %d:%d but the script continues after it, so the options would not reach configure", line, col)
	}
	if err := Check(append(args, appended...)); err != nil {
		return "", nil, err
	}
	body, replaced, err := cutReplaced(body, call, in.Libraries)
	if err != nil {
		return "", nil, err
	}

	var sb strings.Builder
	sb.WriteString(body)
	for _, a := range appended {
		sb.WriteString(" \\\n")
		sb.WriteString(Quote(a.Value))
	}
	sb.WriteString("\n")
	for _, c := range comments {
		sb.WriteString(c)
		sb.WriteString("\n")
	}
	return sb.String(), replaced, nil
}

// replacingLibrary is the library whose embedded option replaces the
// script's option opt (a --with-<Option>=DIR), or nil. A bare --with-pcre
// means something else (use a system PCRE) and stays.
func replacingLibrary(opt string, libs []Library) *Library {
	key, hasValue := optionKey(opt)
	if !hasValue {
		return nil
	}
	for i := range libs {
		if libs[i].Option != "" && key == "--with-"+libs[i].Option {
			return &libs[i]
		}
	}
	return nil
}

// cutReplaced removes the options of the configure call in body that an
// embedded library replaces, last first so that earlier offsets stay
// valid, and reports them in script order.
func cutReplaced(body string, call configureCall, libs []Library) (string, []Replaced, error) {
	var replaced []Replaced
	for i := len(call.args) - 1; i >= 0; i-- {
		lib := replacingLibrary(call.args[i], libs)
		if lib == nil {
			continue
		}
		w := call.words[i]
		if w.prevEnd > w.start || w.start > w.end || w.end > len(body) {
			return "", nil, fmt.Errorf("cannot remove %s from the configure script (replaced by %s): remove it yourself", call.args[i], libraryOrigin(*lib))
		}
		line, _ := lineCol(body, w.start)
		replaced = append(replaced, Replaced{Line: line, Option: call.args[i], By: libraryOrigin(*lib)})
		body = body[:separatorStart(body, w)] + body[w.end:]
	}
	slices.Reverse(replaced)
	return body, replaced, nil
}

// separatorStart is where the blanks and line continuations before the
// word w start, not before the word before it: cutting from there keeps
// the rest of the command as it was written.
func separatorStart(body string, w wordSpan) int {
	from := w.start
	for from > w.prevEnd {
		switch {
		case body[from-1] == ' ' || body[from-1] == '\t':
			from--
		case from-2 >= w.prevEnd && body[from-2:from] == "\\\n":
			from -= 2
		default:
			return from
		}
	}
	return from
}

// libraryOrigin names an embedded library the way the user asked for it, so
// the error tells them which flag to drop.
func libraryOrigin(lib Library) string {
	flag := lib.Flag
	if flag == "" {
		flag = "-" + lib.Option
	}
	return fmt.Sprintf("%s (embedded %s)", flag, lib.Dir)
}

func hasOption(opt string, lists ...[]string) bool {
	for _, list := range lists {
		for _, v := range list {
			if v == opt {
				return true
			}
		}
	}
	return false
}

// lineCol converts a byte offset to the 1-based line:column convention of the
// shell parser's errors, so all messages point at positions the same way.
func lineCol(s string, off int) (line, col int) {
	before := s[:min(off, len(s))]
	line = strings.Count(before, "\n") + 1
	col = off - (strings.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// errNoConfigure is returned when a script never calls configure; appending
// options to such a script would hand them to some other command.
var errNoConfigure = errors.New("the configure script has no ./configure command")
