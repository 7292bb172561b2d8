package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/nginx-build/nginx-build/plan"
)

// Exit codes: the contract scripts and CI rely on.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// usageError is bad command-line input: the user must change the command.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// isUsage reports whether err is bad command-line input: a usage error of
// the flags, or input the plan could not take (a missing -c file, a
// patch for a component that is not built).
func isUsage(err error) bool {
	var u *usageError
	var in *plan.InputError
	return errors.As(err, &u) || errors.As(err, &in)
}

// exitCode maps an error to the process exit status.
func exitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case isUsage(err):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitFailure
	}
	return ExitFailure
}
