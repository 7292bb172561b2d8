package source

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseAptConfigDump reads real `apt-config dump` output (bookworm in
// a container: hooks, list items, relative Dir:: paths, emptied caches).
func TestParseAptConfigDump(t *testing.T) {
	t.Parallel()
	out, err := os.ReadFile("testdata/apt-config-dump.txt")
	if err != nil {
		t.Fatal(err)
	}
	c := parseAptConfigDump(string(out))
	list, parts := c.sourcePaths()
	if list != "/etc/apt/sources.list" || parts != "/etc/apt/sources.list.d" {
		t.Errorf("sourcePaths = %q, %q", list, parts)
	}
	for name, want := range map[string]string{
		"Dir::State::Lists":     "/var/lib/apt/lists", // dumped as Dir::State::lists: names ignore case
		"Dir::State::status":    "/var/lib/dpkg/status",
		"Dir::Cache::archives":  "/var/cache/apt/archives",
		"Dir::Bin::methods":     "/usr/lib/apt/methods",
		"Dir::Cache::pkgcache":  "/default", // emptied by docker-clean: the default
		"Dir::Etc::nonexistent": "/default",
	} {
		if got := c.file(name, "/default"); got != want {
			t.Errorf("file(%s) = %q, want %q", name, got, want)
		}
	}
	if got := c["apt::update::post-invoke-success"]; got != "" {
		t.Errorf("a list's head has value %q; its items must not overwrite it", got)
	}
	if got := c["acquire::indextargets::deb::packages::metakey"]; got != "$(COMPONENT)/binary-$(ARCHITECTURE)/Packages" {
		t.Errorf("a value with parentheses and slashes = %q", got)
	}
}

// TestAptConfigFile: apt's FindFile rules, by example.
func TestAptConfigFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, dump, key, want string
	}{
		{"relative chain", "Dir \"/\";\nDir::Etc \"etc/apt\";\nDir::Etc::sourcelist \"sources.list\";\n", "Dir::Etc::sourcelist", "/etc/apt/sources.list"},
		{"absolute parent ends the chain", "Dir \"/ignored/\";\nDir::Etc \"/srv/etc/\";\nDir::Etc::sourceparts \"parts\";\n", "Dir::Etc::sourceparts", "/srv/etc/parts"},
		{"absolute value", "Dir \"/\";\nDir::Etc \"etc/apt\";\nDir::Etc::sourcelist \"/tmp/x/sources.list\";\n", "Dir::Etc::sourcelist", "/tmp/x/sources.list"},
		{"/dev/null", "Dir \"/\";\nDir::Etc \"etc/apt\";\nDir::Etc::sourcelist \"/dev/null\";\n", "Dir::Etc::sourcelist", "/dev/null"},
		{"empty parent skipped", "Dir \"/opt/\";\nDir::Etc \"\";\nDir::Etc::sourcelist \"sl\";\n", "Dir::Etc::sourcelist", "/opt/sl"},
		{"RootDir prefix", "RootDir \"/chroot\";\nDir \"/\";\nDir::Etc \"etc/apt\";\nDir::Etc::sourcelist \"sources.list\";\n", "Dir::Etc::sourcelist", "/chroot/etc/apt/sources.list"},
		{"unset: default", "Dir \"/\";\n", "Dir::Etc::sourcelist", "/etc/apt/sources.list"},
		{"case-insensitive", "DIR \"/\";\ndir::etc \"etc/apt\";\nDir::Etc::SourceList \"sources.list\";\n", "Dir::Etc::sourcelist", "/etc/apt/sources.list"},
		{"later value wins", "Dir \"/\";\nDir::Etc \"etc/apt\";\nDir::Etc::sourcelist \"a\";\nDir::Etc::sourcelist \"b\";\n", "Dir::Etc::sourcelist", "/etc/apt/b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseAptConfigDump(tc.dump).file(tc.key, "/etc/apt/sources.list"); got != tc.want {
				t.Errorf("file(%s) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

func TestDebSrcTwinsOneLine(t *testing.T) {
	t.Parallel()
	in := `# deb http://commented.example/debian bookworm main
deb http://deb.debian.org/debian bookworm main contrib
deb-src http://deb.debian.org/debian bookworm main
  deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
debian-is-not-a-type http://x bookworm main
deb http://deb.debian.org/debian bookworm main contrib
deb	http://tab.example/debian bookworm main
`
	want := []string{
		"deb-src http://deb.debian.org/debian bookworm main contrib",
		"deb-src [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main",
		"deb-src\thttp://tab.example/debian bookworm main",
	}
	if got := debSrcTwinsOneLine(in); !reflect.DeepEqual(got, want) {
		t.Errorf("twins =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDebSrcTwinsDeb822(t *testing.T) {
	t.Parallel()
	in := `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mDMEZAbc
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb-src
URIs: http://only-src.example/debian
Suites: bookworm
Components: main

types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no
`
	want := []string{
		"Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg",
		"Types: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mDMEZAbc\n -----END PGP PUBLIC KEY BLOCK-----",
	}
	if got := debSrcTwinsDeb822(in); !reflect.DeepEqual(got, want) {
		t.Errorf("twins =\n%s\nwant\n%s", strings.Join(got, "\n\n"), strings.Join(want, "\n\n"))
	}
}

// TestPrivateAptConfAcceptedByApt: apt itself reads the generated
// configuration after the system's as meant: sources, lists and caches
// under the private directory, the update hooks gone.
func TestPrivateAptConfAcceptedByApt(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("apt-config"); err != nil {
		t.Skip("apt-config is not installed")
	}
	dir := filepath.Join(t.TempDir(), "apt")
	conf := filepath.Join(t.TempDir(), "apt.conf")
	if err := os.WriteFile(conf, []byte(privateAptConf(dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("apt-config", "-c", conf, "dump").Output()
	if err != nil {
		t.Fatalf("apt-config -c %s dump: %v", conf, err)
	}
	c := parseAptConfigDump(string(out))
	for name, want := range map[string]string{
		"Dir::Etc::sourcelist":    "/dev/null",
		"Dir::Etc::sourceparts":   filepath.Join(dir, "sources.list.d"),
		"Dir::State::lists":       filepath.Join(dir, "lists"),
		"Dir::Cache::archives":    filepath.Join(dir, "cache", "archives"),
		"Dir::Cache::srcpkgcache": filepath.Join(dir, "cache", "srcpkgcache.bin"),
	} {
		if got := c.file(name, ""); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, hook := range []string{"APT::Update::Pre-Invoke::", "APT::Update::Post-Invoke::", "APT::Update::Post-Invoke-Success::"} {
		if strings.Contains(string(out), hook) {
			t.Errorf("hook %s is still set:\n%s", hook, out)
		}
	}
}
