package command

import (
	"maps"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/verify"
)

// cli is one test's outside world for RunWith: a private environment
// (empty but for what the test sets, and HOME in a temp dir, so never the
// user's cache), its own working directory instead of the process's, and a
// fast-retrying HTTP client. Tests that use nothing process-wide can then
// run in parallel. No signing key is pinned unless a test pins some
// (setKeyPins): a test must never reach out to a real key server.
type cli struct {
	mu   sync.Mutex
	env  map[string]string
	dir  string
	http *http.Client
	pins verify.KeyPins
	// width is the terminal width stdout has (0: not a terminal).
	width int
}

// testNetwork retries as often as the real client (tests count requests),
// but never waits out a real backoff.
var testNetwork = fetch.Network{Attempts: 5, BaseDelay: 2 * time.Millisecond, MaxDelay: 50 * time.Millisecond}

var clis sync.Map // *testing.T → *cli

// cliFor is t's cli, made on first use.
func cliFor(t *testing.T) *cli {
	t.Helper()
	if c, ok := clis.Load(t); ok {
		return c.(*cli)
	}
	// The synthetic builds compile nothing, so ccache would only add two
	// --print-stats runs to each; builder's toolchain tests and the e2e
	// tier cover it.
	c := &cli{env: map[string]string{"HOME": t.TempDir(), "NGINX_BUILD_CCACHE": "0"}, dir: t.TempDir(), http: testNetwork.Client(), pins: verify.KeyPins{}}
	if got, loaded := clis.LoadOrStore(t, c); loaded {
		return got.(*cli)
	}
	t.Cleanup(func() {
		clis.Delete(t)
		c.http.CloseIdleConnections()
	})
	return c
}

// setenv sets a variable in t's environment (what commands read through
// Factory.LookupEnv); child processes do not see it.
func setenv(t *testing.T, name, value string) {
	t.Helper()
	c := cliFor(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.env[name] = value
}

// getenv is a variable of t's environment.
func getenv(t *testing.T, name string) string {
	t.Helper()
	c := cliFor(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.env[name]
}

// chdir makes dir the working directory of t's runs (Factory.Dir).
func chdir(t *testing.T, dir string) {
	t.Helper()
	c := cliFor(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dir = dir
}

// setKeyPins makes pins the signing keys pinned in t's runs.
func setKeyPins(t *testing.T, pins verify.KeyPins) {
	t.Helper()
	c := cliFor(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pins = pins
}

// setWidth makes t's runs print to a terminal of width columns (0: not a
// terminal, the default).
func setWidth(t *testing.T, width int) {
	t.Helper()
	c := cliFor(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.width = width
}

// factory is the Factory of one run: a snapshot of t's environment.
func (c *cli) factory(io *iostreams.IO) *Factory {
	c.mu.Lock()
	env := maps.Clone(c.env)
	dir, pins, width := c.dir, c.pins, c.width
	c.mu.Unlock()
	return &Factory{
		IO:         io,
		HTTPClient: c.http,
		LookupEnv:  func(name string) (string, bool) { v, ok := env[name]; return v, ok },
		Dir:        dir,
		Now:        time.Now,
		KeyPins:    pins,
		OutWidth:   func() int { return width },
	}
}
