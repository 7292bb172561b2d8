package source

import (
	"bufio"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// aptConfig is apt's configuration as `apt-config dump` prints it, one
// `Name "value";` line per item (list items as `Name:: "value";`). It is
// apt's own view: APT_CONFIG, apt.conf.d and apt.conf already applied.
type aptConfig map[string]string

// parseAptConfigDump reads `apt-config dump` output. Names are
// case-insensitive in apt, so they are kept in lower case; list items are
// left out (no setting read here is a list); a name given twice keeps its
// last value, as in apt.
func parseAptConfigDump(out string) aptConfig {
	c := aptConfig{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ` "`)
		if !ok || strings.HasSuffix(name, "::") {
			continue
		}
		value, ok := strings.CutSuffix(rest, `";`)
		if !ok {
			continue
		}
		c[strings.ToLower(name)] = value
	}
	return c
}

// file is apt's FindFile: the value of name, made absolute by prefixing
// the values of its parents (Dir::Etc::sourcelist "sources.list" under
// Dir::Etc "etc/apt" under Dir "/" is /etc/apt/sources.list) until one
// of them is absolute, then RootDir; def when name is unset or empty.
func (c aptConfig) file(name, def string) string {
	root := c[strings.ToLower("RootDir")]
	if root != "" && !strings.HasSuffix(root, "/") {
		root += "/"
	}
	val := c[strings.ToLower(name)]
	if val == "" {
		if def == "" {
			return root
		}
		return filepath.Clean(root + def)
	}
	for key := strings.ToLower(name); ; {
		i := strings.LastIndex(key, "::")
		if i < 0 {
			break
		}
		key = key[:i]
		parent := c[key]
		if parent == "" {
			continue
		}
		if strings.HasPrefix(val, "/") {
			if strings.HasPrefix(val, "/dev/null") {
				val = "/dev/null"
			}
			break
		}
		if strings.HasPrefix(val, "~/") || strings.HasPrefix(val, "./") || strings.HasPrefix(val, "../") {
			break
		}
		if !strings.HasSuffix(parent, "/") {
			val = "/" + val
		}
		val = parent + val
	}
	return filepath.Clean(root + val)
}

// sourcePaths are where apt reads its sources: the one-line list file
// (Dir::Etc::sourcelist) and the directory of *.list and *.sources files
// (Dir::Etc::sourceparts).
func (c aptConfig) sourcePaths() (list, parts string) {
	return c.file("Dir::Etc::sourcelist", "/etc/apt/sources.list"), c.file("Dir::Etc::sourceparts", "/etc/apt/sources.list.d")
}

// debSrcTwinsOneLine returns the deb-src twin of every deb line of a
// one-line sources file (sources.list, *.list): the same options (a
// [signed-by=…] included), URI, suite and components.
func debSrcTwinsOneLine(content string) []string {
	var twins []string
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "deb")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue // a comment, a deb-src line, or not an entry
		}
		twin := "deb-src" + rest
		if !slices.Contains(twins, twin) {
			twins = append(twins, twin)
		}
	}
	return twins
}

// debSrcTwinsDeb822 returns the deb-src twin of every enabled stanza of a
// deb822 sources file (*.sources) whose Types include deb: the stanza
// with Types: deb-src and every other field as it is (URIs, Suites,
// Components, Signed-By with an inline key's continuation lines, …).
// Comment lines are left out.
func debSrcTwinsDeb822(content string) []string {
	var twins []string
	for _, stanza := range deb822Stanzas(content) {
		var fields []string // field lines, continuation lines attached
		isDeb, enabled := false, true
		for _, line := range stanza {
			if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
				if len(fields) > 0 {
					fields[len(fields)-1] += "\n" + line
				}
				continue
			}
			name, value, _ := strings.Cut(line, ":")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "types":
				isDeb = slices.Contains(strings.Fields(value), "deb")
				continue
			case "enabled":
				enabled = !strings.EqualFold(strings.TrimSpace(value), "no")
			}
			fields = append(fields, line)
		}
		if isDeb && enabled {
			twin := strings.Join(append([]string{"Types: deb-src"}, fields...), "\n")
			if !slices.Contains(twins, twin) {
				twins = append(twins, twin)
			}
		}
	}
	return twins
}

// deb822Stanzas splits a deb822 file into stanzas (paragraphs separated
// by blank lines), without comment lines.
func deb822Stanzas(content string) [][]string {
	var stanzas [][]string
	var cur []string
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case line == "":
			if len(cur) > 0 {
				stanzas = append(stanzas, cur)
			}
			cur = nil
		case strings.HasPrefix(line, "#"):
		default:
			cur = append(cur, line)
		}
	}
	if len(cur) > 0 {
		stanzas = append(stanzas, cur)
	}
	return stanzas
}

// privateAptConf is nginx-build's own apt configuration under dir, read
// by apt after the system's (-c): its sources are the deb-src twins in
// dir/sources.list.d, and its lists, caches and lock are under dir, so
// that apt-get update needs no root and leaves the system's apt as it
// is. The system's update hooks are cleared: they refresh the system's
// caches (PackageKit, AppStream), which this update does not change.
func privateAptConf(dir string) string {
	var b strings.Builder
	b.WriteString("// nginx-build's apt configuration for --source debian, read after the system's\n")
	b.WriteString("// (apt-get -c): the deb-src twins of the system's deb entries, with lists and\n")
	b.WriteString("// caches of their own. Written by nginx-build; changes are overwritten.\n")
	for _, hook := range []string{"APT::Update::Pre-Invoke", "APT::Update::Post-Invoke", "APT::Update::Post-Invoke-Success"} {
		fmt.Fprintf(&b, "#clear %s;\n", hook)
	}
	for _, kv := range [][2]string{
		{"Dir::Etc::sourcelist", "/dev/null"},
		{"Dir::Etc::sourceparts", filepath.Join(dir, "sources.list.d")},
		{"Dir::State::lists", filepath.Join(dir, "lists")},
		{"Dir::Cache", filepath.Join(dir, "cache")},
		{"Dir::Cache::archives", filepath.Join(dir, "cache", "archives")},
		{"Dir::Cache::pkgcache", filepath.Join(dir, "cache", "pkgcache.bin")},
		{"Dir::Cache::srcpkgcache", filepath.Join(dir, "cache", "srcpkgcache.bin")},
	} {
		fmt.Fprintf(&b, "%s \"%s\";\n", kv[0], kv[1]) // apt has no escapes: PrivateApt refuses a dir with a quote
	}
	return b.String()
}
