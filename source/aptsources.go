package source

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoDebSrc means apt knows no source packages: deb-src is not enabled,
// and nginx-build could not make deb-src entries of its own (PrivateApt).
var ErrNoDebSrc = errors.New("apt knows no source packages: deb-src is not enabled")

// DebSrcFix says how to enable deb-src where apt keeps its sources, as
// apt-config reports them (/etc/apt/sources.list and
// /etc/apt/sources.list.d/ by default):
//
//   - Debian 12+ and Ubuntu 24.04+ (deb822 debian.sources / ubuntu.sources):
//     add deb-src to the Types line;
//   - the classic one-line format (sources.list, older Ubuntu and Debian):
//     add a deb-src line after each deb line;
//   - deb-src already configured: apt-get update was not run since.
func DebSrcFix(ctx context.Context) string {
	list, parts := aptSourcePaths(ctx)
	for _, name := range []string{"debian.sources", "ubuntu.sources"} {
		p := filepath.Join(parts, name)
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if deb822HasSrc(string(b)) {
			return updateOnly(p)
		}
		if len(debSrcTwinsDeb822(string(b))) > 0 {
			return fmt.Sprintf("enable it with: sed -i 's/^Types: deb$/Types: deb deb-src/' %s && apt-get update", p)
		}
	}
	if b, err := os.ReadFile(list); err == nil && hasLine(string(b), "deb ") {
		if hasLine(string(b), "deb-src ") {
			return updateOnly(list)
		}
		return fmt.Sprintf(`enable it with: sed -i 's/^deb \(.*\)$/&\ndeb-src \1/' %s && apt-get update`, list)
	}
	return fmt.Sprintf("enable it by adding deb-src entries for your archive under %s (or to %s), then run apt-get update", parts, list)
}

func updateOnly(file string) string {
	return fmt.Sprintf("%s has deb-src entries, but apt has not read them yet: run apt-get update", file)
}

// deb822HasSrc reports whether any stanza of a .sources file has deb-src
// among its Types.
func deb822HasSrc(content string) bool {
	sc := bufio.NewScanner(strings.NewReader(content))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Types:"); ok {
			for _, t := range strings.Fields(v) {
				if t == "deb-src" {
					return true
				}
			}
		}
	}
	return false
}

// hasLine reports whether a line of content starts with prefix (comments
// do not count).
func hasLine(content, prefix string) bool {
	for _, line := range strings.Split(content, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), prefix) {
			return true
		}
	}
	return false
}

// aptSourcePaths asks apt-config where the sources list and the
// sources.list.d directory are, falling back to Debian's defaults.
func aptSourcePaths(ctx context.Context) (list, parts string) {
	cfg, err := readAptConfig(ctx)
	if err != nil {
		cfg = aptConfig{}
	}
	return cfg.sourcePaths()
}
