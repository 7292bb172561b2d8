// Package proctest helps tests prove that a cancelled run leaves no
// process behind: is a pid alive, and wait (briefly) for one to end.
// Only tests import it.
package proctest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Alive reports whether pid is a running process. A killed child whose
// parent died may linger as a zombie until init reaps it; that counts as dead.
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndex(s, ")")
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// CancelWhenWritten calls cancel once path holds a whole line (a fake
// tool wrote the pid of the child it started: the shell creates the file
// before echo writes to it), or after 10 seconds.
func CancelWhenWritten(path string, cancel func()) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			break
		}
	}
	cancel()
}

// WaitGone fails the test unless pid ends within 5 seconds; what names it.
func WaitGone(t testing.TB, pid int, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); Alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s %d outlived the cancelled run", what, pid)
		}
	}
}

// WaitGoneFromFile is WaitGone for the pid written in pidFile.
func WaitGoneFromFile(t testing.TB, pidFile, what string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", pidFile, err)
	}
	WaitGone(t, pid, what)
}
