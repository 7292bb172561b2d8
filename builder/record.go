package builder

import (
	"fmt"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/record"
)

func writeRecord(s *State, nginxV string) (string, error) {
	args, err := configure.Args(s.Script)
	if err != nil {
		return "", err
	}
	sum, err := fetch.FileSHA256(s.Binary)
	if err != nil {
		return "", err
	}
	rec := record.Record{
		Tool: "nginx-build " + s.Env.ToolVersion, StartedAt: s.started.UTC(), FinishedAt: s.Env.now().UTC(),
		Binary: s.Binary, BinarySHA256: sum, NginxV: nginxV, ConfigureArgs: args,
	}
	rec.Components = s.pinnedComponents()
	rec.Server = s.Plan.Server.Name
	rec.Modules = s.pinnedModules()
	for _, p := range s.Plan.Patches {
		psum, err := fetch.FileSHA256(p.Path)
		if err != nil {
			return "", err
		}
		rec.Patches = append(rec.Patches, fmt.Sprintf("%s=%s (sha256 %s)", p.Target, p.Path, psum))
	}
	return record.Write(s.Plan.BuildDir(), rec)
}
