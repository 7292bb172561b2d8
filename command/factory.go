package command

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/sourcedate"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/verify"
)

// Factory is everything a command takes from the outside world: the
// streams it prints to, the HTTP client every download and index request
// goes through, the environment, the working directory and the clock.
// The real program uses System; tests build their own (a fast-retrying
// client, a private environment and directory) and so run in parallel.
type Factory struct {
	IO *iostreams.IO
	// HTTPClient serves every download, index and mirror request.
	HTTPClient *http.Client
	// LookupEnv reads the environment. It is the only way commands see
	// it: nothing below command/ reads an environment variable.
	LookupEnv func(name string) (string, bool)
	// Dir is the working directory that relative paths on the command
	// line (and the default lockfile) are taken from; "" means the
	// process's own.
	Dir string
	// Now is the clock.
	Now func() time.Time
	// KeyPins are the signing keys pinned for each component, fetched
	// from where upstream publishes them when a signature needs one; nil
	// takes verify.DefaultKeyPins. Tests point them at a loopback server.
	KeyPins verify.KeyPins
	// OutWidth is the width, in columns, of the terminal IO.Out prints
	// to, or 0 when it is not a terminal: tables are fitted to it, or
	// printed in full for scripts. nil asks the terminal of IO.Out's file
	// descriptor; tests give a width.
	OutWidth func() int
}

// System is the factory of the real program: the process's streams,
// environment and working directory, and the resilient HTTP client.
func System() *Factory {
	return (&Factory{}).withDefaults()
}

// withDefaults fills what a test left out with the real thing.
func (f *Factory) withDefaults() *Factory {
	c := *f
	if c.LookupEnv == nil {
		c.LookupEnv = os.LookupEnv
	}
	if c.IO == nil {
		c.IO = iostreams.System(c.env)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = c.network().Client()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.KeyPins == nil {
		c.KeyPins = verify.DefaultKeyPins()
	}
	if c.OutWidth == nil {
		out := c.IO.Out
		c.OutWidth = func() int { return terminalWidth(out) }
	}
	return &c
}

// network is the real program's network settings: the defaults, with
// the wait cap and the minimum speed from the environment
// (NGINX_BUILD_MAX_RETRY_AFTER, e.g. 30s; NGINX_BUILD_MIN_SPEED, bytes a
// second, e.g. 512, 10KiB, or 0 to disable). A value that does not parse
// is warned about and the default kept: the client is built before any
// command runs, so it cannot fail one.
func (f *Factory) network() fetch.Network {
	out := f.IO
	// A server's Retry-After can mean minutes: say what is awaited.
	n := fetch.Network{Notify: func(m string) { out.Infof("%s", m) }}
	if v := strings.TrimSpace(f.env("NGINX_BUILD_MAX_RETRY_AFTER")); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			n.MaxRetryAfter = max(d, time.Nanosecond) // 0 would mean the default
		} else {
			out.Warnf("NGINX_BUILD_MAX_RETRY_AFTER=%q is not a duration such as 30s or 5m; using the default, 2m", v)
		}
	}
	if v := strings.TrimSpace(f.env("NGINX_BUILD_MIN_SPEED")); v != "" {
		if b, err := parseSize(v); err == nil && b > 0 {
			n.MinRate = b
		} else if v == "0" {
			n.MinRate = -1 // disabled
		} else {
			out.Warnf("NGINX_BUILD_MIN_SPEED=%q is not a number of bytes a second such as 512 or 10KiB (0 disables it); using the default, 1KiB", v)
		}
	}
	return n
}

// env is an environment variable's value, "" when unset.
func (f *Factory) env(name string) string {
	v, _ := f.LookupEnv(name)
	return v
}

// envList reads a comma-separated list from the environment.
func (f *Factory) envList(name string) []string {
	var out []string
	for _, v := range strings.Split(f.env(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// wd is the working directory.
func (f *Factory) wd() (string, error) {
	if f.Dir != "" {
		return f.Dir, nil
	}
	return os.Getwd()
}

// abs makes a command-line path absolute against the working directory.
func (f *Factory) abs(p string) (string, error) {
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	wd, err := f.wd()
	if err != nil {
		return "", err
	}
	return filepath.Join(wd, p), nil
}

// absOr is abs, or p itself when the working directory is unknown.
func (f *Factory) absOr(p string) string {
	if a, err := f.abs(p); err == nil {
		return a
	}
	return p
}

// cacheDir is --cache-dir, else $NGINX_BUILD_CACHE, else
// $XDG_CACHE_HOME/nginx-build, else ~/.cache/nginx-build.
func (f *Factory) cacheDir(flag string) (string, error) {
	if flag != "" {
		if f.Dir == "" {
			return flag, nil // as given, like every path the tool prints from it
		}
		return f.abs(flag)
	}
	return fetch.CacheDirFrom(f.LookupEnv, f.abs)
}

// defaultLockfile is the lockfile's name in the working directory.
const defaultLockfile = "nginx-build.lock"

// env is what the pipeline gets from the outside world: io (which a
// command may re-point), the factory's HTTP client, and the environment
// variables that shape a compile, read here and nowhere below.
func (g *globalFlags) env(io *iostreams.IO) builder.Env {
	return builder.Env{
		Env: plan.Env{IO: io, HTTP: g.f.HTTPClient, ToolVersion: Version, KeyPins: g.f.KeyPins}, Now: g.f.Now,
		SourceDateEpoch: g.f.env("SOURCE_DATE_EPOCH"),
		CC:              g.f.env("CC"),
		CCacheDisabled:  g.f.env("NGINX_BUILD_CCACHE") == "0",
		BuildFlags:      g.f.buildFlags(),
	}
}

// buildFlags are the environment variables that reach the build of a
// library (OpenSSL's Configure, autoconf's and zlib's configure read
// them), as NAME=value, the unset ones left out: the library cache keys
// on them.
func (f *Factory) buildFlags() []string {
	var out []string
	for _, name := range []string{"CFLAGS", "CPPFLAGS", "LDFLAGS", "CXXFLAGS", "LDLIBS", "LIBS", "ASFLAGS", "CPP", "CXX",
		"AR", "RANLIB", "NM", "CROSS_COMPILE", "KERNEL_BITS", "PERL", "CONFIG_SITE", "OPENSSL_LOCAL_CONFIG_DIR", "MACHINE", "SYSTEM", "RELEASE"} {
		if v, ok := f.LookupEnv(name); ok {
			out = append(out, name+"="+v)
		}
	}
	return out
}

// sourceDate is $SOURCE_DATE_EPOCH, parsed the one way every user of it
// (the SBOM's timestamp, the package's file times) takes it.
func (f *Factory) sourceDate() (time.Time, bool, error) {
	return sourcedate.Parse(f.env(sourcedate.EnvVar))
}

// pipeline runs one plan through a mode's stage list with this run's
// environment: the one way every command builds, fetches, locks or
// mirrors. The state it returns holds each stage's result, to print.
func (g *globalFlags) pipeline(ctx context.Context, io *iostreams.IO, pl *plan.Plan, mode builder.Mode, stages []builder.Stage) (*builder.State, error) {
	state := &builder.State{Plan: pl, Mode: mode, Env: g.env(io)}
	return state, builder.Run(ctx, state, stages)
}
