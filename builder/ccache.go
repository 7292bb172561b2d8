package builder

// When ccache goes in front of the compiler.
//
// ccache pays only when it hits. On a cold cache every compile is a miss,
// and a miss costs a preprocessor run on top of the compile (and the
// writing of the result): a first build through ccache is slower than
// one without (see README, "ccache"). An ephemeral CI runner is always
// cold. So by default (plan.CCacheAuto) ccache is used only where it can
// pay: its cache already holds objects, or the user set it up on purpose
// (a cache dir of their own, remote storage shared with other machines).
// --ccache and --ccache-remote always use it.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/nginx-build/nginx-build/internal/proc"
	"github.com/nginx-build/nginx-build/plan"
)

// ccacheConfig is what `ccache -p` says of the settings the policy reads,
// each with where it came from ("default", "environment" or a
// configuration file).
type ccacheConfig struct {
	CacheDir, CacheDirFrom string
	Remote, RemoteFrom     string
}

// ccacheFacts is everything the ccache policy decides on.
type ccacheFacts struct {
	Mode plan.CCacheMode
	// Remote is --ccache-remote ("" = not given).
	Remote string
	// Disabled is NGINX_BUILD_CCACHE=0.
	Disabled bool
	// Path is the ccache binary ("" = not on PATH).
	Path string
	// Config and Stats are ccache's own view (read only for the default
	// mode); ConfigErr is why the configuration could not be read.
	Config    ccacheConfig
	ConfigErr error
	Stats     ccacheStats
}

// ccacheChoice is the policy's answer.
type ccacheChoice struct {
	Use bool
	// Why says why (or why not), for the summary and the build record.
	Why string
	// Told is set when the user turned ccache off: nothing to explain.
	Told bool
}

// decideCCache is the ccache policy. An error is a ccache the user asked
// for that is not there.
func decideCCache(f ccacheFacts) (ccacheChoice, error) {
	switch {
	case f.Mode == plan.CCacheOff:
		return ccacheChoice{Why: "--ccache=false", Told: true}, nil
	case f.Remote != "" && f.Path == "":
		return ccacheChoice{}, fmt.Errorf("--ccache-remote: ccache is not on PATH; install it (apt-get install ccache) or leave --ccache-remote out")
	case f.Remote != "":
		return ccacheChoice{Use: true, Why: "--ccache-remote " + redactRemote(f.Remote)}, nil
	case f.Mode == plan.CCacheOn && f.Path == "":
		return ccacheChoice{}, fmt.Errorf("--ccache: ccache is not on PATH; install it (apt-get install ccache) or leave --ccache out")
	case f.Mode == plan.CCacheOn:
		return ccacheChoice{Use: true, Why: "--ccache"}, nil
	case f.Disabled:
		return ccacheChoice{Why: "NGINX_BUILD_CCACHE=0", Told: true}, nil
	case f.Path == "":
		return ccacheChoice{Why: "ccache is not on PATH"}, nil
	case f.ConfigErr != nil:
		return ccacheChoice{Why: fmt.Sprintf("its configuration could not be read (%v); --ccache uses it anyway", f.ConfigErr)}, nil
	}
	c := f.Config
	switch {
	case c.Remote != "":
		return ccacheChoice{Use: true, Why: fmt.Sprintf("remote storage is configured (%s, from %s)", redactRemote(c.Remote), settingFrom(c.RemoteFrom, "CCACHE_REMOTE_STORAGE"))}, nil
	case c.CacheDirFrom != "" && c.CacheDirFrom != "default":
		return ccacheChoice{Use: true, Why: fmt.Sprintf("its cache dir is configured (%s, from %s)", c.CacheDir, settingFrom(c.CacheDirFrom, "CCACHE_DIR"))}, nil
	case f.Stats.ok && (f.Stats.files > 0 || f.Stats.kib > 0):
		return ccacheChoice{Use: true, Why: fmt.Sprintf("its cache (%s) holds %s files", c.CacheDir, thousands(f.Stats.files))}, nil
	case !f.Stats.ok:
		return ccacheChoice{Why: fmt.Sprintf("its statistics could not be read, so whether its cache (%s) holds anything is unknown; --ccache uses it anyway", c.CacheDir)}, nil
	}
	return ccacheChoice{Why: fmt.Sprintf("its cache (%s) is empty, so a first build through it would be slower; --ccache fills it", c.CacheDir)}, nil
}

// chooseCCache applies the policy to this build and sets tc up for it:
// the ccache to put in front of the compiler, and the environment that
// sends it to --ccache-remote.
func chooseCCache(ctx context.Context, s *State, tc *toolchain) error {
	f := ccacheFacts{Mode: s.Plan.CCache, Remote: s.Plan.CCacheRemote, Disabled: s.Env.CCacheDisabled}
	if p, err := exec.LookPath("ccache"); err == nil {
		f.Path = p
	}
	if f.Mode == plan.CCacheAuto && f.Remote == "" && !f.Disabled && f.Path != "" {
		// Only the default asks ccache what it holds: two quick runs.
		f.Config, f.ConfigErr = readCCacheConfig(ctx, f.Path, tc.Env)
		f.Stats = readCCacheStats(ctx, f.Path, tc.Env)
	}
	c, err := decideCCache(f)
	if err != nil {
		return err
	}
	tc.CCacheWhy, tc.CCacheTold = c.Why, c.Told
	if !c.Use {
		return nil
	}
	tc.CCache = f.Path
	if f.Remote != "" {
		// After the user's environment: it wins over their own setting.
		tc.Env = append(tc.Env, "CCACHE_REMOTE_STORAGE="+f.Remote)
	}
	return nil
}

// readCCacheConfig asks ccache for its settings (`ccache -p`), as the
// user's environment (CCACHE_DIR, CCACHE_CONFIGPATH, …) and
// configuration files make them.
func readCCacheConfig(ctx context.Context, ccache string, env []string) (ccacheConfig, error) {
	cmd := proc.Command(ctx, ccache, "-p")
	cmd.Env = append(os.Environ(), env...)
	out, err := proc.Output(cmd)
	if err != nil {
		return ccacheConfig{}, fmt.Errorf("%s -p: %w", ccache, err)
	}
	return parseCCacheConfig(out), nil
}

// parseCCacheConfig reads `ccache -p`: "(ORIGIN) key = value" a line.
func parseCCacheConfig(out []byte) ccacheConfig {
	var c ccacheConfig
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "(")
		if !ok {
			continue
		}
		from, setting, ok := strings.Cut(rest, ") ")
		if !ok {
			continue
		}
		key, value, _ := strings.Cut(setting, " = ")
		switch strings.TrimSpace(key) {
		case "cache_dir":
			c.CacheDir, c.CacheDirFrom = strings.TrimSpace(value), from
		case "remote_storage":
			c.Remote, c.RemoteFrom = strings.TrimSpace(value), from
		}
	}
	return c
}

// settingFrom names where a setting came from: its environment variable
// or the configuration file.
func settingFrom(from, envVar string) string {
	if from == "environment" {
		return envVar
	}
	return from
}

// redactRemote hides the passwords in remote storage URLs
// (redis://:secret@host): they end up in logs and build records.
func redactRemote(remote string) string {
	fields := strings.Fields(remote)
	for i, one := range fields {
		u, attrs, _ := strings.Cut(one, "|")
		if p, err := url.Parse(u); err == nil && p.User != nil {
			if _, has := p.User.Password(); has {
				fields[i] = p.Redacted()
				if attrs != "" {
					fields[i] += "|" + attrs
				}
			}
		}
	}
	return strings.Join(fields, " ")
}

// thousands writes n with thousands separators: 1,234.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
