package proc

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/proctest"
)

// TestCancelKillsTheGroup: a child that started a grandchild (as apt-get
// starts its download methods) is stopped with the grandchild when the
// context is cancelled.
func TestCancelKillsTheGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := Command(ctx, "/bin/sh", "-c", "sleep 60 & echo $! > "+pidFile+"; wait")
	done := make(chan error, 1)
	go func() { _, err := CombinedOutput(cmd); done <- err }()
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0; {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never started its grandchild")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a cancelled command succeeded")
		}
	case <-time.After(GracePeriod + 5*time.Second):
		t.Fatal("the command did not stop after cancellation")
	}
	proctest.WaitGone(t, pid, "grandchild")
}

// TestReapAfterExit: what a command leaves running behind when it exits
// normally is killed too.
func TestReapAfterExit(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := Command(context.Background(), "/bin/sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $! > "+pidFile)
	if err := Run(cmd); err != nil {
		t.Fatal(err)
	}
	proctest.WaitGoneFromFile(t, pidFile, "leftover")
}
