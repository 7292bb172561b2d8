package command

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nginx-build/nginx-build/builder"
	"github.com/nginx-build/nginx-build/internal/human"
	"github.com/nginx-build/nginx-build/internal/iostreams"
	"github.com/nginx-build/nginx-build/record"
)

// printBuild shows what a build run produced: the summary of a binary
// built now, where make install put it, and the path of the binary on
// out (stdout for build; package keeps stdout for the package's path).
// It is called after a failed run too: a finished binary is reported
// even when installing it failed.
func printBuild(ios *iostreams.IO, out io.Writer, s *builder.State) {
	w := ios.Err
	if s.Built.NginxV != "" {
		fmt.Fprintf(w, "\nbuilt %s\n\n%s\n", s.Built.Binary, s.Built.NginxV)
		fmt.Fprintf(w, "\nbuild record: %s\n", s.Built.RecordPath)
		if len(s.Timings) > 0 {
			fmt.Fprintf(w, "%s\n", timingSummary(s.Timings, s.Elapsed()))
		}
		if s.Built.CCacheSummary != "" {
			fmt.Fprintf(w, "%s\n", s.Built.CCacheSummary)
		}
		if !s.Plan.Install && !s.Mode.Packaging {
			fmt.Fprintf(w, "\ninstall it with:\n  sudo make -C %s install\n(or run nginx-build again with --install, or package it: nginx-build package --format deb ...)\n", s.Resolved.SourceDir())
		}
	}
	if s.Installed != "" {
		fmt.Fprintf(w, "\ninstalled %s\n", s.Installed)
	}
	switch {
	case s.Skipped:
		fmt.Fprintln(out, s.Current)
	case s.Built.Done:
		fmt.Fprintln(out, s.Built.Binary)
	}
}

// timingSummary is the one line of how long each phase took: "took
// 3m58s: download 1.2s, extract 0.8s, configure 14s, openssl 2m41s, …".
// Libraries compile side by side under make -j, so the phases add up to
// more than the total.
func timingSummary(ts []record.Timing, total time.Duration) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Phase + " " + human.Duration(t.Took)
	}
	return fmt.Sprintf("took %s: %s", human.Duration(total), strings.Join(parts, ", "))
}

// printModules shows the dynamic modules a modules run built, and how to
// load them; their paths go to stdout.
func printModules(ios *iostreams.IO, s *builder.State) {
	if len(s.Timings) > 0 {
		fmt.Fprintf(ios.Err, "%s\n", timingSummary(s.Timings, s.Elapsed()))
	}
	fmt.Fprintf(ios.Err, "\nbuilt %d dynamic module(s) into %s; load them with:\n", len(s.Built.Modules), s.Mode.ModulesOut)
	for _, so := range s.Built.Modules {
		fmt.Fprintf(ios.Err, "  load_module %s;\n", so)
		fmt.Fprintln(ios.Out, so)
	}
}
