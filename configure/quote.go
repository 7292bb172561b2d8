package configure

import "strings"

// Quote returns s quoted for POSIX sh: unchanged when it only contains
// [A-Za-z0-9_@%+=:,./-], otherwise single-quoted, with each embedded single
// quote closing the quotes, adding an escaped quote and reopening them:
//
//	Quote("--prefix=/opt/nginx") == "--prefix=/opt/nginx"
//	Quote("--with-cc-opt=-O2 -g") == "'--with-cc-opt=-O2 -g'"
//	Quote("it's") == `'it'\''s'`
//	Quote("") == "''"
//
// Leaving plain words unquoted keeps generated scripts as readable as
// hand-written ones; single quotes are the only sh quoting without any
// special characters inside, so nothing else needs escaping. A NUL byte
// cannot be passed to a command by any shell and so has no faithful quoting.
func Quote(s string) string {
	if s == "" {
		return "''"
	}
	if isPlain(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("_@%+=:,./-", c) >= 0:
		default:
			return false
		}
	}
	return true
}
