// Package modules fetches, pins and provisions third-party modules (and
// component trees taken from git) by their form: git and hg repositories
// kept as clones in the cache, local directories used in place, and
// tarball and Debian modules downloaded with the component tarballs. Each
// form is one implementation of Form.
package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/internal/proc"
	"github.com/nginx-build/nginx-build/module3rd"
)

// How long git and hg may take: a query (ls-remote, identify) only
// exchanges names, a clone or pull transfers a repository's history.
const (
	vcsQueryTimeout = 2 * time.Minute
	vcsFetchTimeout = 30 * time.Minute
)

// vcsEnv keeps git and hg from asking anything: a repository that wants
// credentials is an error, never a prompt (nor a hang in CI).
func vcsEnv() []string {
	return []string{"GIT_TERMINAL_PROMPT=0", "GCM_INTERACTIVE=never", "HGPLAIN=1"}
}

// runVCS runs git or hg in dir and returns its standard output. The child
// runs in a session of its own, without a controlling terminal, so neither
// it nor ssh can prompt; it is killed with its whole process group on
// cancellation or after timeout. Its output is appended to logPath when
// set, and the error carries what it said on standard error.
func runVCS(ctx context.Context, timeout time.Duration, dir, logPath, name string, args ...string) (string, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	var outW, errW io.Writer = &stdout, &stderr
	if logPath != "" {
		logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return "", fmt.Errorf("open log: %w", err)
		}
		defer logf.Close()
		fmt.Fprintf(logf, "$ %s %s\n", name, strings.Join(args, " "))
		outW, errW = io.MultiWriter(&stdout, logf), io.MultiWriter(&stderr, logf)
	}
	cmd := proc.WithoutTerminal(proc.Command(tctx, name, args...))
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.Env = append(os.Environ(), vcsEnv()...)
	err := proc.Run(cmd)
	if err == nil {
		return stdout.String(), nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("%s is not installed: install it (apt-get install %s) and run again", name, vcsPackage(name))
	}
	if errors.Is(tctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no result within %s", timeout)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	if msg := strings.TrimSpace(strings.Join(lines, "\n  ")); msg != "" {
		return "", fmt.Errorf("%v:\n  %s", err, msg)
	}
	return "", err
}

// Cache is where git and hg modules are kept between runs, and what
// working with them needs from the run.
type Cache struct {
	// Dir is nginx-build's cache directory.
	Dir string
	IO  *iostreams.IO
	// Bundles are a mirror's verified git bundles in the cache, by
	// repository URL: a repository with a bundle is cloned and fetched
	// from it instead of its URL.
	Bundles map[string]string
}

// Repo is the clone of a git or hg module kept in the cache,
// <cache>/git/<key>.git or <cache>/hg/<key>.hg, so that a rebuild, a new
// work dir or a new rev of the same repository fetches only what is
// missing. Its lock is beside it (<repo>.lock).
func (c Cache) Repo(m module3rd.Module) string {
	kind := "git"
	if m.Form == module3rd.FormHg {
		kind = "hg"
	}
	return filepath.Join(c.Dir, kind, fetch.URLKey(m.URL)+"."+kind)
}

// Remote is where a git tree is cloned and fetched from: the mirror's
// bundle of its repository when there is one, else its URL.
func (c Cache) Remote(m module3rd.Module) string {
	if b, ok := c.Bundles[m.URL]; ok {
		return b
	}
	return m.URL
}

// lockModuleCache takes the cache clone's lock: runs sharing a cache
// take turns cloning and fetching one repository, as they do for tarballs.
// It also removes what interrupted runs left of their clones.
func (c Cache) lock(ctx context.Context, m module3rd.Module) (func(), error) {
	repo := c.Repo(m)
	if err := os.MkdirAll(filepath.Dir(repo), 0o755); err != nil {
		return nil, fmt.Errorf("module %s: %w", m.Name, err)
	}
	unlock, err := fetch.LockFile(ctx, repo+".lock", func() {
		c.IO.Infof("waiting for another nginx-build to finish with its clone of %s", m.URL)
	})
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", m.Name, err)
	}
	stale, _ := filepath.Glob(repo + ".part-*")
	for _, p := range stale {
		os.RemoveAll(p)
	}
	return unlock, nil
}

// cloneIntoCache clones url into the cache at repo: into a temporary
// directory of its own first, renamed into place once complete.
func cloneIntoCache(ctx context.Context, m module3rd.Module, repo, log string, clone func(tmp string) []string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(repo), filepath.Base(repo)+".part-")
	if err != nil {
		return fmt.Errorf("module %s: %w", m.Name, err)
	}
	args := clone(tmp)
	if _, err := runVCS(ctx, vcsFetchTimeout, filepath.Dir(repo), log, args[0], args[1:]...); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("%smodule %s: %s clone %s: %w", Pos(m), m.Name, args[0], m.URL, err)
	}
	if err := os.Rename(tmp, repo); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("module %s: %w", m.Name, err)
	}
	return nil
}

// gitHTTP makes git give up on a transfer that stalls for a minute.
func gitHTTP() []string {
	return []string{"-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=60"}
}

// CommitLike is a rev that may be an abbreviated (or full) commit id.
var CommitLike = regexp.MustCompile(`^[0-9a-fA-F]{7,40}$`)

// LsRemote asks the repository which commit rev names ("" when no branch
// or tag is called rev), without cloning it.
func LsRemote(ctx context.Context, m module3rd.Module, rev string) (string, error) {
	out, err := runVCS(ctx, vcsQueryTimeout, "", "", "git", append(gitHTTP(), "ls-remote", "--", m.URL, rev, rev+"^{}")...)
	if err != nil {
		return "", fmt.Errorf("%smodule %s: git ls-remote %s: %w", Pos(m), m.Name, m.URL, err)
	}
	commit := ""
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		// An annotated tag's peeled line (^{}) names the commit itself.
		if commit == "" || strings.HasSuffix(f[1], "^{}") {
			commit = f[0]
		}
	}
	return commit, nil
}

// GitCommitInCache resolves a rev that no branch or tag is called (an
// abbreviated commit) in the cache's clone, fetching it first when the
// clone does not have it yet. "" means the repository has no such commit.
func (c Cache) GitCommitInCache(ctx context.Context, m module3rd.Module) (string, error) {
	unlock, err := c.lock(ctx, m)
	if err != nil {
		return "", err
	}
	defer unlock()
	repo := c.Repo(m)
	if commit := gitRevParse(ctx, repo, m.Rev); commit != "" {
		return commit, nil
	}
	if err := c.fetchGitLocked(ctx, m, ""); err != nil {
		return "", err
	}
	return gitRevParse(ctx, repo, m.Rev), nil
}

func gitRevParse(ctx context.Context, repo, rev string) string {
	if _, err := os.Stat(repo); err != nil {
		return ""
	}
	out, err := runVCS(ctx, vcsQueryTimeout, repo, "", "git", "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// FetchGit makes sure the cache's bare clone has the module's commit,
// cloning or fetching only when it does not. It runs concurrently with the
// tarball downloads.
func (c Cache) FetchGit(ctx context.Context, m module3rd.Module, commit string) error {
	unlock, err := c.lock(ctx, m)
	if err != nil {
		return err
	}
	defer unlock()
	return c.fetchGitLocked(ctx, m, commit)
}

func (c Cache) fetchGitLocked(ctx context.Context, m module3rd.Module, commit string) error {
	repo := c.Repo(m)
	log := strings.TrimSuffix(repo, ".git") + ".log"
	_ = os.WriteFile(log, nil, 0o644)
	if _, err := os.Stat(repo); err != nil {
		c.IO.Infof("cloning %s from %s", m.Name, c.Remote(m))
		err := cloneIntoCache(ctx, m, repo, log, func(tmp string) []string {
			return append(append([]string{"git"}, gitHTTP()...), "clone", "--quiet", "--bare", "--", c.Remote(m), tmp)
		})
		if err != nil {
			return err
		}
	}
	has := func() bool {
		_, err := runVCS(ctx, vcsQueryTimeout, repo, "", "git", "cat-file", "-e", commit+"^{commit}")
		return err == nil
	}
	if commit != "" && has() {
		c.IO.Debugf("module %s: commit %s already cached", m.Name, commit)
		return nil
	}
	c.IO.Infof("fetching module %s from %s", m.Name, c.Remote(m))
	if _, err := runVCS(ctx, vcsFetchTimeout, repo, log, "git", append(gitHTTP(), "fetch", "--quiet", "--force", "--", c.Remote(m),
		"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")...); err != nil {
		return fmt.Errorf("%smodule %s: git fetch %s: %w", Pos(m), m.Name, m.URL, err)
	}
	if commit != "" && !has() {
		return fmt.Errorf("%smodule %s: commit %s (rev %q) is not in %s", Pos(m), m.Name, commit, m.Rev, m.URL)
	}
	return nil
}

// CheckoutGit clones the module from the cache into dir, or updates
// an existing clone, and checks out the resolved commit: an existing clone
// at another commit is moved, never silently reused. The tree is then
// reset and cleaned: it gets patched, provisioned and built in, so each
// run starts from the pristine commit, or a patch would meet its own
// earlier result.
// It returns the commit checked out.
func (c Cache) CheckoutGit(ctx context.Context, m module3rd.Module, commit, dir, log string) (string, error) {
	repo := c.Repo(m)
	if commit == "" {
		commit = m.Rev
	}
	if commit == "" {
		commit = "HEAD"
	}
	_ = os.WriteFile(log, nil, 0o644)
	git := func(args ...string) error {
		if _, err := runVCS(ctx, vcsFetchTimeout, dir, log, "git", args...); err != nil {
			return fmt.Errorf("module %s: git %s: %w", m.Name, args[0], err)
		}
		return nil
	}
	unlock, err := c.lock(ctx, m)
	if err != nil {
		return "", err
	}
	// One error for both branches: a failed clone or fetch must stop here,
	// not surface later as a confusing checkout error.
	var syncErr error
	if _, statErr := os.Stat(filepath.Join(dir, ".git")); statErr != nil {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			unlock()
			return "", fmt.Errorf("module %s: %w", m.Name, err)
		}
		syncErr = git("clone", "--quiet", "--no-checkout", "--", repo, dir)
	} else {
		syncErr = git("fetch", "--quiet", "--force", "--tags", "--", repo, "+refs/heads/*:refs/remotes/origin/*")
	}
	unlock()
	if syncErr != nil {
		return "", syncErr
	}
	for _, args := range [][]string{
		{"-c", "advice.detachedHead=false", "checkout", "--quiet", "--force", commit, "--"},
		{"reset", "--quiet", "--hard", "HEAD"},
		{"clean", "-ffdxq"},
	} {
		if err := git(args...); err != nil {
			return "", err
		}
	}
	out, err := runVCS(ctx, vcsQueryTimeout, dir, "", "git", "rev-parse", "HEAD")
	if err != nil {
		return "", fmt.Errorf("module %s: %w", m.Name, err)
	}
	return strings.TrimSpace(out), nil
}

// needHg is the error for an hg module when Mercurial is not installed.
func needHg(m module3rd.Module) error {
	if _, err := exec.LookPath("hg"); err != nil {
		return fmt.Errorf("%smodule %s: hg (Mercurial) is needed for form \"hg\" but is not installed (apt-get install %s)", Pos(m), m.Name, vcsPackage("hg"))
	}
	return nil
}

// vcsPackage is the Debian/Ubuntu package of a version control program.
func vcsPackage(name string) string {
	if name == "hg" {
		return "mercurial"
	}
	return name
}

// HgIdentify asks the repository which changeset rev names (the tip of
// the default branch when rev is empty), without cloning it.
func HgIdentify(ctx context.Context, m module3rd.Module) (string, error) {
	if err := needHg(m); err != nil {
		return "", err
	}
	rev := m.Rev
	if rev == "" {
		rev = "default"
	}
	out, err := runVCS(ctx, vcsQueryTimeout, "", "", "hg", "identify", "--noninteractive", "-r", rev, "-T", "{node}", "--", m.URL)
	if err != nil {
		if strings.Contains(err.Error(), "unknown revision") {
			return "", fmt.Errorf("%smodule %s: rev %q does not exist in %s", Pos(m), m.Name, m.Rev, m.URL)
		}
		return "", fmt.Errorf("%smodule %s: hg identify %s: %w", Pos(m), m.Name, m.URL, err)
	}
	node := strings.TrimSpace(out)
	if !FullCommit.MatchString(node) {
		return "", fmt.Errorf("%smodule %s: hg identify -r %s %s printed %q, not a changeset id", Pos(m), m.Name, rev, m.URL, node)
	}
	return node, nil
}

// hgHas reports whether the hg repository at repo has changeset node.
func hgHas(ctx context.Context, repo, node string) bool {
	out, err := runVCS(ctx, vcsQueryTimeout, "", "", "hg", "log", "--noninteractive", "-R", repo, "-r", node, "-T", "{node}")
	return err == nil && strings.TrimSpace(out) == node
}

// FetchHg makes sure the cache's clone of an hg module has its
// changeset, cloning or pulling only when it does not. It runs
// concurrently with the tarball downloads, as git modules do.
func (c Cache) FetchHg(ctx context.Context, m module3rd.Module, node string) error {
	if err := needHg(m); err != nil {
		return err
	}
	unlock, err := c.lock(ctx, m)
	if err != nil {
		return err
	}
	defer unlock()
	repo := c.Repo(m)
	log := strings.TrimSuffix(repo, ".hg") + ".log"
	_ = os.WriteFile(log, nil, 0o644)
	if _, err := os.Stat(repo); err != nil {
		c.IO.Infof("cloning %s from %s", m.Name, m.URL)
		err := cloneIntoCache(ctx, m, repo, log, func(tmp string) []string {
			return []string{"hg", "clone", "--noninteractive", "--quiet", "--noupdate", "--", m.URL, tmp}
		})
		if err != nil {
			return err
		}
	}
	if node != "" && hgHas(ctx, repo, node) {
		c.IO.Debugf("module %s: changeset %s already cached", m.Name, node)
		return nil
	}
	c.IO.Infof("pulling module %s from %s", m.Name, m.URL)
	if _, err := runVCS(ctx, vcsFetchTimeout, "", log, "hg", "pull", "--noninteractive", "--quiet", "-R", repo, "--", m.URL); err != nil {
		return fmt.Errorf("%smodule %s: hg pull %s: %w", Pos(m), m.Name, m.URL, err)
	}
	if node != "" && !hgHas(ctx, repo, node) {
		return fmt.Errorf("%smodule %s: changeset %s (rev %q) is not in %s", Pos(m), m.Name, node, m.Rev, m.URL)
	}
	return nil
}

// CheckoutHg makes dir a fresh clone of the cache's copy at the resolved
// changeset node, and returns the changeset checked out.
func (c Cache) CheckoutHg(ctx context.Context, m module3rd.Module, node, dir, log string) (string, error) {
	if err := needHg(m); err != nil {
		return "", err
	}
	if node == "" {
		// Not resolved up front: take what rev names in the cache.
		if err := c.FetchHg(ctx, m, ""); err != nil {
			return "", err
		}
		node = m.Rev
		if node == "" {
			node = "default"
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("module %s: %w", m.Name, err)
	}
	_ = os.WriteFile(log, nil, 0o644)
	unlock, err := c.lock(ctx, m)
	if err != nil {
		return "", err
	}
	_, err = runVCS(ctx, vcsFetchTimeout, "", log, "hg", "clone", "--noninteractive", "--quiet", "-u", node, "--", c.Repo(m), dir)
	unlock()
	if err != nil {
		return "", fmt.Errorf("module %s: hg clone: %w", m.Name, err)
	}
	out, err := runVCS(ctx, vcsQueryTimeout, "", "", "hg", "log", "--noninteractive", "-R", dir, "-r", ".", "-T", "{node}")
	if err != nil {
		return "", fmt.Errorf("module %s: %w", m.Name, err)
	}
	return strings.TrimSpace(out), nil
}

// FullCommit is a full git commit id or hg changeset id.
var FullCommit = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Pos prefixes an error about module m with its place in modules.json.
func Pos(m module3rd.Module) string {
	if m.Pos == "" {
		return ""
	}
	return m.Pos + ": "
}

// Short abbreviates a commit id for messages.
func Short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
