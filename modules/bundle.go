package modules

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nginx-build/nginx-build/internal/proc"
	"github.com/nginx-build/nginx-build/module3rd"
)

// WriteBundle writes a git bundle of every branch and tag of the module's
// repository (from the cache's clone, which must be up to date) to dst,
// for a mirror. commit, when set, must be on one of them. A bundle
// already holding exactly the refs the clone has is left alone (bundles
// are not byte-reproducible); written says whether dst was (re)written.
func (c Cache) WriteBundle(ctx context.Context, m module3rd.Module, commit, dst string) (written bool, err error) {
	repo := c.Repo(m)
	if commit != "" {
		// --all bundles branches and tags: the pinned commit must be on one.
		out, err := proc.Output(proc.Command(ctx, "git", "-C", repo, "for-each-ref", "--contains", commit, "--count=1"))
		if err != nil || len(bytes.TrimSpace(out)) == 0 {
			return false, fmt.Errorf("commit %s is on no branch or tag of the repository", commit)
		}
	}
	refs, err := proc.Output(proc.Command(ctx, "git", "-C", repo, "show-ref", "--heads", "--tags"))
	if err != nil {
		return false, fmt.Errorf("git show-ref: %w", err)
	}
	if heads, err := proc.Output(proc.Command(ctx, "git", "bundle", "list-heads", dst)); err == nil && sameRefs(heads, refs) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, err
	}
	// A temporary name of its own: two runs filling one mirror must not
	// write into the same file.
	tmpf, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return false, err
	}
	tmpf.Close()
	tmp := tmpf.Name()
	os.Remove(tmp) // git bundle create refuses to overwrite
	if out, err := proc.CombinedOutput(proc.Command(ctx, "git", "-C", repo, "bundle", "create", "--quiet", tmp, "--all")); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("git bundle create: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return false, err
	}
	return true, nil
}

// sameRefs compares `git bundle list-heads` with `git show-ref` output:
// the same branches and tags at the same objects (HEAD aside).
func sameRefs(heads, refs []byte) bool {
	set := func(b []byte) string {
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f := strings.Fields(l); len(f) == 2 && f[1] != "HEAD" {
				lines = append(lines, f[0]+" "+f[1])
			}
		}
		sort.Strings(lines)
		return strings.Join(lines, "\n")
	}
	return set(heads) != "" && set(heads) == set(refs)
}
