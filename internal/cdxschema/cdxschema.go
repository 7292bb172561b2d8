// Package cdxschema validates CycloneDX 1.6 JSON against the official
// schema, offline: the schema files are embedded. Only tests use it, so
// nginx-build's binary carries neither the schema nor the validator.
package cdxschema

import (
	"bytes"
	"embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schema/*.json
var files embed.FS

// base is where the schema's $id and its relative $refs point.
const base = "http://cyclonedx.org/schema/"

// Validate reports whether doc is a valid CycloneDX 1.6 JSON BOM; the
// error lists every violation. Formats (date-time, iri-reference, …) are
// asserted too, as a strict consumer would.
func Validate(doc []byte) error {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		b, err := files.ReadFile("schema/" + name)
		if err != nil {
			return err
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
