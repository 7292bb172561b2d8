// Package cdxschema validates CycloneDX 1.6 JSON against the official
// schema, offline. The schema files are not copied into this repository:
// they are read from the cyclonedx-go module that nginx-build already
// depends on, in the Go module cache. Only tests use this package, so
// nginx-build's binary carries neither the schema nor the validator.
package cdxschema

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFiles maps the names the 1.6 schema refers to onto the files the
// cyclonedx-go module ships (one of them under a slightly different name).
func schemaFiles() [][2]string {
	return [][2]string{
		{"bom-1.6.schema.json", "bom-1.6.schema.json"},
		{"spdx.schema.json", "spdx.schema.json"},
		{"jsf-0.82.schema.json", "jsf-0.82.schemax.json"},
	}
}

// schemaDir is the schema directory of the cyclonedx-go module in use:
// found in the module cache from the version this binary was built with,
// else by asking the go command (much slower: tests validate often).
func schemaDir() (string, error) {
	if dir, ok := cachedModuleDir("github.com/CycloneDX/cyclonedx-go"); ok {
		return filepath.Join(dir, "schema"), nil
	}
	// Tests may run from a temporary directory: ask from inside this module.
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go")
	cmd.Dir = filepath.Dir(self)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locate the cyclonedx-go module (go list -m): %w: %s", err, stderr.String())
	}
	return filepath.Join(strings.TrimSpace(string(out)), "schema"), nil
}

// cachedModuleDir is where the go command unpacked module path at the
// version this module's go.mod requires: $GOMODCACHE, else the first
// $GOPATH entry's pkg/mod, else ~/go/pkg/mod, in the cache's encoding
// (an upper-case letter is "!" and the letter in lower case).
func cachedModuleDir(path string) (string, bool) {
	version := requiredVersion(path)
	if version == "" {
		return "", false
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := filepath.SplitList(os.Getenv("GOPATH"))
		if len(gopath) == 0 || gopath[0] == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", false
			}
			gopath = []string{filepath.Join(home, "go")}
		}
		cache = filepath.Join(gopath[0], "pkg", "mod")
	}
	var enc strings.Builder
	for _, r := range path + "@" + version {
		if r >= 'A' && r <= 'Z' {
			enc.WriteByte('!')
			r += 'a' - 'A'
		}
		enc.WriteRune(r)
	}
	dir := filepath.Join(cache, filepath.FromSlash(enc.String()))
	if fi, err := os.Stat(filepath.Join(dir, "schema")); err != nil || !fi.IsDir() {
		return "", false
	}
	return dir, true
}

// requiredVersion is the version of module path that this repository's
// go.mod requires ("" when it does not, or replaces it).
func requiredVersion(path string) string {
	_, self, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "..", "go.mod"))
	if err != nil || bytes.Contains(b, []byte("replace "+path)) {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	return ""
}

// base is where the schema's $id and its relative $refs point.
const base = "http://cyclonedx.org/schema/"

// Validate reports whether doc is a valid CycloneDX 1.6 JSON BOM; the
// error lists every violation. Formats (date-time, iri-reference, …) are
// asserted too, as a strict consumer would.
func Validate(doc []byte) error {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	dir, err := schemaDir()
	if err != nil {
		return err
	}
	for _, f := range schemaFiles() {
		name := f[0]
		b, err := os.ReadFile(filepath.Join(dir, f[1]))
		if err != nil {
			return fmt.Errorf("CycloneDX schema: %w", err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("schema %s: %w", name, err)
		}
		if err := c.AddResource(base+name, v); err != nil {
			return fmt.Errorf("schema %s: %w", name, err)
		}
	}
	sch, err := c.Compile(base + "bom-1.6.schema.json")
	if err != nil {
		return fmt.Errorf("compile CycloneDX schema: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(v)
}
