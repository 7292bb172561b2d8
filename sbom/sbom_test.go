package sbom

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/cdxschema"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/record"
	"github.com/nginx-build/nginx-build/verify"
)

func sum(c byte) string { return strings.Repeat(string(c), 64) }

// testRecord is a build of nginx with every kind of part: signed and unsigned
// tarballs, a GitHub module pinned to a commit, a dynamic local module and
// a tarball module.
func testRecord() record.Record {
	return record.Record{
		Tool:         "nginx-build 0.1.0",
		StartedAt:    time.Date(2026, 4, 7, 10, 0, 0, 0, time.UTC),
		FinishedAt:   time.Date(2026, 4, 7, 10, 3, 20, 0, time.UTC),
		Binary:       "/w/nginx/1.22.1/nginx-1.22.1/objs/nginx",
		BinarySHA256: sum('b'),
		NginxV:       "nginx version: nginx/1.22.1\nconfigure arguments: --with-openssl=../openssl-3.0.20",
		Server:       "nginx",
		Components: []pin.Component{
			{Name: "nginx", Constraint: "1.22.x", Version: "1.22.1", URL: "http://127.0.0.1:9/nginx/nginx-1.22.1.tar.gz", SHA256: sum('1'),
				Verification: fetch.Verification{
					Checks: []fetch.Check{{Detail: "OpenPGP signature by Maxim Dounin <mdounin@mdounin.ru> (B0F4…)"}},
					Signer: &verify.Signer{Fingerprint: "B0F4253373F8F6F510D42178520A9993A1C052F8", Owner: "Maxim Dounin <mdounin@mdounin.ru>"},
				}},
			{Name: "openssl", Constraint: "3.0.20", Version: "3.0.20", URL: "https://github.com/openssl/openssl/releases/download/openssl-3.0.20/openssl-3.0.20.tar.gz", SHA256: sum('2')},
			{Name: "pcre2", Constraint: "10.42", Version: "10.42", URL: "file:///srv/mirror/pcre2/pcre2-10.42.tar.gz", SHA256: sum('3')},
			{Name: "zlib", Constraint: "1.2.13", Version: "1.2.13", URL: "https://zlib.net/fossils/zlib-1.2.13.tar.gz", SHA256: sum('4')},
		},
		Modules: []pin.Module{
			{Name: "echo-nginx-module", Form: "git", URL: "https://github.com/openresty/echo-nginx-module", Rev: "v0.63", Commit: "5a402aa6c0d4e5e5b6e0b1c2d3e4f5a6b7c8d9e0",
				License: "BSD-2-Clause"},
			{Name: "local-mod", Form: "local", URL: "/home/me/local-mod", Dynamic: true},
			{Name: "headers-more", Form: "tarball", URL: "https://example.org/headers-more-0.34.tar.gz", SHA256: sum('5'),
				License: "BSD-2-Clause OR MIT"},
		},
		Patches:       []string{"nginx=/p/fix.patch (sha256 " + sum('6') + ")"},
		ConfigureArgs: []string{"--with-openssl=../openssl-3.0.20", "--with-cc-opt=-O2 -g", "--add-module=../echo-nginx-module"},
	}
}

// bomJSON is the part of the JSON that the tests read, decoded from the
// encoded bytes: what a consumer sees, not the library's structs.
type bomJSON struct {
	Schema       string `json:"$schema"`
	BOMFormat    string `json:"bomFormat"`
	SpecVersion  string `json:"specVersion"`
	SerialNumber string `json:"serialNumber"`
	Version      int    `json:"version"`
	Metadata     struct {
		Timestamp  string              `json:"timestamp"`
		Lifecycles []map[string]string `json:"lifecycles"`
		Tools      struct {
			Components []componentJSON `json:"components"`
		} `json:"tools"`
		Component componentJSON `json:"component"`
	} `json:"metadata"`
	Components   []componentJSON `json:"components"`
	Dependencies []struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	} `json:"dependencies"`
}

type componentJSON struct {
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
	ExternalReferences []struct{ Type, URL, Comment string } `json:"externalReferences"`
	Properties         []struct{ Name, Value string }        `json:"properties"`
}

func (c componentJSON) sha256() string {
	for _, h := range c.Hashes {
		if h.Alg == "SHA-256" {
			return h.Content
		}
	}
	return ""
}

func (c componentJSON) license() string {
	if len(c.Licenses) != 1 {
		return ""
	}
	if l := c.Licenses[0].License; l != nil {
		return "id:" + l.ID
	}
	return "expr:" + c.Licenses[0].Expression
}

func (c componentJSON) ref(typ string) string {
	for _, r := range c.ExternalReferences {
		if r.Type == typ {
			return r.URL
		}
	}
	return ""
}

func (c componentJSON) props(name string) []string {
	var out []string
	for _, p := range c.Properties {
		if p.Name == "nginx-build:"+name {
			out = append(out, p.Value)
		}
	}
	return out
}

// encode builds, encodes, schema-validates and decodes a BOM.
func encode(t *testing.T, rec record.Record, opt Options) ([]byte, bomJSON) {
	t.Helper()
	bom, err := New(rec, opt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, bom); err != nil {
		t.Fatal(err)
	}
	if err := cdxschema.Validate(buf.Bytes()); err != nil {
		t.Fatalf("not valid CycloneDX 1.6: %v\n%s", err, buf.Bytes())
	}
	var out bomJSON
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), out
}

var uuidV4 = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestBOMFromRecord(t *testing.T) {
	raw, b := encode(t, testRecord(), Options{})
	if b.BOMFormat != "CycloneDX" || b.SpecVersion != "1.6" || b.Version != 1 || b.Schema != "http://cyclonedx.org/schema/bom-1.6.schema.json" {
		t.Errorf("header: format %q spec %q version %d schema %q", b.BOMFormat, b.SpecVersion, b.Version, b.Schema)
	}
	if !uuidV4.MatchString(b.SerialNumber) {
		t.Errorf("serialNumber %q is not a urn:uuid (version 4)", b.SerialNumber)
	}
	if b.Metadata.Timestamp != "2026-04-07T10:03:20Z" {
		t.Errorf("timestamp %q, want the build's end", b.Metadata.Timestamp)
	}
	if len(b.Metadata.Lifecycles) != 1 || b.Metadata.Lifecycles[0]["phase"] != "build" {
		t.Errorf("lifecycles %v", b.Metadata.Lifecycles)
	}
	if tools := b.Metadata.Tools.Components; len(tools) != 1 || tools[0].Name != "nginx-build" || tools[0].Version != "0.1.0" {
		t.Errorf("tools %+v", tools)
	}

	// The subject is the binary, by its sha256, with what shaped it.
	bin := b.Metadata.Component
	if bin.Type != "application" || bin.Name != "nginx" || bin.Version != "1.22.1" || bin.sha256() != sum('b') {
		t.Errorf("metadata.component %+v", bin)
	}
	if got := bin.props("configure-arg"); !slices.Equal(got, testRecord().ConfigureArgs) {
		t.Errorf("configure-arg properties %q", got)
	}
	if got := bin.props("patch"); len(got) != 1 || !strings.Contains(got[0], "/p/fix.patch") {
		t.Errorf("patch properties %q", got)
	}
	if got := bin.props("binary"); len(got) != 1 || got[0] != testRecord().Binary {
		t.Errorf("binary property %q", got)
	}

	byName := map[string]componentJSON{}
	for _, c := range b.Components {
		byName[c.Name] = c
	}
	if len(b.Components) != 7 || b.Components[0].Name != "nginx" {
		t.Fatalf("components: %d, first %q; want 7, nginx first", len(b.Components), b.Components[0].Name)
	}
	for _, tc := range []struct {
		name, typ, version, sha, purl, license, dist string
	}{
		{"nginx", "application", "1.22.1", sum('1'), "pkg:generic/nginx@1.22.1?download_url=https://nginx.org/download/nginx-1.22.1.tar.gz",
			"id:BSD-2-Clause", "http://127.0.0.1:9/nginx/nginx-1.22.1.tar.gz"},
		{"openssl", "library", "3.0.20", sum('2'), "pkg:github/openssl/openssl@openssl-3.0.20", "id:Apache-2.0",
			"https://github.com/openssl/openssl/releases/download/openssl-3.0.20/openssl-3.0.20.tar.gz"},
		{"pcre2", "library", "10.42", sum('3'), "pkg:github/pcre2project/pcre2@pcre2-10.42", "expr:BSD-3-Clause WITH PCRE2-exception",
			"file:///srv/mirror/pcre2/pcre2-10.42.tar.gz"},
		{"zlib", "library", "1.2.13", sum('4'), "pkg:generic/zlib@1.2.13?download_url=https://zlib.net/zlib-1.2.13.tar.gz", "id:Zlib",
			"https://zlib.net/fossils/zlib-1.2.13.tar.gz"},
		{"headers-more", "library", "", sum('5'), "pkg:generic/headers-more?download_url=https://example.org/headers-more-0.34.tar.gz",
			"expr:BSD-2-Clause OR MIT", "https://example.org/headers-more-0.34.tar.gz"},
	} {
		c := byName[tc.name]
		if c.Type != tc.typ || c.Version != tc.version || c.sha256() != tc.sha || c.PURL != tc.purl || c.license() != tc.license || c.ref("distribution") != tc.dist {
			t.Errorf("%s: got type %q version %q sha256 %q purl %q license %q distribution %q\nwant %+v",
				tc.name, c.Type, c.Version, c.sha256(), c.PURL, c.license(), c.ref("distribution"), tc)
		}
	}
	if got := byName["nginx"].props("constraint"); !slices.Equal(got, []string{"1.22.x"}) {
		t.Errorf("nginx constraint property %q", got)
	}
	if got := byName["nginx"].props("signer"); len(got) != 1 || !strings.HasPrefix(got[0], "B0F4253373F8F6F510D42178520A9993A1C052F8 Maxim Dounin <") {
		t.Errorf("nginx signer property %q", got)
	}
	if got := byName["openssl"].props("constraint"); got != nil {
		t.Errorf("an exact version has a constraint property: %q", got)
	}

	// Git module: version is the rev, the commit is a property and the
	// purl's version; the repository is a VCS reference.
	echo := byName["echo-nginx-module"]
	const commit = "5a402aa6c0d4e5e5b6e0b1c2d3e4f5a6b7c8d9e0"
	if echo.Version != "v0.63" || echo.PURL != "pkg:github/openresty/echo-nginx-module@"+commit ||
		echo.ref("vcs") != "https://github.com/openresty/echo-nginx-module" || echo.license() != "expr:BSD-2-Clause" ||
		!slices.Equal(echo.props("commit"), []string{commit}) || len(echo.Hashes) != 0 {
		t.Errorf("echo module %+v", echo)
	}
	local := byName["local-mod"]
	if local.PURL != "" || len(local.ExternalReferences) != 0 || local.license() != "" ||
		!slices.Equal(local.props("dynamic"), []string{"true"}) || !slices.Equal(local.props("path"), []string{"/home/me/local-mod"}) {
		t.Errorf("local module %+v", local)
	}

	// The graph: binary → nginx → every library and module; those have none.
	deps := map[string][]string{}
	for _, d := range b.Dependencies {
		if _, dup := deps[d.Ref]; dup {
			t.Errorf("%s listed twice in dependencies", d.Ref)
		}
		deps[d.Ref] = d.DependsOn
	}
	refs := map[string]bool{bin.BOMRef: true}
	for _, c := range b.Components {
		if refs[c.BOMRef] || c.BOMRef == "" {
			t.Errorf("bom-ref %q empty or not unique", c.BOMRef)
		}
		refs[c.BOMRef] = true
		if _, ok := deps[c.BOMRef]; !ok {
			t.Errorf("%s is missing from the dependency graph", c.BOMRef)
		}
	}
	for ref, on := range deps {
		for _, r := range append([]string{ref}, on...) {
			if !refs[r] {
				t.Errorf("dependency graph names %q, which is no bom-ref", r)
			}
		}
	}
	nginxRef := byName["nginx"].BOMRef
	if !slices.Equal(deps[bin.BOMRef], []string{nginxRef}) {
		t.Errorf("binary depends on %q, want [%s]", deps[bin.BOMRef], nginxRef)
	}
	var want []string
	for _, c := range b.Components[1:] {
		want = append(want, c.BOMRef)
	}
	if !slices.Equal(deps[nginxRef], want) {
		t.Errorf("nginx depends on %q, want %q", deps[nginxRef], want)
	}
	for _, c := range b.Components[1:] {
		if len(deps[c.BOMRef]) != 0 {
			t.Errorf("%s depends on %q", c.BOMRef, deps[c.BOMRef])
		}
	}
	// Signer names keep their <>: no HTML escaping.
	if !bytes.Contains(raw, []byte("Maxim Dounin <mdounin@mdounin.ru>")) {
		t.Errorf("HTML-escaped output")
	}
}

func TestSerialNumbers(t *testing.T) {
	_, a := encode(t, testRecord(), Options{})
	_, b := encode(t, testRecord(), Options{})
	if a.SerialNumber == b.SerialNumber {
		t.Errorf("two BOMs share serial %s", a.SerialNumber)
	}

	// SOURCE_DATE_EPOCH: the given time, and the same bytes every time.
	opt := Options{Timestamp: time.Unix(1700000000, 0), Reproducible: true}
	raw1, r1 := encode(t, testRecord(), opt)
	raw2, _ := encode(t, testRecord(), opt)
	if !bytes.Equal(raw1, raw2) {
		t.Errorf("reproducible BOMs differ:\n%s\n%s", raw1, raw2)
	}
	if r1.Metadata.Timestamp != "2023-11-14T22:13:20Z" {
		t.Errorf("timestamp %q, want SOURCE_DATE_EPOCH's", r1.Metadata.Timestamp)
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(r1.SerialNumber) {
		t.Errorf("reproducible serial %q is not a version 5 urn:uuid", r1.SerialNumber)
	}
	// ...but another build is another BOM.
	other := testRecord()
	other.BinarySHA256 = sum('c')
	_, r3 := encode(t, other, opt)
	if r3.SerialNumber == r1.SerialNumber {
		t.Errorf("different builds got the same reproducible serial")
	}
}

func TestOpenSSL1AndLibreSSLLicenses(t *testing.T) {
	rec := testRecord()
	rec.Components[1] = pin.Component{Name: "openssl", Version: "1.1.1w", URL: "https://x/openssl-1.1.1w.tar.gz", SHA256: sum('2')}
	rec.Components = append(rec.Components, pin.Component{Name: "libressl", Version: "4.3.0", URL: "https://x/libressl-4.3.0.tar.gz", SHA256: sum('7')})
	_, b := encode(t, rec, Options{})
	got := map[string]string{}
	for _, c := range b.Components {
		got[c.Name] = c.license() + " " + c.PURL
	}
	if got["openssl"] != "id:OpenSSL pkg:github/openssl/openssl@OpenSSL_1_1_1w" {
		t.Errorf("openssl 1.1.1w: %s", got["openssl"])
	}
	if got["libressl"] != "expr:OpenSSL AND ISC pkg:generic/libressl@4.3.0?download_url=https://ftp.openbsd.org/pub/OpenBSD/LibreSSL/libressl-4.3.0.tar.gz" {
		t.Errorf("libressl: %s", got["libressl"])
	}
}

// A custom nginx from git is the server: it leads the components, the
// binary is named after it, and it is known by its repository and commit.
func TestServerFromGit(t *testing.T) {
	rec := testRecord()
	rec.Server = "myfork"
	rec.Components = rec.Components[1:]
	rec.Modules = append([]pin.Module{{
		Name: "myfork-v2", Form: "git", URL: "https://git.example.org/me/myfork.git", Rev: "v2", Commit: "abc123",
		Component: "myfork",
	}}, rec.Modules...)
	_, b := encode(t, rec, Options{})
	fork := b.Components[0]
	if fork.Name != "myfork" || fork.Type != "application" || fork.Version != "v2" || fork.license() != "" ||
		fork.ref("vcs") != "https://git.example.org/me/myfork.git" ||
		fork.PURL != "pkg:generic/myfork@abc123?vcs_url=git%2Bhttps://git.example.org/me/myfork.git%40abc123" {
		t.Errorf("git server %+v", fork)
	}
	if b.Metadata.Component.Name != "myfork" || b.Metadata.Component.Version != "v2" {
		t.Errorf("binary named %s %s", b.Metadata.Component.Name, b.Metadata.Component.Version)
	}
	// The fork, three libraries, three modules; no nginx.
	if len(b.Components) != 7 {
		t.Errorf("%d components, want 7", len(b.Components))
	}
	for _, c := range b.Components {
		if c.Name == "nginx" {
			t.Errorf("nginx listed though the fork replaced it")
		}
	}
}

// A custom nginx from its repository's default branch (rev HEAD) is
// versioned by the commit built: HEAD names no version.
func TestServerFromDefaultBranch(t *testing.T) {
	rec := testRecord()
	rec.Server = "customnginx"
	rec.Components = rec.Components[1:]
	const commit = "5a402aa6c0d4e5e5b6e0b1c2d3e4f5a6b7c8d9e0"
	rec.Modules = append([]pin.Module{{
		Name: "customnginx-custom", Form: "git", URL: "https://git.example.org/me/myfork.git", Rev: "HEAD", Commit: commit,
		Component: "customnginx",
	}}, rec.Modules...)
	_, b := encode(t, rec, Options{})
	if fork := b.Components[0]; fork.Name != "customnginx" || fork.Version != commit {
		t.Errorf("default-branch server %s %s, want version %s", fork.Name, fork.Version, commit)
	}
	if b.Metadata.Component.Version != commit {
		t.Errorf("binary version %s, want %s", b.Metadata.Component.Version, commit)
	}
}

// A record written before "server" was recorded still has one server.
func TestRecordWithoutServer(t *testing.T) {
	rec := testRecord()
	rec.Server = ""
	rec.Components = append(rec.Components[1:], rec.Components[0])
	_, b := encode(t, rec, Options{})
	if b.Components[0].Name != "nginx" || b.Components[0].Type != "application" {
		t.Errorf("first component %s (%s)", b.Components[0].Name, b.Components[0].Type)
	}
}

func TestBadRecords(t *testing.T) {
	rec := testRecord()
	rec.BinarySHA256 = ""
	if _, err := New(rec, Options{}); err == nil || !strings.Contains(err.Error(), "no binary") {
		t.Errorf("record without binary: %v", err)
	}
	rec = testRecord()
	rec.Server = "freenginx"
	if _, err := New(rec, Options{}); err == nil || !strings.Contains(err.Error(), `server "freenginx"`) {
		t.Errorf("record without the server's source: %v", err)
	}
}
