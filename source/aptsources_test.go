package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/proctest"
)

// fakeTools puts shell scripts named like apt's tools first on PATH.
func fakeTools(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

// aptLayout makes an apt configuration directory and a fake apt-config
// that points there, like `apt-config shell` does.
func aptLayout(t *testing.T, files map[string]string) (list, parts string) {
	t.Helper()
	etc := t.TempDir()
	list, parts = filepath.Join(etc, "sources.list"), filepath.Join(etc, "sources.list.d")
	os.MkdirAll(parts, 0o755)
	for name, content := range files {
		os.WriteFile(filepath.Join(etc, name), []byte(content), 0o644)
	}
	fakeTools(t, map[string]string{
		"apt-config": aptConfigDump(list, parts),
	})
	return list, parts
}

// aptConfigDump is a fake apt-config whose dump puts the sources at list
// and parts, relative to their parents as apt's defaults are.
func aptConfigDump(list, parts string) string {
	return fmt.Sprintf(`[ "$1" = dump ] || exit 64
cat <<'EOF'
Dir "/";
Dir::Etc "%s";
Dir::Etc::sourcelist "%s";
Dir::Etc::sourceparts "%s";
Dir::Etc::parts "apt.conf.d";
EOF
`, filepath.Dir(list), filepath.Base(list), filepath.Base(parts))
}

func TestDebSrcFixPerLayout(t *testing.T) {
	const debian822 = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
	const ubuntu822 = "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates\nComponents: main universe\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  func(list, parts string) string
	}{
		{"debian deb822", map[string]string{"sources.list.d/debian.sources": debian822}, func(_, parts string) string {
			return "enable it with: sed -i 's/^Types: deb$/Types: deb deb-src/' " + parts + "/debian.sources && apt-get update"
		}},
		{"ubuntu deb822", map[string]string{"sources.list.d/ubuntu.sources": ubuntu822}, func(_, parts string) string {
			return "enable it with: sed -i 's/^Types: deb$/Types: deb deb-src/' " + parts + "/ubuntu.sources && apt-get update"
		}},
		{"classic sources.list", map[string]string{"sources.list": "# comment\ndeb http://archive.ubuntu.com/ubuntu jammy main\n# deb-src http://archive.ubuntu.com/ubuntu jammy main\n"}, func(list, _ string) string {
			return `enable it with: sed -i 's/^deb \(.*\)$/&\ndeb-src \1/' ` + list + " && apt-get update"
		}},
		{"deb-src there, no update", map[string]string{"sources.list.d/debian.sources": strings.Replace(debian822, "Types: deb", "Types: deb deb-src", 1)}, func(_, parts string) string {
			return parts + "/debian.sources has deb-src entries, but apt has not read them yet: run apt-get update"
		}},
		{"nothing known", nil, func(list, parts string) string {
			return "enable it by adding deb-src entries for your archive under " + parts + " (or to " + list + "), then run apt-get update"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, parts := aptLayout(t, tc.files)
			want := tc.want(list, parts)
			if got := DebSrcFix(context.Background()); got != want {
				t.Errorf("DebSrcFix =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestAptCacheCancelled: apt-cache runs in its own process group, so a
// cancelled run leaves nothing of it behind.
func TestAptCacheCancelled(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	fakeTools(t, map[string]string{"apt-cache": "sleep 60 & echo $! > " + pidFile + "\nwait\n"})
	ctx, cancel := context.WithCancel(context.Background())
	go proctest.CancelWhenWritten(pidFile, cancel)
	start := time.Now()
	if _, err := DebianVersions(ctx, DebianArchive(t.TempDir(), AptOptions{}), "nginx"); err == nil {
		t.Error("a cancelled apt-cache gave versions")
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("took %s to stop", took)
	}
	proctest.WaitGoneFromFile(t, pidFile, "apt-cache's child")
}
