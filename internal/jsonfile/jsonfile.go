// Package jsonfile encodes the JSON files people read and diff (lockfile,
// build record, mirror index): indented, in struct order, and without
// escaping <, > and & — key owners are written "Name <mail>".
package jsonfile

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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

// WriteAtomic writes data to path through a temporary file of a unique
// name in the same directory, renamed into place: a reader never sees half
// a file, and two writers never write into one temporary file.
func WriteAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up on failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
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
