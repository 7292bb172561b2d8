package command

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/cdxschema"
	"github.com/nginx-build/nginx-build/internal/testmirror"
)

// sbomDoc is what the tests read of an SBOM file.
type sbomDoc struct {
	BOMFormat    string `json:"bomFormat"`
	SpecVersion  string `json:"specVersion"`
	SerialNumber string `json:"serialNumber"`
	Metadata     struct {
		Timestamp string  `json:"timestamp"`
		Component sbomCmp `json:"component"`
	} `json:"metadata"`
	Components   []sbomCmp `json:"components"`
	Dependencies []struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	} `json:"dependencies"`
}

type sbomCmp struct {
	BOMRef   string `json:"bom-ref"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	PURL     string `json:"purl"`
	Hashes   []struct{ Alg, Content string }
	Licenses []struct {
		License    *struct{ ID string } `json:"license"`
		Expression string               `json:"expression"`
	} `json:"licenses"`
	ExternalReferences []struct{ Type, URL string }   `json:"externalReferences"`
	Properties         []struct{ Name, Value string } `json:"properties"`
}

func (c sbomCmp) sha256() string {
	if len(c.Hashes) == 1 && c.Hashes[0].Alg == "SHA-256" {
		return c.Hashes[0].Content
	}
	return ""
}

func (c sbomCmp) license() string {
	if len(c.Licenses) != 1 {
		return ""
	}
	if l := c.Licenses[0].License; l != nil {
		return l.ID
	}
	return c.Licenses[0].Expression
}

func (c sbomCmp) prop(name string) []string {
	var out []string
	for _, p := range c.Properties {
		if p.Name == "nginx-build:"+name {
			out = append(out, p.Value)
		}
	}
	return out
}

// readSBOM reads an SBOM file, checks it against the CycloneDX 1.6 schema
// and decodes it.
func readSBOM(t *testing.T, path string) ([]byte, sbomDoc) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no SBOM: %v", err)
	}
	if err := cdxschema.Validate(b); err != nil {
		t.Fatalf("%s is not valid CycloneDX 1.6: %v", path, err)
	}
	var d sbomDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return b, d
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The SBOM describes exactly what was built: the tarballs that were
// fetched (by their sha256), the git module at the commit it was built
// at, the binary that came out, and the configure arguments.
func TestSBOMDescribesTheBuild(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	os.Mkdir(filepath.Join(dir, "out"), 0o755)

	repo := gitRepo(t, filepath.Join(t.TempDir(), "echo-module"))
	git(t, repo, "tag", "v1")
	commit := gitHead(t, repo)
	// A tarball module from the mirror, pinned by sha256.
	modSum := f.m.Add(t, "mods", "tm-1.0.tar.gz", []testmirror.Entry{
		{Name: "tm/", Type: tar.TypeDir},
		{Name: "tm/config", Body: "ngx_addon_name=tm\n"},
	})
	os.WriteFile(filepath.Join(dir, "modules.json"), []byte(`[
  {"name": "echo-module", "url": "`+repo+`", "rev": "v1", "license": "BSD-2-Clause"},
  {"name": "tm", "form": "tarball", "url": "`+f.m.URL+`/mods/tm-1.0.tar.gz", "checksum": "sha256:`+modSum+`", "dynamic": true}
]`), 0o644)

	// Single-dash, relative to the current directory, like every other flag.
	r := run(t, f.args("-openssl", "-opensslversion", "3.0.20", "-pcre", "-pcreversion", "10.42",
		"-zlib", "-zlibversion", "1.2.13", "-m", "modules.json", "-sbom", "out/nginx.cdx.json", "--", "--with-http_v2_module")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	sbomPath := filepath.Join(dir, "out", "nginx.cdx.json")
	mustContain(t, "stderr", r.err, "SBOM (CycloneDX 1.6): "+sbomPath)
	if strings.TrimSpace(r.out) != filepath.Join(f.src(), "objs", "nginx") {
		t.Errorf("stdout is no longer just the binary: %q", r.out)
	}
	_, d := readSBOM(t, sbomPath)
	if d.BOMFormat != "CycloneDX" || d.SpecVersion != "1.6" || !regexp.MustCompile(`^urn:uuid:[0-9a-f-]{36}$`).MatchString(d.SerialNumber) {
		t.Errorf("header: %q %q %q", d.BOMFormat, d.SpecVersion, d.SerialNumber)
	}

	bin := d.Metadata.Component
	if want := fileSHA256(t, filepath.Join(f.src(), "objs", "nginx")); bin.sha256() != want || bin.Name != "nginx" || bin.Version != "1.30.1" {
		t.Errorf("binary: %s %s sha256 %s, want nginx 1.30.1 sha256 %s", bin.Name, bin.Version, bin.sha256(), want)
	}
	if got, want := bin.prop("configure-arg"), f.configureArgs(t); !slices.Equal(got, want) {
		t.Errorf("configure-arg properties\n%q\nwant what configure got\n%q", got, want)
	}

	byName := map[string]sbomCmp{}
	for _, c := range d.Components {
		byName[c.Name] = c
	}
	for _, tc := range []struct{ name, file, version, license, purl string }{
		{"nginx", "nginx/nginx-1.30.1.tar.gz", "1.30.1", "BSD-2-Clause", "pkg:generic/nginx@1.30.1?download_url=https://nginx.org/download/nginx-1.30.1.tar.gz"},
		{"openssl", "openssl/openssl-3.0.20.tar.gz", "3.0.20", "Apache-2.0", "pkg:github/openssl/openssl@openssl-3.0.20"},
		{"pcre2", "pcre2/pcre2-10.42.tar.gz", "10.42", "BSD-3-Clause WITH PCRE2-exception", "pkg:github/pcre2project/pcre2@pcre2-10.42"},
		{"zlib", "zlib/zlib-1.2.13.tar.xz", "1.2.13", "Zlib", "pkg:generic/zlib@1.2.13?download_url=https://zlib.net/zlib-1.2.13.tar.gz"},
		{"tm", "mods/tm-1.0.tar.gz", "", "", ""},
	} {
		c, ok := byName[tc.name]
		if !ok {
			t.Errorf("%s is missing from the SBOM", tc.name)
			continue
		}
		// What was fetched, from where, by its sha256: the mirror's file.
		url := f.m.URL + "/" + tc.file
		if f.m.Requests("/"+tc.file) == 0 {
			t.Errorf("%s was never fetched from the mirror", tc.file)
		}
		if c.sha256() != fileSHA256(t, filepath.Join(f.m.Dir, tc.file)) || len(c.ExternalReferences) != 1 ||
			c.ExternalReferences[0].Type != "distribution" || c.ExternalReferences[0].URL != url {
			t.Errorf("%s: sha256 %s, references %+v; want the sha256 of %s and distribution %s", tc.name, c.sha256(), c.ExternalReferences, tc.file, url)
		}
		if c.Version != tc.version || c.license() != tc.license || (tc.purl != "" && c.PURL != tc.purl) {
			t.Errorf("%s: version %q license %q purl %q, want %q %q %q", tc.name, c.Version, c.license(), c.PURL, tc.version, tc.license, tc.purl)
		}
	}
	if got := byName["tm"].prop("dynamic"); !slices.Equal(got, []string{"true"}) {
		t.Errorf("tm dynamic property %q", got)
	}
	echo := byName["echo-module"]
	if echo.Version != "v1" || !slices.Equal(echo.prop("commit"), []string{commit}) || echo.license() != "BSD-2-Clause" ||
		len(echo.ExternalReferences) != 1 || echo.ExternalReferences[0].Type != "vcs" || echo.ExternalReferences[0].URL != repo {
		t.Errorf("git module: %+v, want rev v1 at commit %s from %s", echo, commit, repo)
	}
	if len(d.Components) != 6 {
		t.Errorf("%d components, want 6", len(d.Components))
	}
	for _, dep := range d.Dependencies {
		if dep.Ref == byName["nginx"].BOMRef && len(dep.DependsOn) != 5 {
			t.Errorf("nginx depends on %q, want the 3 libraries and 2 modules", dep.DependsOn)
		}
	}
}

// An up-to-date build still writes its SBOM, from the build record, with
// the same content; SOURCE_DATE_EPOCH makes it byte for byte reproducible.
func TestSBOMWhenUpToDate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	args := f.args("-zlib", "-zlibversion", "1.2.13")
	if r := run(t, append(args, "--sbom", "first.json")...); r.code != 0 {
		t.Fatalf("build: exit %d\n%s", r.code, r.err)
	}
	_, first := readSBOM(t, filepath.Join(dir, "first.json"))

	// The build subcommand, the --flag=value spelling.
	r := run(t, append([]string{"build"}, append(args, "--sbom=second.json")...)...)
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.err)
	}
	mustContain(t, "rerun", r.err, "up to date", "SBOM (CycloneDX 1.6)")
	_, second := readSBOM(t, filepath.Join(dir, "second.json"))
	if second.SerialNumber == first.SerialNumber {
		t.Errorf("two SBOMs share a serial number")
	}
	a, _ := json.Marshal(first.Components)
	b, _ := json.Marshal(second.Components)
	if !bytes.Equal(a, b) || first.Metadata.Component.sha256() != second.Metadata.Component.sha256() || first.Metadata.Timestamp != second.Metadata.Timestamp {
		t.Errorf("the up-to-date SBOM differs:\n%s\n%s", a, b)
	}

	setenv(t, "SOURCE_DATE_EPOCH", "1700000000")
	run(t, append(args, "-sbom", "r1.json")...)
	run(t, append(args, "-sbom", "r2.json")...)
	r1, d1 := readSBOM(t, filepath.Join(dir, "r1.json"))
	r2, _ := readSBOM(t, filepath.Join(dir, "r2.json"))
	if !bytes.Equal(r1, r2) {
		t.Errorf("SOURCE_DATE_EPOCH SBOMs differ")
	}
	if d1.Metadata.Timestamp != "2023-11-14T22:13:20Z" {
		t.Errorf("timestamp %s, want SOURCE_DATE_EPOCH's", d1.Metadata.Timestamp)
	}

	// A binary changed since it was built is not the one on record.
	bin := filepath.Join(f.src(), "objs", "nginx")
	data, _ := os.ReadFile(bin)
	os.WriteFile(bin, append(data, '\n'), 0o755)
	r = run(t, append(args, "-sbom", "changed.json")...)
	if r.code != 1 {
		t.Fatalf("changed binary: exit %d, want 1\n%s", r.code, r.err)
	}
	mustContain(t, "error", r.err, "changed.json", bin+" has changed since it was built")
	if _, err := os.Stat(filepath.Join(dir, "changed.json")); err == nil {
		t.Errorf("an SBOM was written for a binary that is not the one on record")
	}
}

func TestSBOMErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	chdir(t, dir)
	os.Mkdir(filepath.Join(dir, "adir"), 0o755)
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{f.args("-sbom", "missing/bom.json"), "", "--sbom missing/bom.json: directory " + filepath.Join(dir, "missing") + " does not exist"},
		{f.args("-sbom", "adir"), "", "--sbom adir: is a directory"},
		{f.args("-sbom", "b.json", "--dry-run"), "", "--dry-run builds none"},
		{f.args("-sbom", "b.json", "-configureonly"), "", "-configureonly builds none"},
		{f.args("-sbom", "b.json"), "yesterday", `SOURCE_DATE_EPOCH="yesterday"`},
	} {
		setenv(t, "SOURCE_DATE_EPOCH", tc.env)
		r := run(t, tc.args...)
		if r.code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", tc.args, r.code, r.err)
		}
		mustContain(t, strings.Join(tc.args, " "), r.err, tc.want)
	}
	// All of them are refused before anything is downloaded.
	if n := f.m.TarballRequests(); n != 0 {
		t.Errorf("%d tarball requests", n)
	}
}
