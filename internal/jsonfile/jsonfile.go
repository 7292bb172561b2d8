// Package jsonfile encodes the JSON files people read and diff (lockfile,
// build record, mirror index): indented, in struct order, and without
// escaping <, > and & — key owners are written "Name <mail>".
package jsonfile

import (
	"bytes"
	"encoding/json"
)

// Marshal indents v by two spaces and ends it with a newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Compact is json.Marshal without HTML escaping, for MarshalJSON methods:
// what they return is copied as is into the enclosing document.
func Compact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
