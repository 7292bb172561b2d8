package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/proctest"
)

// debianSources is a system's deb822 sources file without deb-src.
const debianSources = `Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`

// fakeAptSystem is a system whose apt knows no source package: its
// sources (files, as in aptLayout) have no deb-src. The fake apt-get
// records each call with nginx-build's private configuration (-c) in the
// returned file and, for update, leaves a Sources list in the lists
// directory that configuration names, or fails like an unreachable
// archive while the file named fail exists (warnings, exit status 0,
// as apt-get update does). The fake apt-cache answers
// showsrc from testdata/apt-showsrc-zlib.txt with the private
// configuration only.
func fakeAptSystem(t *testing.T, files map[string]string) (calls, fail string) {
	t.Helper()
	list, parts := aptLayout(t, files)
	state := t.TempDir()
	calls, fail = filepath.Join(state, "calls"), filepath.Join(state, "fail")
	showsrc, err := filepath.Abs("testdata/apt-showsrc-zlib.txt")
	if err != nil {
		t.Fatal(err)
	}
	noDebSrc := `[ "$1" = -c ] || { echo "E: You must put some 'deb-src' URIs in your sources.list" >&2; exit 100; }
conf=$2; shift 2
`
	fakeTools(t, map[string]string{
		"apt-config": aptConfigDump(list, parts),
		"apt-get": noDebSrc + fmt.Sprintf(`echo "-c $conf $*" >> %[1]s
lists=$(sed -n 's/^Dir::State::lists "\(.*\)";$/\1/p' "$conf")
if [ -e %[2]s ]; then # as apt 2.6 does: warnings, and exit status 0
	echo "Err:1 http://deb.debian.org/debian bookworm InRelease"
	echo "  Temporary failure resolving 'deb.debian.org'"
	echo "W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'"
	echo "W: Some index files failed to download. They have been ignored, or old ones used instead."
	exit 0
fi
touch "$lists/deb.debian.org_debian_dists_bookworm_main_source_Sources.lz4"
`, calls, fail),
		"apt-cache": noDebSrc + fmt.Sprintf(`[ "$1 $2" = "showsrc zlib" ] && cat %s
exit 0
`, showsrc),
	})
	return calls, fail
}

// updates counts the apt-get updates recorded in calls.
func updates(t *testing.T, calls string) int {
	t.Helper()
	b, _ := os.ReadFile(calls)
	return strings.Count(string(b), " update")
}

// TestPrivateApt: the deb-src twins of the system's deb entries, updated
// once, again when a day old, when the sources change or on --refresh;
// a failed update falls back to the lists there are, with a warning, and
// is not retried at once; without lists it is an error that says why.
func TestPrivateApt(t *testing.T) {
	calls, fail := fakeAptSystem(t, map[string]string{"sources.list.d/debian.sources": debianSources})
	cache := t.TempDir()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var warnings []string
	opt := func(refresh bool) AptOptions {
		return AptOptions{Refresh: refresh, Now: func() time.Time { return now },
			Warnf: func(f string, a ...any) { warnings = append(warnings, fmt.Sprintf(f, a...)) }}
	}
	step := func(what string, refresh bool, wantUpdates int) Apt {
		t.Helper()
		a, err := PrivateApt(context.Background(), cache, opt(refresh))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := updates(t, calls); got != wantUpdates {
			t.Errorf("%s: %d apt-get updates in all, want %d", what, got, wantUpdates)
		}
		return a
	}

	a := step("first use", false, 1)
	dir := filepath.Join(cache, "apt")
	if a.Config != filepath.Join(dir, "apt.conf") {
		t.Errorf("Config = %q", a.Config)
	}
	if b, _ := os.ReadFile(calls); !strings.Contains(string(b), "-c "+a.Config+" -q update") {
		t.Errorf("apt-get calls %q, want an update with -c %s", b, a.Config)
	}
	twins, _ := os.ReadFile(filepath.Join(dir, "sources.list.d", "nginx-build.sources"))
	if want := strings.Replace(debianSources, "Types: deb\n", "Types: deb-src\n", 1); !strings.HasSuffix(string(twins), want) {
		t.Errorf("twins:\n%s\nwant to end with\n%s", twins, want)
	}
	now = now.Add(time.Hour)
	step("an hour later", false, 1)
	now = now.Add(AptListsTTL)
	step("a day later", false, 2)
	step("--refresh", true, 3)

	// A new deb entry in the system's sources: new lists.
	_, parts := aptSourcePaths(context.Background())
	os.WriteFile(filepath.Join(parts, "extra.list"), []byte("deb http://extra.example/debian bookworm main\n"), 0o644)
	step("sources changed", false, 4)
	if b, _ := os.ReadFile(filepath.Join(dir, "sources.list.d", "nginx-build.list")); !strings.Contains(string(b), "deb-src http://extra.example/debian bookworm main\n") {
		t.Errorf("one-line twins:\n%s", b)
	}

	os.WriteFile(fail, nil, 0o644)
	now = now.Add(2 * AptListsTTL)
	step("offline, lists there", false, 5)
	if len(warnings) != 1 || !strings.Contains(warnings[0], "Temporary failure resolving 'deb.debian.org'") || !strings.Contains(warnings[0], "going on with the lists there are") {
		t.Errorf("warnings %q, want one saying the update failed and why, and that older lists are used", warnings)
	}
	now = now.Add(time.Minute)
	step("offline, a minute later", false, 5)

	os.RemoveAll(filepath.Join(dir, "lists"))
	_, err := PrivateApt(context.Background(), cache, opt(true))
	if err == nil || !strings.Contains(err.Error(), "Temporary failure resolving") || !strings.Contains(err.Error(), filepath.Join(dir, "update.log")) {
		t.Errorf("offline without lists = %v, want the reason and the log", err)
	}
}

// TestPrivateAptNoDebEntries: with nothing to take deb-src twins of, the
// error says where apt's sources are and how to add some.
func TestPrivateAptNoDebEntries(t *testing.T) {
	calls, _ := fakeAptSystem(t, map[string]string{"sources.list": "# deb http://deb.debian.org/debian bookworm main\n"})
	_, parts := aptSourcePaths(context.Background())
	_, err := PrivateApt(context.Background(), t.TempDir(), AptOptions{})
	if !errors.Is(err, ErrNoDebSrc) || !strings.Contains(err.Error(), "have no deb entries") || !strings.Contains(err.Error(), "adding deb-src entries for your archive under "+parts) {
		t.Errorf("PrivateApt = %v, want ErrNoDebSrc naming %s", err, parts)
	}
	if n := updates(t, calls); n != 0 {
		t.Errorf("%d apt-get updates with nothing to update", n)
	}
}

// TestDebianArchiveWithoutDebSrc: --source debian on a system without
// deb-src lists and locates versions through the private configuration,
// updating its lists once per run.
func TestDebianArchiveWithoutDebSrc(t *testing.T) {
	calls, _ := fakeAptSystem(t, map[string]string{"sources.list.d/debian.sources": debianSources})
	var infos []string
	m := DebianArchive(t.TempDir(), AptOptions{Infof: func(f string, a ...any) { infos = append(infos, fmt.Sprintf(f, a...)) }})
	c, err := Lookup("zlib")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ListVersions(context.Background(), nil, m, c)
	if err != nil || strings.Join(vs, " ") != "1.2.13" {
		t.Fatalf("ListVersions = %v, %v", vs, err)
	}
	a, err := Locate(context.Background(), nil, m, c, "1.2.13")
	if err != nil {
		t.Fatal(err)
	}
	if want := DebianURL("zlib", "1:1.2.13.dfsg-1", "zlib_1.2.13.dfsg.orig.tar.bz2"); len(a.URLs) != 1 || a.URLs[0] != want {
		t.Errorf("URLs %v, want %s", a.URLs, want)
	}
	if n := updates(t, calls); n != 1 {
		t.Errorf("%d apt-get updates in one run, want 1", n)
	}
	if len(infos) != 1 || !strings.Contains(infos[0], "no deb-src") {
		t.Errorf("infos %q, want one line saying the private lists are updated", infos)
	}
	_, err = Locate(context.Background(), nil, m, c, "1.3")
	if err == nil || !strings.Contains(err.Error(), "only at 1.2.13 (1:1.2.13.dfsg-1)") {
		t.Errorf("Locate of a version Debian lacks = %v", err)
	}
}

// TestPrivateAptUpdateCancelled: apt-get update runs in its own process
// group, so a cancelled run leaves none of its download methods behind.
func TestPrivateAptUpdateCancelled(t *testing.T) {
	list, parts := aptLayout(t, map[string]string{"sources.list.d/debian.sources": debianSources})
	pidFile := filepath.Join(t.TempDir(), "pid")
	fakeTools(t, map[string]string{
		"apt-config": aptConfigDump(list, parts),
		"apt-get":    "sleep 60 & echo $! > " + pidFile + "\nwait\n",
	})
	ctx, cancel := context.WithCancel(context.Background())
	go proctest.CancelWhenWritten(pidFile, cancel)
	start := time.Now()
	if _, err := PrivateApt(ctx, t.TempDir(), AptOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("PrivateApt = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("took %s to stop", took)
	}
	proctest.WaitGoneFromFile(t, pidFile, "apt-get's child")
}
