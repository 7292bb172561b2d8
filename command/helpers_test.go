package command

import (
	"fmt"
	"os"
	"strings"
)

func fmtSscan(s string, v *int) (int, error) { return fmt.Sscan(s, v) }

// alive reports whether pid is a running process. A killed child whose
// parent died may linger as a zombie until init reaps it; that counts as dead.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndex(s, ")")
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}
