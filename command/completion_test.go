package command

import "testing"

func TestCompletionUnknownShellIsAUsageError(t *testing.T) {
	t.Parallel()
	r := run(t, "completion", "tcsh")
	if r.code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2\n%s%s", r.code, r.out, r.err)
	}
	mustContain(t, "error", r.err, `completion: unsupported shell "tcsh"`, "bash, zsh, fish, powershell")
	if r := run(t, "completion", "bash", "zsh"); r.code != 2 {
		t.Errorf("completion bash zsh: exit %d, want 2\n%s", r.code, r.err)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := run(t, "completion", shell); r.code != 0 || r.out == "" {
			t.Errorf("completion %s: exit %d\n%s", shell, r.code, r.err)
		}
	}
	if r := run(t, "completion"); r.code != 0 {
		t.Errorf("completion without a shell (help): exit %d\n%s", r.code, r.err)
	}
}
