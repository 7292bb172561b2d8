package builder

import (
	"context"
	"errors"
	"fmt"

	"github.com/nginx-build/nginx-build/archive"
)

// extract unpacks a verified tarball into dir/want within the plan's
// archive-bomb limits; hitting one says how to raise it.
func extract(ctx context.Context, s *State, src, dir, want string) error {
	err := archive.ExtractWithLimits(ctx, src, dir, want, s.Plan.ExtractLimits)
	var le *archive.LimitError
	if errors.As(err, &le) {
		flag := "--max-extract-size (or NGINX_BUILD_MAX_EXTRACT_SIZE)"
		if le.Limit == archive.LimitEntries {
			flag = "--max-extract-entries (or NGINX_BUILD_MAX_EXTRACT_ENTRIES)"
		}
		return fmt.Errorf("%w\n(if the archive is genuine, raise the limit with %s)", err, flag)
	}
	return err
}
