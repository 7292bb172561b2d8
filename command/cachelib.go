package command

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/libcache"
)

// listLibraries prints the built libraries of the library cache (after a
// blank line, when there are any) and returns their bytes.
func listLibraries(io *iostreams.IO, entries []libcache.Entry, width int) (int64, error) {
	if len(entries) == 0 {
		return 0, nil
	}
	t := newTable(column{"LIBRARY", fitKeep}, column{"SIZE", fitKeep}, column{"KEY", fitHash}, column{"CONFIGURE", fitEnd}, column{"PATH", fitMiddle})
	var total int64
	for _, e := range entries {
		total += e.Size
		t.add(e.Inputs.Component+" "+e.Inputs.Version, fetch.HumanBytes(e.Size), keyOf(e), strings.Join(e.Inputs.Configure, " "), e.Path)
	}
	fmt.Fprintln(io.Out)
	return total, t.write(io.Out, width)
}

// keyOf is an entry's key: its directory's name.
func keyOf(e libcache.Entry) string { return filepath.Base(e.Path) }

// libraryJSON is a built library as `cache ls --json` lists it.
func libraryJSON(e libcache.Entry) fetch.CacheEntry {
	return fetch.CacheEntry{Kind: "library", Component: e.Inputs.Component, Path: e.Path, Size: e.Size, Key: keyOf(e),
		Configure: e.Inputs.Configure, Modified: e.Created, Complete: true}
}
