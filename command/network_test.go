package command

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/iostreams"
)

// The wait cap and the minimum speed come from the environment; a value
// that does not parse is said, not silently ignored.
func TestNetworkFromEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, retryAfter, minSpeed string
		wantCap                    time.Duration
		wantRate                   int64
		warns                      string
	}{
		{name: "defaults"},
		{name: "set", retryAfter: "30s", minSpeed: "10KiB", wantCap: 30 * time.Second, wantRate: 10 << 10},
		{name: "speed check off", minSpeed: "0", wantRate: -1},
		{name: "bad cap", retryAfter: "soon", warns: `NGINX_BUILD_MAX_RETRY_AFTER="soon" is not a duration`},
		{name: "bad speed", minSpeed: "fast", warns: `NGINX_BUILD_MIN_SPEED="fast" is not a number of bytes a second`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			env := map[string]string{"NGINX_BUILD_MAX_RETRY_AFTER": tc.retryAfter, "NGINX_BUILD_MIN_SPEED": tc.minSpeed}
			f := &Factory{IO: iostreams.New(&out, &out), LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }}
			n := f.network()
			if n.MaxRetryAfter != tc.wantCap || n.MinRate != tc.wantRate || n.Notify == nil {
				t.Errorf("MaxRetryAfter %s MinRate %d (Notify set: %v), want %s %d", n.MaxRetryAfter, n.MinRate, n.Notify != nil, tc.wantCap, tc.wantRate)
			}
			if got := out.String(); (tc.warns == "") != (got == "") || !strings.Contains(got, tc.warns) {
				t.Errorf("printed %q, want %q", got, tc.warns)
			}
		})
	}
}
