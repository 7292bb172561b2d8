package builder

import (
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/plan"
)

// resolved is a small plan.Resolved by hand: p with the server (and any
// libraries) at these exact versions, as the pin stage would leave it.
func resolved(p *plan.Plan, comps ...pin.Component) *plan.Resolved {
	r := &plan.Resolved{Plan: p, Commits: map[string]string{}}
	if len(comps) == 0 {
		comps = []pin.Component{{Name: p.Server.Name, Constraint: p.Server.Constraint, Version: p.Server.Constraint}}
	}
	r.Components = comps
	return r
}
