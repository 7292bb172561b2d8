package command

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/libcache"
)

func newCacheCmd(io *iostreams.IO, g *globalFlags) *cobra.Command {
	cacheDir := func() (string, error) {
		return g.f.cacheDir(g.cacheDir)
	}
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Inspect, verify and clean the download cache",
		Long: `The cache ($NGINX_BUILD_CACHE, else $XDG_CACHE_HOME/nginx-build, else
~/.cache/nginx-build) holds verified tarballs, version indexes and git
module clones, and the static libraries nginx-build built (lib/, see
"Static libraries" in the README). Every tarball is stored once, by its
sha256, whichever URLs or mirrors name it; each URL keeps a record of the
sha256 it led to and how it was verified; runs sharing the cache take turns
per file.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List the cached tarballs and module clones",
		Long: `ls lists the cached tarballs, each once (component, size, sha256, how
each was verified, path, the URLs that led to it) and the git and hg
clones of modules (size, repository, path), then, on stderr, the total: what "cache clean" frees, version
indexes, checksums, signatures and keys included. On a terminal the
table fits its width (sha256s shortened to 12 characters, long paths and
texts cut with "…"); piped, every value is printed in full, and --json
prints every entry with its full sha256.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := cacheDir()
			if err != nil {
				return err
			}
			return listCache(io, dir, asJSON, g.f.OutWidth())
		},
	}
	ls.Flags().BoolVar(&asJSON, "json", false, "print every entry as JSON, with full sha256s")
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Re-hash every cached tarball; remove damaged and incomplete ones",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := cacheDir()
			if err != nil {
				return err
			}
			checked, problems, err := fetch.VerifyCache(cmd.Context(), dir, waitingFor(io))
			if err != nil {
				return err
			}
			libsChecked, libProblems, err := libcache.Verify(cmd.Context(), dir, waitingFor(io))
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintf(io.Out, "%s: %s\n", p.Path, p.Problem)
			}
			for _, p := range libProblems {
				fmt.Fprintln(io.Out, p)
			}
			switch {
			case len(problems) > 0 && len(libProblems) > 0:
				return fmt.Errorf("%d of %d cached tarball(s) and %d of %d built librar(ies) failed verification and were removed; the next build downloads or builds them again",
					len(problems), checked, len(libProblems), libsChecked)
			case len(libProblems) > 0:
				return fmt.Errorf("%d of %d built librar(ies) in the cache failed verification and were removed; the next build that needs one builds it again", len(libProblems), libsChecked)
			case len(problems) > 0:
				return fmt.Errorf("%d of %d cached tarball(s) failed verification and were removed; the next build downloads them again", len(problems), checked)
			}
			if libsChecked == 0 {
				io.Infof("all %d cached tarball(s) match their recorded sha256", checked)
			} else {
				io.Infof("all %d cached tarball(s) match their recorded sha256, and all %d built librar(ies) theirs", checked, libsChecked)
			}
			return nil
		},
	}
	var olderThan age
	clean := &cobra.Command{
		Use:   "clean [--older-than DURATION]",
		Short: "Remove cached downloads (all, or those unused for a while)",
		Example: `  nginx-build cache clean                   # everything: tarballs, clones, indexes, keys
  nginx-build cache clean --older-than 30d  # tarballs untouched for 30 days (also 2w, 36h, 90m)`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if olderThan < 0 {
				return usagef("--older-than must be positive")
			}
			dir, err := cacheDir()
			if err != nil {
				return err
			}
			freed, err := libcache.Clean(cmd.Context(), dir, time.Duration(olderThan), time.Now(), waitingFor(io))
			if err != nil {
				return err
			}
			n, err := fetch.CleanCache(cmd.Context(), dir, time.Duration(olderThan), time.Now(), waitingFor(io))
			freed += n
			if err != nil {
				return err
			}
			io.Infof("freed %s in %s", fetch.HumanBytes(freed), dir)
			return nil
		},
	}
	clean.Flags().Var(&olderThan, "older-than", "only remove tarballs not modified for this long: days (30d), weeks (2w), hours, minutes or seconds (36h, 90m), or a sum (1w2d)")
	for _, c := range []*cobra.Command{ls, verify, clean} {
		c.SetFlagErrorFunc(flagError)
	}
	cmd.AddCommand(ls, verify, clean)
	return cmd
}

// listCache prints the cache's tarballs and clones, fitted to width (0:
// not a terminal, everything in full), or as JSON, and the total on
// stderr: the same sum that "cache clean" frees.
func listCache(io *iostreams.IO, dir string, asJSON bool, width int) error {
	tarballs, err := fetch.ListCache(dir)
	if err != nil {
		return err
	}
	clones, err := fetch.ListClones(dir)
	if err != nil {
		return err
	}
	libs, err := libcache.List(dir)
	if err != nil {
		return err
	}
	total, err := fetch.CacheSize(dir)
	if err != nil {
		return err
	}
	total += libcache.Size(dir) // fetch leaves lib/ to libcache
	if asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		all := append(append([]fetch.CacheEntry{}, tarballs...), clones...)
		for _, e := range libs {
			all = append(all, libraryJSON(e))
		}
		return enc.Encode(all)
	}
	t := newTable(column{"COMPONENT", fitKeep}, column{"SIZE", fitKeep}, column{"SHA256", fitHash}, column{"VERIFIED", fitEnd}, column{"PATH", fitMiddle}, column{"URLS", fitMiddle})
	var tarballBytes, cloneBytes int64
	for _, e := range tarballs {
		sum, ver := e.SHA256, e.Verified
		if !e.Complete {
			sum, ver = "-", "incomplete (never used; `cache clean` removes it)"
		}
		if ver == "" {
			ver = "nothing to verify against"
		}
		tarballBytes += e.Size
		t.add(e.Component, fetch.HumanBytes(e.Size), sum, ver, e.Path, orDash(sourceURLs(e.Sources)))
	}
	if err := t.write(io.Out, width); err != nil {
		return err
	}
	if len(clones) > 0 {
		c := newTable(column{"CLONE", fitKeep}, column{"SIZE", fitKeep}, column{"REPOSITORY", fitMiddle}, column{"PATH", fitMiddle})
		for _, e := range clones {
			cloneBytes += e.Size
			c.add(e.Kind, fetch.HumanBytes(e.Size), orDash(e.URL), e.Path)
		}
		fmt.Fprintln(io.Out)
		if err := c.write(io.Out, width); err != nil {
			return err
		}
	}
	libBytes, err := listLibraries(io, libs, width)
	if err != nil {
		return err
	}
	other := max(total-tarballBytes-cloneBytes-libcache.Size(dir), 0)
	built := ""
	if len(libs) > 0 {
		built = fmt.Sprintf("%d built librar(ies) (%s), ", len(libs), fetch.HumanBytes(libBytes))
	}
	io.Infof("%d tarball(s) (%s), %d clone(s) (%s), %sindexes, checksums and keys (%s): %s in %s, all freed by `cache clean`",
		len(tarballs), fetch.HumanBytes(tarballBytes), len(clones), fetch.HumanBytes(cloneBytes), built, fetch.HumanBytes(other), fetch.HumanBytes(total), dir)
	return nil
}

// sourceURLs are the URLs that led to a stored tarball, space-separated.
func sourceURLs(sources []fetch.CacheSource) string {
	urls := make([]string, 0, len(sources))
	for _, s := range sources {
		urls = append(urls, s.URL)
	}
	return strings.Join(urls, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// age is a --older-than value: a Go duration (36h, 90m) that may also
// count days and weeks (30d, 2w, 1w2d12h), since a cache is cleaned by
// the day, not the hour.
type age time.Duration

func (a *age) String() string {
	if *a == 0 {
		return "0" // help shows no default for "everything"
	}
	return time.Duration(*a).String()
}

func (a *age) Type() string { return "duration" }

func (a *age) Set(s string) error {
	d, err := parseAge(s)
	if err != nil {
		return err
	}
	*a = age(d)
	return nil
}

// parseAge reads days (d) and weeks (w) at the start of s, and the rest
// as a Go duration: "2w", "7d", "1.5d", "1d12h", "36h".
func parseAge(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration: use e.g. 30d, 2w, 36h or 90m (units w, d, h, m, s)", s)
	units := map[byte]time.Duration{'w': 7 * 24 * time.Hour, 'd': 24 * time.Hour}
	rest, total := s, time.Duration(0)
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i <= 0 || units[rest[i]] == 0 {
			break
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, bad
		}
		total += time.Duration(n * float64(units[rest[i]]))
		rest = rest[i+1:]
	}
	if rest == "" && s != "" {
		return total, nil
	}
	d, err := time.ParseDuration(rest)
	if err != nil {
		return 0, bad
	}
	return total + d, nil
}

// waitingFor tells the user that a cache command waits for another
// nginx-build that holds a slot's lock.
func waitingFor(io *iostreams.IO) func(string) {
	return func(path string) {
		io.Infof("waiting for another nginx-build using %s", path)
	}
}
