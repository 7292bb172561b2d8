package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nginx-build/nginx-build/internal/atomicfile"
	"github.com/nginx-build/nginx-build/internal/filelock"
	"github.com/nginx-build/nginx-build/internal/jsonfile"
	"github.com/nginx-build/nginx-build/internal/proc"
)

// Apt runs apt's programs with one configuration.
type Apt struct {
	// Config is nginx-build's private configuration (PrivateApt), which
	// apt reads after the system's (-c); "" runs apt with the system's
	// configuration alone.
	Config string
}

// Command runs an apt program (apt-get, apt-cache) with a's
// configuration, in a process group of its own: cancellation stops the
// download methods apt starts as its children too.
func (a Apt) Command(ctx context.Context, program string, args ...string) *exec.Cmd {
	if a.Config != "" {
		args = append([]string{"-c", a.Config}, args...)
	}
	return proc.Command(ctx, program, args...)
}

// AptListsTTL is how long PrivateApt's lists are used before it updates
// them: Debian's archive drops a source package version once a newer one
// replaces it, and stale lists would name files that are gone.
const AptListsTTL = 24 * time.Hour

// aptRetryAfter is how long a failed update of the private lists is not
// tried again (without Refresh): the rest of a run, which asks for them
// once per component, does not wait for the same failure each time.
const aptRetryAfter = 10 * time.Minute

// AptOptions say how PrivateApt keeps its lists.
type AptOptions struct {
	// Refresh updates the lists even when they are fresh (--refresh).
	Refresh bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Infof says that an update runs (it takes seconds); Warnf that an
	// update failed and older lists are used. Either may be nil.
	Infof, Warnf func(format string, args ...any)
}

// Files of the private apt configuration, under the cache's debian
// directory (where apt's downloads go too, one directory per package
// version, named PACKAGE_VERSION: never "apt").
const (
	aptDirName   = "apt"
	aptConfName  = "apt.conf"
	aptStampName = "updated.json"
	aptLogName   = "update.log"
	aptLockName  = ".lock"
	twinsList    = "nginx-build.list"
	twinsSources = "nginx-build.sources"
)

// aptStamp records the private lists' last update.
type aptStamp struct {
	// Sources is the digest of the configuration and sources the lists
	// were updated for: other sources need other lists.
	Sources string `json:"sources"`
	// Updated is when apt-get update last succeeded, Failed when it last
	// failed (zero: never).
	Updated time.Time `json:"updated"`
	Failed  time.Time `json:"failed,omitzero"`
}

// PrivateApt is nginx-build's own apt configuration under dir/apt (dir is
// the cache's debian directory), for when the system's apt knows no
// source packages (deb-src is not enabled): the deb-src twins of the
// system's deb entries, with their Signed-By, found where apt-config says
// the system's sources are (so APT_CONFIG counts), and lists, caches and
// a lock of its own, so that neither root nor a change to /etc/apt is
// needed. Its lists are updated with apt-get update when there are none,
// when the sources changed, when they are older than AptListsTTL, or with
// opt.Refresh; another run sharing the cache waits for that update.
func PrivateApt(ctx context.Context, dir string, opt AptOptions) (Apt, error) {
	dir, err := filepath.Abs(filepath.Join(dir, aptDirName))
	if err != nil {
		return Apt{}, err
	}
	if strings.ContainsAny(dir, "\"\n") {
		// apt's configuration syntax has no escapes for them.
		return Apt{}, fmt.Errorf("--source debian: the cache directory %s has a quote or newline in its path, which apt's configuration cannot hold; choose another with --cache-dir or NGINX_BUILD_CACHE", filepath.Dir(filepath.Dir(dir)))
	}
	cfg, err := readAptConfig(ctx)
	if err != nil {
		return Apt{}, err
	}
	list, parts := cfg.sourcePaths()
	oneLine, deb822 := systemDebSrcTwins(list, parts)
	if len(oneLine)+len(deb822) == 0 {
		return Apt{}, fmt.Errorf("%w, and the system's apt sources (%s, %s/) have no deb entries to take deb-src entries from; %s", ErrNoDebSrc, list, parts, DebSrcFix(ctx))
	}
	unlock, err := filelock.Lock(ctx, filepath.Join(dir, aptLockName), func() {
		note(opt.Infof, "waiting for another nginx-build to update the deb-src lists in %s", dir)
	})
	if err != nil {
		return Apt{}, err
	}
	defer unlock()
	digest, err := writePrivateApt(dir, oneLine, deb822)
	if err != nil {
		return Apt{}, err
	}
	a := Apt{Config: filepath.Join(dir, aptConfName)}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	stamp := readAptStamp(filepath.Join(dir, aptStampName))
	if needsUpdate(stamp, digest, now(), opt.Refresh) {
		if err := updatePrivateLists(ctx, a, dir, digest, stamp, now, opt); err != nil {
			return Apt{}, err
		}
	}
	return a, nil
}

// needsUpdate reports whether the private lists must be updated: none
// yet, other sources, older than AptListsTTL (unless an update failed a
// moment ago), or a refresh asked for.
func needsUpdate(s aptStamp, digest string, now time.Time, refresh bool) bool {
	switch {
	case refresh, s.Sources != digest, s.Updated.IsZero() && s.Failed.IsZero():
		return true
	case now.Sub(s.Failed) < aptRetryAfter:
		return false
	}
	return now.Sub(s.Updated) >= AptListsTTL
}

// updatePrivateLists runs apt-get update for the private configuration
// (its output goes to dir/update.log). When it fails, for all sources or
// some, the lists there are are used with a warning; without any, it is
// an error naming the log and the first failure in it.
func updatePrivateLists(ctx context.Context, a Apt, dir, digest string, stamp aptStamp, now func() time.Time, opt AptOptions) error {
	logPath := filepath.Join(dir, aptLogName)
	note(opt.Infof, "the system's apt sources have no deb-src: fetching Debian's source indexes for nginx-build's own deb-src twins of their deb entries (apt-get update, log: %s)", logPath)
	log, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("--source debian: %w", err)
	}
	cmd := a.Command(ctx, "apt-get", "-q", "update")
	cmd.Stdout, cmd.Stderr = log, log
	runErr := proc.Run(cmd)
	log.Close()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	failure := updateFailure(runErr, logPath)
	if failure == "" {
		stamp = aptStamp{Sources: digest, Updated: now().UTC()}
		return writeAptStamp(filepath.Join(dir, aptStampName), stamp)
	}
	if !hasSourcesLists(filepath.Join(dir, "lists")) {
		return fmt.Errorf("--source debian: apt-get update of nginx-build's deb-src lists failed: %s (log: %s); that needs network access to the archives of the system's apt sources. Or use the system's own deb-src: %s",
			failure, logPath, DebSrcFix(ctx))
	}
	last := "none"
	if !stamp.Updated.IsZero() {
		last = stamp.Updated.Local().Format("2006-01-02 15:04")
	}
	note(opt.Warnf, "apt-get update of nginx-build's deb-src lists failed: %s (log: %s); going on with the lists there are (last complete update: %s)", failure, logPath, last)
	stamp.Sources, stamp.Failed = digest, now().UTC()
	return writeAptStamp(filepath.Join(dir, aptStampName), stamp)
}

// updateFailure says why an apt-get update failed, from its exit status
// and log, or "" when it did not. apt-get update exits 0 when indexes
// could not be fetched ("W: Failed to fetch …", "old ones used
// instead"): those count as failures too.
func updateFailure(runErr error, logPath string) string {
	b, _ := os.ReadFile(logPath)
	var first string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "E: ") || strings.HasPrefix(line, "W: Failed to fetch") {
			first = strings.Join(strings.Fields(line), " ")
			break
		}
	}
	switch {
	case runErr != nil && first != "":
		return fmt.Sprintf("%s (%v)", first, runErr)
	case runErr != nil:
		return runErr.Error()
	}
	return first
}

// writePrivateApt writes the configuration and the twins' sources files
// under dir, leaving unchanged files untouched, and returns the digest of
// what apt-get update reads from them.
func writePrivateApt(dir string, oneLine, deb822 []string) (string, error) {
	for _, d := range []string{"sources.list.d", "lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			return "", fmt.Errorf("--source debian: %w", err)
		}
	}
	const header = "# Written by nginx-build: the deb-src twins of the system's deb entries.\n"
	files := []struct{ path, content string }{
		{filepath.Join(dir, aptConfName), privateAptConf(dir)},
		{filepath.Join(dir, "sources.list.d", twinsList), joinOrEmpty(header, oneLine, "\n")},
		{filepath.Join(dir, "sources.list.d", twinsSources), joinOrEmpty(header, deb822, "\n\n")},
	}
	h := sha256.New()
	for _, f := range files {
		if f.content == "" {
			if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("--source debian: %w", err)
			}
			continue
		}
		if _, err := atomicfile.WriteIfChanged(f.path, []byte(f.content), 0o644); err != nil {
			return "", fmt.Errorf("--source debian: write %s: %w", f.path, err)
		}
		fmt.Fprintf(h, "%s\x00%s\x00", filepath.Base(f.path), f.content)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// joinOrEmpty is header followed by entries joined by sep, or "" when
// there are no entries.
func joinOrEmpty(header string, entries []string, sep string) string {
	if len(entries) == 0 {
		return ""
	}
	return header + strings.Join(entries, sep) + "\n"
}

// partsName is what apt reads in a sources.list.d directory: other names
// (backups, *.disabled, editor files) it ignores, and so does this.
var partsName = regexp.MustCompile(`^[A-Za-z0-9_.-]+\.(list|sources)$`)

// systemDebSrcTwins reads the system's sources (the one-line list file,
// then the parts directory in apt's order) and returns the deb-src twins
// of their deb entries, one-line and deb822.
func systemDebSrcTwins(list, parts string) (oneLine, deb822 []string) {
	if b, err := os.ReadFile(list); err == nil {
		oneLine = append(oneLine, debSrcTwinsOneLine(string(b))...)
	}
	entries, _ := os.ReadDir(parts) // sorted by name, as apt reads them
	for _, e := range entries {
		if e.IsDir() || !partsName.MatchString(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(parts, e.Name()))
		if err != nil {
			continue
		}
		if strings.HasSuffix(e.Name(), ".sources") {
			deb822 = append(deb822, debSrcTwinsDeb822(string(b))...)
		} else {
			oneLine = append(oneLine, debSrcTwinsOneLine(string(b))...)
		}
	}
	return oneLine, deb822
}

// readAptConfig asks apt-config for apt's whole configuration, as apt's
// programs will see it (APT_CONFIG, apt.conf.d, apt.conf).
func readAptConfig(ctx context.Context) (aptConfig, error) {
	out, err := proc.Output(proc.Command(ctx, "apt-config", "dump"))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if _, lerr := exec.LookPath("apt-config"); lerr != nil {
			return nil, fmt.Errorf("--source debian needs apt (apt-config is not installed)")
		}
		return nil, fmt.Errorf("apt-config dump: %w", err)
	}
	return parseAptConfigDump(string(out)), nil
}

// hasSourcesLists reports whether apt has stored any Sources index in
// lists (as Sources, or compressed: Sources.lz4, Sources.gz, …).
func hasSourcesLists(lists string) bool {
	found, _ := filepath.Glob(filepath.Join(lists, "*_Sources*"))
	return len(found) > 0
}

func readAptStamp(path string) aptStamp {
	var s aptStamp
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &s) // unreadable: as if never updated
	}
	return s
}

func writeAptStamp(path string, s aptStamp) error {
	b, err := jsonfile.Marshal(s)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, b, 0o644); err != nil {
		return fmt.Errorf("--source debian: %w", err)
	}
	return nil
}

func note(f func(string, ...any), format string, args ...any) {
	if f != nil {
		f(format, args...)
	}
}

// aptSession is the private apt configuration of one run with Debian's
// archive, prepared by the first component that needs it: the others,
// and copies of the Mirror, share it, so a run updates the lists (and
// warns about them) at most once.
type aptSession struct {
	dir string
	opt AptOptions

	mu   sync.Mutex
	done bool
	apt  Apt
	err  error
}

// private is PrivateApt, once per session (a cancelled attempt is not
// remembered).
func (s *aptSession) private(ctx context.Context) (Apt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		a, err := PrivateApt(ctx, s.dir, s.opt)
		if ctx.Err() != nil {
			return Apt{}, ctx.Err()
		}
		s.apt, s.err, s.done = a, err, true
	}
	return s.apt, s.err
}
