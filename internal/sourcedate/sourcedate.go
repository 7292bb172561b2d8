// Package sourcedate reads SOURCE_DATE_EPOCH, the reproducible-builds
// convention for the one date a build may record
// (https://reproducible-builds.org/specs/source-date-epoch/). Every part
// of nginx-build that honours it must agree on what a valid value is:
// a package stamped with one date and an SBOM with another, because one
// reader ignored a malformed value and the other did not, would defeat
// the point.
package sourcedate

import (
	"fmt"
	"strconv"
	"time"
)

// EnvVar is the variable's name, for callers that read the environment.
const EnvVar = "SOURCE_DATE_EPOCH"

// Parse interprets a SOURCE_DATE_EPOCH value. An empty value means unset
// (set is false), as the specification asks. Otherwise it must be a
// non-negative integer number of seconds since 1970: a malformed value is
// an error rather than silently ignored, because a build that quietly
// falls back to the current time is not reproducible and nobody notices.
// The time is in UTC.
func Parse(value string) (t time.Time, set bool, err error) {
	if value == "" {
		return time.Time{}, false, nil
	}
	// ParseUint, not ParseInt: "-1" and "+1" are not what the spec allows.
	n, err := strconv.ParseUint(value, 10, 63)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%s=%q is not a number of seconds since 1970", EnvVar, value)
	}
	return time.Unix(int64(n), 0).UTC(), true, nil
}
