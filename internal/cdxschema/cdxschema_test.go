package cdxschema

import (
	"os/exec"
	"strings"
	"testing"
)

// The validator must be able to fail: a schema that failed to load, or
// one that accepts anything, would make every SBOM test pass.
func TestValidate(t *testing.T) {
	good := `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
		"serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
		"components": [{"type": "library", "name": "zlib", "version": "1.3.2",
			"licenses": [{"license": {"id": "Zlib"}}],
			"hashes": [{"alg": "SHA-256", "content": "` + strings.Repeat("ab", 32) + `"}]}]}`
	if err := Validate([]byte(good)); err != nil {
		t.Fatalf("valid BOM rejected: %v", err)
	}
	for name, bad := range map[string]string{
		"wrong format":      strings.Replace(good, `"CycloneDX"`, `"SPDX"`, 1),
		"bad serial":        strings.Replace(good, "urn:uuid:3e671687", "uuid:3e671687", 1),
		"unknown type":      strings.Replace(good, `"library"`, `"tarball"`, 1),
		"short sha256":      strings.Replace(good, strings.Repeat("ab", 32), "abab", 1),
		"unknown SPDX id":   strings.Replace(good, `"Zlib"`, `"zlib-ish"`, 1),
		"not JSON":          good[:20],
		"missing component": strings.Replace(good, `"name": "zlib", `, "", 1),
	} {
		if err := Validate([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The module cache is found without the go command, where go list -m
// finds it too.
func TestCachedModuleDirMatchesGoList(t *testing.T) {
	t.Parallel()
	dir, ok := cachedModuleDir("github.com/CycloneDX/cyclonedx-go")
	if !ok {
		t.Fatal("cyclonedx-go not found in the module cache from the build info")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	if want := strings.TrimSpace(string(out)); dir != want {
		t.Errorf("cachedModuleDir = %s, go list -m says %s", dir, want)
	}
	if _, ok := cachedModuleDir("example.test/not-a-dependency"); ok {
		t.Error("a module this binary does not depend on was found")
	}
}
