// Package proc runs child processes in a process group of their own, so
// that cancellation (Ctrl-C, SIGTERM, a failure elsewhere) reaches
// everything they started — make's compilers, apt's download methods —
// and not just the direct child. Nothing is left running behind a
// cancelled nginx-build.
package proc

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// GracePeriod is how long a cancelled group has between SIGTERM and
// SIGKILL.
const GracePeriod = 5 * time.Second

// Command is exec.CommandContext with the child leading a new process
// group. When ctx is done the whole group gets SIGTERM first (politely:
// make then deletes half-written targets) and the leader SIGKILL after
// GracePeriod; Run, Output and CombinedOutput also kill what is left of
// the group once the leader has exited.
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	cmd.WaitDelay = GracePeriod
	return cmd
}

// WithoutTerminal makes cmd's child lead a new session rather than just a
// process group: it has no controlling terminal, so neither it nor an ssh
// it starts can prompt for a password. The session's group is killed on
// cancellation and by Reap as Command's is.
func WithoutTerminal(cmd *exec.Cmd) *exec.Cmd {
	// setsid(2) also makes a new process group; Setpgid on top would fail.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// Reap kills every process still in cmd's group: children that outlived
// the leader, or ignored SIGTERM. It is a no-op for a command that never
// started.
func Reap(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// Run is cmd.Run followed by Reap.
func Run(cmd *exec.Cmd) error {
	defer Reap(cmd)
	return cmd.Run()
}

// Output is cmd.Output followed by Reap.
func Output(cmd *exec.Cmd) ([]byte, error) {
	defer Reap(cmd)
	return cmd.Output()
}

// CombinedOutput is cmd.CombinedOutput followed by Reap.
func CombinedOutput(cmd *exec.Cmd) ([]byte, error) {
	defer Reap(cmd)
	return cmd.CombinedOutput()
}
