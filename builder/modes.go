package builder

// The stage list of each mode, in one place: each reads like the table of
// contents of what the command does. Order is the contract between stages:
// a stage reads only what the stages before it recorded.
//
//   - lockPinStage before versionsStage: locked versions need no index.
//   - mirrorModulesStage before moduleCommitsStage: a mirror's index pins
//     commits without asking the network.
//   - moduleCommitsStage before upToDateStage: the input digest hashes the
//     commits.
//   - scriptStage before dryRunStage: a dry run prints the script.
//   - upToDateStage and idempotentStage stop a build early (ErrStop);
//     installStage is final and installs an up-to-date build too.

// BuildStages is the whole build, in order.
func BuildStages() []Stage {
	return []Stage{
		lockPinStage{},
		versionsStage{},
		moduleNamesStage{},
		mirrorModulesStage{},
		moduleCommitsStage{},
		upToDateStage{},
		resolveStage{},
		scriptStage{},
		dryRunStage{},
		idempotentStage{},
		fetchStage{},
		prepareStage{},
		lockWriteStage{},
		configureStage{},
		makeStage{},
		reportStage{},
		installStage{},
	}
}

// FetchStages resolves and downloads into the cache, and stops there.
func FetchStages() []Stage {
	return []Stage{lockPinStage{}, versionsStage{}, resolveStage{}, dryRunStage{}, fetchStage{}}
}

// LockStages resolve afresh, download and verify everything, pin module
// commits, and write the lockfile; nothing is built.
func LockStages() []Stage {
	return []Stage{versionsStage{}, moduleNamesStage{}, mirrorModulesStage{}, resolveStage{}, dryRunStage{}, moduleCommitsStage{}, fetchStage{}, lockWriteStage{}}
}

// MirrorStages resolve a plan (or take a lockfile's pins), download and
// verify everything — tarballs, tarball and Debian modules, git modules
// and git sources into the cache — and copy it into a mirror directory.
func MirrorStages() []Stage {
	return []Stage{lockPinStage{}, versionsStage{}, mirrorModulesStage{}, moduleCommitsStage{}, resolveStage{}, dryRunStage{}, fetchStage{}, mirrorCopyStage{}}
}

// ModuleStages build dynamic modules for an nginx that already exists: the
// same pipeline as a build, but make builds only the modules, which are
// copied to Plan.ModulesOut and test-loaded into the target binary.
func ModuleStages() []Stage {
	return []Stage{
		versionsStage{},
		moduleNamesStage{},
		mirrorModulesStage{},
		resolveStage{},
		scriptStage{},
		dryRunStage{},
		moduleCommitsStage{},
		fetchStage{},
		prepareStage{},
		configureStage{},
		makeModulesStage{},
	}
}
