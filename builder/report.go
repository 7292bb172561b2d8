package builder

import (
	"context"
	"fmt"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/nginxbin"
	"github.com/nginx-build/nginx-build/record"
)

// reportStage checks that the binary runs, writes its build record and
// records the build as done; command/ shows the result.
type reportStage struct{}

func (reportStage) Name() string { return "report" }

func (reportStage) Run(ctx context.Context, s *State) error {
	out, err := nginxbin.NginxV(ctx, s.Built.Binary)
	if err != nil {
		return fmt.Errorf("built binary %s does not run: %w\n%s", s.Built.Binary, err, out)
	}
	recPath, err := writeRecord(s, out)
	if err != nil {
		return err
	}
	if err := writeStamp(s, "built"); err != nil {
		return err
	}
	s.Built.NginxV, s.Built.RecordPath, s.Built.Done = out, recPath, true
	return nil
}

// writeRecord writes build-info.json: the binary, its nginx -V, and every
// pinned input.
func writeRecord(s *State, nginxV string) (string, error) {
	args, err := configure.Args(s.Resolved.Script)
	if err != nil {
		return "", err
	}
	sum, err := fetch.FileSHA256(s.Built.Binary)
	if err != nil {
		return "", err
	}
	rec := record.Record{
		Tool: "nginx-build " + s.Env.ToolVersion, StartedAt: s.started.UTC(), FinishedAt: s.Env.now().UTC(),
		Binary: s.Built.Binary, BinarySHA256: sum, NginxV: nginxV, ConfigureArgs: args,
		Server: s.Plan.Server.Name, Components: s.pinnedComponents(), Modules: s.pinnedModules(),
		Timings: s.Timings, CCache: s.Built.CCache,
	}
	for _, p := range s.Plan.Patches {
		psum, err := fetch.FileSHA256(p.Path)
		if err != nil {
			return "", err
		}
		rec.Patches = append(rec.Patches, fmt.Sprintf("%s=%s (sha256 %s)", p.Target, p.Path, psum))
	}
	return record.Write(s.buildDir(), rec)
}
