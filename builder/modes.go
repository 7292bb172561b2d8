package builder

import "github.com/nginx-build/nginx-build/plan"

// The stage list of each mode, in one place: each reads like the table of
// contents of what the command does. Order is the contract between
// stages, and it is short now that resolving is one step:
//
//   - pinStage first: everything after it reads the plan.Resolved value.
//   - upToDateStage before locateStage: a build that is already done
//     stops before a mirror is asked where its tarballs are.
//   - dryRunStage after locateStage: a dry run prints located tarballs.
//   - fetchStage before prepareStage and lockWriteStage: they use what
//     was verified.
//   - workDirStage after every stage that may stop a run with nothing to
//     do (up to date, dry run, -idempotent), so such a run creates no
//     work dir, and before fetchStage, so a -d that cannot be created
//     fails before any download.
//   - toolchainStage after the stages that may stop a run with nothing to
//     build (they need no compiler) and before fetchStage: a machine that
//     cannot build fails before any download. A dry run warns instead.
//   - buildLockStage after the stages that may stop a run with nothing to
//     do and before workDirStage: everything that writes the build dir
//     (-clear included) runs under the lock. A run that had to wait
//     checks again whether the build is up to date.
//   - librariesStage after configureStage, which writes the objs/Makefile rule
//     it reads (and whose time the libraries must be newer than), and
//     before the make stages, which then find the library up to date.
//   - installStage is final: it installs an up-to-date build too.

// BuildStages is the whole build, in order.
func BuildStages() []Stage {
	return []Stage{
		pinStage{plan.Options{Script: true, CheckNames: true, Digest: true}},
		upToDateStage{},
		locateStage{},
		dryRunStage{checkTools: true},
		idempotentStage{},
		toolchainStage{},
		buildLockStage{recheck: true},
		workDirStage{},
		fetchStage{},
		prepareStage{},
		lockWriteStage{},
		configureStage{},
		librariesStage{},
		makeStage{},
		reportStage{},
		installStage{},
	}
}

// FetchStages resolves and downloads into the cache, and stops there.
func FetchStages() []Stage {
	return []Stage{pinStage{}, locateStage{}, dryRunStage{}, fetchStage{}}
}

// LockStages resolve afresh, download and verify everything, pin module
// commits, and write the lockfile; nothing is built.
func LockStages() []Stage {
	return []Stage{pinStage{plan.Options{CheckNames: true}}, locateStage{}, dryRunStage{}, fetchStage{}, lockWriteStage{}}
}

// MirrorStages resolve a plan (or take a lockfile's pins), download and
// verify everything — tarballs, tarball and Debian modules, git modules
// and git sources into the cache — and copy it into a mirror directory.
func MirrorStages() []Stage {
	return []Stage{pinStage{}, locateStage{}, dryRunStage{}, fetchStage{}, mirrorCopyStage{}}
}

// ModuleStages build dynamic modules for an nginx that already exists: the
// same pipeline as a build, but make builds only the modules, which are
// copied to Mode.ModulesOut and test-loaded into the target binary.
func ModuleStages() []Stage {
	return []Stage{
		pinStage{plan.Options{Script: true, CheckNames: true}},
		locateStage{},
		dryRunStage{checkTools: true},
		toolchainStage{},
		buildLockStage{},
		workDirStage{},
		fetchStage{},
		prepareStage{},
		configureStage{},
		librariesStage{},
		makeModulesStage{},
	}
}
