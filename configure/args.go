package configure

import (
	"fmt"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// wrappers are commands that run their arguments as a command, so that
// "exec ./configure ..." or "sh ./configure ..." are still recognized as the
// configure call. Options of the wrapper itself (words starting with "-") and,
// for env, NAME=value words are skipped. The value marks shells, whose -c
// option makes the following words positional parameters instead.
var wrappers = map[string]bool{
	"bash":    true,
	"command": false,
	"dash":    true,
	"env":     false,
	"exec":    false,
	"nohup":   false,
	"sh":      true,
}

// Args returns the configure arguments of a script as a shell would see them
// (after quote removal), i.e. the words following the ./configure (or any
// command whose first word ends in "configure") call, continuation lines
// joined. Environment assignments before the command (CFLAGS=-O2 ./configure)
// are not arguments and are left out; a wrapper such as exec, env or sh in
// front of the command is looked through.
//
// Words whose value depends on the environment or on running something (they
// contain $VAR, $(cmd), `cmd`, an unquoted glob or a leading ~) are returned as
// their source text, because that is the most faithful static answer.
//
// Args reads CRLF line endings as LF, even inside quotes (the parser does so
// to accept scripts edited on Windows). When the script calls configure more
// than once, the last call wins: that is the one [Generate] appends options
// to. A script that does not parse returns an error with line:col; one
// without a configure call returns an error too.
func Args(script string) ([]string, error) {
	call, err := findConfigure(script)
	if err != nil {
		return nil, err
	}
	return call.args, nil
}

// configureCall is the configure command found in a script.
type configureCall struct {
	args []string
	// words are where each of args is written, so that one can be cut out.
	words []wordSpan
	// end is the byte offset just past the command's last word or
	// redirection, used to tell whether appended options would reach it.
	end int
}

// wordSpan is where a word of a command is written: the byte offsets of
// its start and end, and of the end of the word before it (the command
// name for the first argument). Between the two words there are only
// blanks, line continuations and redirections.
type wordSpan struct {
	prevEnd, start, end int
}

func parse(script string) (*syntax.File, error) {
	// Bash is a superset of what configure scripts use in practice, so
	// parsing as bash rejects the fewest valid scripts.
	p := syntax.NewParser(syntax.Variant(syntax.LangBash), syntax.KeepComments(true))
	f, err := p.Parse(strings.NewReader(script), "")
	if err != nil {
		return nil, fmt.Errorf("cannot parse the configure script: %w", err)
	}
	return f, nil
}

func findConfigure(script string) (configureCall, error) {
	f, err := parse(script)
	if err != nil {
		return configureCall{}, err
	}
	var found *syntax.Stmt
	var first int
	syntax.Walk(f, func(n syntax.Node) bool {
		st, ok := n.(*syntax.Stmt)
		if !ok {
			return true
		}
		call, ok := st.Cmd.(*syntax.CallExpr)
		if !ok {
			return true
		}
		if i, ok := configureWord(script, call.Args); ok && (found == nil || st.Pos().Offset() >= found.Pos().Offset()) {
			found, first = st, i
		}
		return true
	})
	if found == nil {
		return configureCall{}, errNoConfigure
	}
	call := found.Cmd.(*syntax.CallExpr)
	c := configureCall{args: []string{}, end: int(call.End().Offset())}
	for i, w := range call.Args[first+1:] {
		c.args = append(c.args, wordValue(script, w))
		c.words = append(c.words, wordSpan{
			prevEnd: int(call.Args[first+i].End().Offset()),
			start:   int(w.Pos().Offset()),
			end:     int(w.End().Offset()),
		})
	}
	for _, r := range found.Redirs {
		// A here-document body follows the command line, so text appended
		// after it would not continue the command: count only the operator's
		// word, which makes such a script end after the command.
		end := r.End()
		if r.Hdoc != nil {
			end = r.Word.End()
		}
		c.end = max(c.end, int(end.Offset()))
	}
	return c, nil
}

// configureWord returns the index of the configure command within words.
func configureWord(script string, words []*syntax.Word) (int, bool) {
	for i := 0; i < len(words); i++ {
		w := wordValue(script, words[i])
		if strings.HasSuffix(w, "configure") {
			return i, true
		}
		base := path.Base(w)
		shell, ok := wrappers[base]
		if !ok {
			return 0, false
		}
		for i+1 < len(words) {
			next := wordValue(script, words[i+1])
			if !strings.HasPrefix(next, "-") && !(base == "env" && strings.Contains(next, "=")) {
				break
			}
			if shell && !strings.HasPrefix(next, "--") && strings.Contains(next, "c") {
				// sh -c CMD ARGS... hands ARGS to CMD's $0, $1...,
				// so appended options would never reach configure.
				return 0, false
			}
			i++
		}
	}
	return 0, false
}

// wordValue returns the word after quote removal, or its source text when the
// value cannot be known without running the script.
func wordValue(script string, w *syntax.Word) string {
	if v, ok := literal(w); ok {
		return v
	}
	start, end := w.Pos().Offset(), w.End().Offset()
	if start > end || end > uint(len(script)) {
		// Only possible past the parser's position limits (4 GiB);
		// an empty word is better than a panic there.
		return ""
	}
	return script[start:end]
}

// literal returns the value a POSIX shell gives w after quote removal, and
// false when that value depends on the environment, the file system or
// running commands.
func literal(w *syntax.Word) (string, bool) {
	var sb strings.Builder
	for i, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			if i == 0 && strings.HasPrefix(p.Value, "~") {
				return "", false // tilde expansion needs $HOME or the user database
			}
			v, ok := unescapeUnquoted(p.Value)
			if !ok {
				return "", false
			}
			sb.WriteString(v)
		case *syntax.SglQuoted:
			if p.Dollar && strings.ContainsRune(p.Value, '\\') {
				return "", false // ANSI-C escapes are not worth decoding for configure options
			}
			sb.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				lit, ok := q.(*syntax.Lit)
				if !ok {
					return "", false
				}
				sb.WriteString(unescapeDouble(lit.Value))
			}
		default:
			return "", false
		}
	}
	return sb.String(), true
}

// unescapeUnquoted removes backslash quoting outside quotes. The parser has
// already dropped line continuations. It reports false for an unescaped glob
// character, whose expansion depends on the file system.
func unescapeUnquoted(s string) (string, bool) {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			sb.WriteByte(s[i])
		case c == '*' || c == '?' || c == '[':
			return "", false
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String(), true
}

// unescapeDouble removes backslash quoting inside double quotes, where a
// backslash only escapes $, `, " and \ and is otherwise literal.
func unescapeDouble(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
			i++
			c = s[i]
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// commentStarts maps each line of script on which a comment begins to the
// 1-based column of its "#", or returns nil when the script does not parse.
func commentStarts(script string) map[int]int {
	f, err := parse(script)
	if err != nil {
		return nil
	}
	starts := map[int]int{}
	syntax.Walk(f, func(n syntax.Node) bool {
		if c, ok := n.(*syntax.Comment); ok {
			starts[int(c.Pos().Line())] = int(c.Pos().Col())
		}
		return true
	})
	return starts
}
