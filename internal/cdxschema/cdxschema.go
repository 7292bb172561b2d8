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

// schemaDir is the schema directory of the cyclonedx-go module in use.
func schemaDir() (string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/CycloneDX/cyclonedx-go")
	// Ask from inside this module: tests often run in a temporary
	// directory, where go list finds no go.mod.
	if _, self, _, ok := runtime.Caller(0); ok {
		cmd.Dir = filepath.Dir(self)
	}
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locate the cyclonedx-go module (go list -m): %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "schema"), nil
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
