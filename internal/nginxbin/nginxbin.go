// Package nginxbin asks an nginx binary about itself. nginx -V is how
// nginx-build learns a binary's version and configure arguments (to
// package it, to check an installed one, to build modules for it); it
// runs through internal/proc so that a binary that hangs, or a wrapper
// script that starts children, is stopped whole on cancellation.
package nginxbin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/internal/proc"
)

// Timeout bounds nginx -V, which answers instantly: a binary that takes
// longer is stuck (a broken wrapper, a hung NFS mount) and waiting for it
// would hang the build with no message.
const Timeout = 30 * time.Second

// NginxV runs binary -V and returns its output, trimmed: nginx prints it
// on stderr, so stdout and stderr are combined. On failure the output is
// returned too (it usually says why: a missing shared library, say), and
// the error is the process's, for the caller to name the binary its way.
func NginxV(ctx context.Context, binary string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	out, err := proc.CombinedOutput(proc.Command(ctx, binary, "-V"))
	text := strings.TrimSpace(string(out))
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	return text, err
}
