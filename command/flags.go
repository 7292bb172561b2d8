package command

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"mvdan.cc/sh/v3/shell"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/source"
)

// componentFlags choose what is built: the server and its static libraries.
type componentFlags struct {
	nginxVersion string

	pcre, openssl, libressl, zlib                bool
	pcreVersion, opensslVersion, libresslVersion string
	zlibVersion                                  string
	openresty, freenginx                         bool
	openrestyVersion, freenginxVersion           string
	customNginx, customNginxName, customNginxTag string
	customSSL, customSSLName, customSSLTag       string
}

// buildFlags are the flags of build (and of the root command, which builds).
type buildFlags struct {
	componentFlags
	trust         trustFlags
	workDir       string
	configureFile string
	modulesFile   string
	jobs          int
	patches       []string
	patchOpt      string
	clear         bool
	configureOnly bool
	idempotent    bool
	install       bool
	sudo          bool
	destDir       string
	ccache        bool
	openSSLDir    string
	ccacheRemote  string
	sbom          string
	extract       extractFlags
}

// globalFlags apply to every command.
type globalFlags struct {
	f        *Factory
	verbose  bool
	mirrors  []string
	source   string
	cacheDir string
	refresh  bool
}

// trustFlags control verification and the lockfile.
type trustFlags struct {
	verify   string
	keyrings []string
	lockfile string
	locked   bool
}

func addTrustFlags(fs *pflag.FlagSet, f *trustFlags) {
	fs.StringVar(&f.verify, "verify", "auto", "verification policy: auto (check all that can be checked; any failure is fatal), strict (also refuse what cannot be checked), off")
	fs.StringArrayVar(&f.keyrings, "keyring", nil, "also trust the OpenPGP public keys in `[NAME=]FILE`: for component NAME only (a signature by another key is then fatal), or as extra keys for all (armored or binary; repeatable)")
	fs.StringVar(&f.lockfile, "lockfile", "", "lockfile path (default ./nginx-build.lock); when it exists, builds use its pins")
	fs.BoolVar(&f.locked, "locked", false, "fail if the flags differ from the lockfile or anything does not match its pins (for CI)")
}

// apply loads keyrings and sets the trust fields of a plan.
func (f *trustFlags) apply(p *plan.Plan, fa *Factory) error {
	pol, err := fetch.ParsePolicy(f.verify)
	if err != nil {
		return usagef("%v", err)
	}
	p.Verify = pol
	keys, err := plan.ReadKeyrings(f.keyrings, p.Components(), fa.absOr)
	if err != nil {
		return err
	}
	p.ExtraKeys, p.ComponentKeys = keys.Extra, keys.Component
	p.Lockfile = f.lockfile
	if p.Lockfile == "" {
		p.Lockfile = defaultLockfile
	}
	if p.Lockfile, err = fa.abs(p.Lockfile); err != nil {
		return err
	}
	p.Locked = f.locked
	return nil
}

// planFlags control what a build or fetch does with its plan.
type planFlags struct {
	dryRun bool
	json   bool
	noWait bool
}

func addPlanFlags(fs *pflag.FlagSet, f *planFlags) {
	fs.BoolVar(&f.dryRun, "dry-run", false, "resolve everything and print the plan (versions, URLs, verification, configure script); download nothing")
	fs.BoolVar(&f.json, "json", false, "with --dry-run: print the plan as JSON")
}

// addNoWaitFlag adds --no-wait to the commands that build in a work dir.
func addNoWaitFlag(fs *pflag.FlagSet, noWait *bool) {
	fs.BoolVar(noWait, "no-wait", false, "fail at once when another run is building in the same build dir, instead of waiting for it")
}

func addGlobalFlags(fs *pflag.FlagSet, g *globalFlags, fa *Factory) {
	fs.BoolVar(&g.verbose, "verbose", false, "show configure and make output live, and more detail")
	fs.StringArrayVar(&g.mirrors, "mirror", fa.envList("NGINX_BUILD_MIRROR"),
		"take every tarball from this mirror (http(s):// URL, file:// URL or directory) instead of upstream; repeat it to give fallbacks, tried in order; a component given no version flag is built at the newest stable release the mirror has [env NGINX_BUILD_MIRROR, comma-separated]")
	fs.StringVar(&g.source, "source", fa.env("NGINX_BUILD_SOURCE"),
		"where tarballs come from: upstream (default) or debian (the upstream tarballs of Debian's source packages, via apt; without deb-src in the system's sources, from deb-src lists of nginx-build's own in the cache) [env NGINX_BUILD_SOURCE]")
	fs.BoolVar(&g.refresh, "refresh", false, "re-read upstream version indexes even if the cached copy is fresh (they are cached for an hour), and update nginx-build's own deb-src lists for --source debian (a day)")
	fs.StringVar(&g.cacheDir, "cache-dir", "", "download cache (default $NGINX_BUILD_CACHE, else $XDG_CACHE_HOME/nginx-build, else ~/.cache/nginx-build)")
}

func addComponentFlags(fs *pflag.FlagSet, f *componentFlags) {
	fs.StringVarP(&f.nginxVersion, "nginxversion", "v", defaultVersion("nginx"), "nginx version or constraint: 1.22.1, 1.27.x, ~1.26, \">=1.25, <1.27\", stable, mainline, latest")
	fs.BoolVar(&f.pcre, "pcre", false, "embed PCRE2 statically (--with-pcre=../pcre2-VERSION)")
	fs.StringVar(&f.pcreVersion, "pcreversion", defaultVersion("pcre2"), "PCRE2 version for -pcre")
	fs.BoolVar(&f.openssl, "openssl", false, "embed OpenSSL statically (--with-openssl=../openssl-VERSION)")
	fs.StringVar(&f.opensslVersion, "opensslversion", defaultVersion("openssl"), "OpenSSL version for -openssl")
	fs.BoolVar(&f.libressl, "libressl", false, "embed LibreSSL statically instead of OpenSSL")
	fs.StringVar(&f.libresslVersion, "libresslversion", defaultVersion("libressl"), "LibreSSL version for -libressl")
	fs.BoolVar(&f.zlib, "zlib", false, "embed zlib statically (--with-zlib=../zlib-VERSION)")
	fs.StringVar(&f.zlibVersion, "zlibversion", defaultVersion("zlib"), "zlib version for -zlib")
	fs.BoolVar(&f.openresty, "openresty", false, "build OpenResty instead of nginx")
	fs.StringVar(&f.openrestyVersion, "openrestyversion", defaultVersion("openresty"), "OpenResty version for -openresty")
	fs.BoolVar(&f.freenginx, "freenginx", false, "build freenginx instead of nginx")
	fs.StringVar(&f.freenginxVersion, "freenginxversion", defaultVersion("freenginx"), "freenginx version for -freenginx")
	fs.StringVar(&f.customNginx, "customnginx", "", "build a custom nginx from this git URL or tarball URL, in DIR/nginx/NAME/NAME-custom/")
	fs.StringVar(&f.customNginxName, "customnginxname", "", "name of the custom nginx (its work dir name; default "+defaultCustomNginxName+")")
	fs.StringVar(&f.customNginxTag, "customnginxtag", "", "git tag or branch of the custom nginx (default: the repository's default branch, pinned to its commit)")
	fs.StringVar(&f.customSSL, "customssl", "", "embed a custom SSL library from this git URL or tarball URL (--with-openssl=../NAME-custom)")
	fs.StringVar(&f.customSSLName, "customsslname", "", "name of the custom SSL library (default "+defaultCustomSSLName+")")
	fs.StringVar(&f.customSSLTag, "customssltag", "", "git tag or branch of the custom SSL library (default: the repository's default branch, pinned to its commit)")
}

func addBuildFlags(fs *pflag.FlagSet, f *buildFlags, fa *Factory) {
	addComponentFlags(fs, &f.componentFlags)
	addTrustFlags(fs, &f.trust)
	fs.StringVarP(&f.workDir, "workdir", "d", "", "work directory (required; created if missing): sources go to DIR/nginx/VERSION/")
	fs.StringVarP(&f.configureFile, "configure", "c", "", "configure script to start from (nginx-build -c format)")
	fs.StringVarP(&f.modulesFile, "modules", "m", "", "modules.json listing third-party modules to compile in")
	fs.IntVarP(&f.jobs, "jobs", "j", defaultJobs(), "parallel make jobs")
	fs.StringArrayVar(&f.patches, "patch", nil, "apply patch `[target=]PATH` before configure; target is nginx (default) or a library (repeatable)")
	fs.StringVar(&f.patchOpt, "patch-opt", "", "options for patch(1), e.g. \"-p1\"")
	fs.BoolVar(&f.clear, "clear", false, "remove DIR/nginx/VERSION first and build from scratch")
	fs.BoolVar(&f.configureOnly, "configureonly", false, "stop after configure (no make)")
	fs.BoolVar(&f.idempotent, "idempotent", false, "do nothing when the installed nginx ($NGINX_BIN, else --sbin-path/--prefix, else /usr/local/sbin/nginx) already is this build per its nginx -V; otherwise print what differs and build")
	fs.BoolVar(&f.install, "install", false, "run make install after the build (into the configured --prefix)")
	fs.BoolVar(&f.sudo, "sudo", false, "with --install: run make install through sudo")
	fs.StringVar(&f.destDir, "destdir", "", "with or without --install: stage make install into `DIR` (make's DESTDIR) instead of the live system")
	fs.StringVar(&f.openSSLDir, "openssldir", "", "with a static OpenSSL: the `DIR` it looks for openssl.cnf in on the machine nginx runs on (default: the build machine's own, per `openssl version -d`, e.g. /usr/lib/ssl on Debian)")
	fs.BoolVar(&f.ccache, "ccache", false, "put ccache in front of the compiler (default: on when ccache is on PATH, NGINX_BUILD_CCACHE is not 0 and its cache already holds objects or its cache dir or remote storage is configured; --ccache=false turns it off)")
	fs.StringVar(&f.ccacheRemote, "ccache-remote", "", "share compiled objects through ccache's remote storage at `URL` (redis://, redis+unix:, http://, file://); implies --ccache")
	fs.StringVar(&f.sbom, "sbom", "", "write a CycloneDX JSON SBOM of the build to `FILE` (also when it is up to date)")
	addExtractFlags(fs, &f.extract, fa)
}

// ccacheSchemes are the remote storage backends ccache 4.x knows.
func ccacheSchemes() []string { return []string{"redis", "redis+unix", "http", "file"} }

// ccacheFlags is the plan's ccache mode and remote storage from --ccache
// (given: set) and --ccache-remote.
func ccacheFlags(set, on bool, remote string) (plan.CCacheMode, string, error) {
	if remote != "" {
		if set && !on {
			return 0, "", usagef("--ccache=false and --ccache-remote cannot be used together: the remote storage is ccache's")
		}
		if err := checkCCacheRemote(remote); err != nil {
			return 0, "", err
		}
		return plan.CCacheOn, remote, nil
	}
	switch {
	case !set:
		return plan.CCacheAuto, "", nil
	case on:
		return plan.CCacheOn, "", nil
	}
	return plan.CCacheOff, "", nil
}

// needCCache refuses --ccache and --ccache-remote on a machine without
// ccache before anything is fetched (the build would stop at configure).
func needCCache(p *plan.Plan) error {
	if p.CCache != plan.CCacheOn {
		return nil
	}
	if _, err := exec.LookPath("ccache"); err == nil {
		return nil
	}
	if p.CCacheRemote != "" {
		return usagef("--ccache-remote: ccache is not on PATH; install it (apt-get install ccache) or leave --ccache-remote out")
	}
	return usagef("--ccache: ccache is not on PATH; install it (apt-get install ccache) or leave --ccache out")
}

// checkCCacheRemote refuses a --ccache-remote URL whose scheme ccache has
// no backend for: ccache itself would only log it and compile without.
// (ccache also takes several URLs separated by spaces, and |attributes.)
func checkCCacheRemote(remote string) error {
	if strings.TrimSpace(remote) == "" {
		return usagef("--ccache-remote is empty: give a URL such as redis://127.0.0.1:6379")
	}
	for _, one := range strings.Fields(remote) {
		u, err := url.Parse(strings.SplitN(one, "|", 2)[0])
		if err != nil || u.Scheme == "" {
			return usagef("--ccache-remote %q is not a URL: give e.g. redis://127.0.0.1:6379 or http://cache.example/ccache", one)
		}
		if !slices.Contains(ccacheSchemes(), u.Scheme) {
			return usagef("--ccache-remote %q: ccache has no %s: storage; use one of %s", one, u.Scheme, strings.Join(ccacheSchemes(), ", "))
		}
	}
	return nil
}

// defaultJobs is one make job per CPU.
func defaultJobs() int { return runtime.NumCPU() }

func defaultVersion(name string) string {
	c, err := source.Lookup(name)
	if err != nil {
		return ""
	}
	return c.DefaultVersion
}

// validateComponents checks the component flags and turns them into specs.
func (f *componentFlags) specs(changed func(string) bool, warn func(string, ...any)) (plan.Component, []plan.Component, error) {
	exclusive := func(names ...string) error {
		var set []string
		for _, n := range names {
			if changed(n) {
				set = append(set, "-"+n)
			}
		}
		if len(set) > 1 {
			return usagef("%s cannot be used together: choose one", strings.Join(set, " and "))
		}
		return nil
	}
	if err := exclusive("openresty", "freenginx", "customnginx"); err != nil {
		return plan.Component{}, nil, err
	}
	if err := exclusive("openssl", "libressl", "customssl"); err != nil {
		return plan.Component{}, nil, err
	}
	for _, pair := range [][2]string{
		{"customnginxname", "customnginx"}, {"customnginxtag", "customnginx"},
		{"customsslname", "customssl"}, {"customssltag", "customssl"},
	} {
		if changed(pair[0]) && !changed(pair[1]) {
			return plan.Component{}, nil, usagef("-%s needs -%s URL", pair[0], pair[1])
		}
	}
	customNginx := customSpec(f.customNginx, f.customNginxName, defaultCustomNginxName, f.customNginxTag)
	customSSL := customSpec(f.customSSL, f.customSSLName, defaultCustomSSLName, f.customSSLTag)
	if customNginx.Custom() && customSSL.Custom() && strings.EqualFold(customNginx.Name, customSSL.Name) {
		return plan.Component{}, nil, usagef("-customnginxname and -customsslname are both %q: their trees would be the same %s directory; give them different names", customNginx.Name, plan.CustomTreeName(customNginx.Name))
	}
	for _, c := range []struct {
		flag, tag string
		spec      plan.Component
	}{
		{"customnginx", f.customNginxTag, customNginx},
		{"customssl", f.customSSLTag, customSSL},
	} {
		if !c.spec.Custom() {
			continue
		}
		if err := checkCustom(c.flag, c.spec.Name, c.tag); err != nil {
			return plan.Component{}, nil, err
		}
	}
	// Version flags are only meaningful with their switch; say so rather
	// than silently ignoring a pin the user thinks applies.
	for _, pair := range [][2]string{
		{"pcreversion", "pcre"}, {"opensslversion", "openssl"}, {"libresslversion", "libressl"},
		{"zlibversion", "zlib"}, {"openrestyversion", "openresty"}, {"freenginxversion", "freenginx"},
	} {
		if changed(pair[0]) && !changed(pair[1]) {
			warn("-%s has no effect without -%s", pair[0], pair[1])
		}
	}
	version := func(flag, name, v string) (string, error) {
		c, err := source.Lookup(name)
		if err != nil {
			return "", err
		}
		if _, err := source.ParseConstraint(c, v); err != nil {
			return "", usagef("-%s: %v", flag, err)
		}
		return v, nil
	}
	server := plan.Component{Name: "nginx", Constraint: f.nginxVersion}
	serverFlag := "v"
	if customNginx.Custom() {
		server = customNginx
	}
	switch {
	case server.Custom():
	case f.openresty:
		server, serverFlag = plan.Component{Name: "openresty", Constraint: f.openrestyVersion}, "openrestyversion"
	case f.freenginx:
		server, serverFlag = plan.Component{Name: "freenginx", Constraint: f.freenginxVersion}, "freenginxversion"
	}
	if !server.Custom() {
		var err error
		if server.Constraint, err = version(serverFlag, server.Name, server.Constraint); err != nil {
			return server, nil, err
		}
	}
	var libs []plan.Component
	add := func(on bool, name, flag, v string) error {
		if !on {
			return nil
		}
		v, err := version(flag, name, v)
		if err != nil {
			return err
		}
		libs = append(libs, plan.Component{Name: name, Constraint: v})
		return nil
	}
	if err := add(f.pcre, "pcre2", "pcreversion", f.pcreVersion); err != nil {
		return server, nil, err
	}
	if err := add(f.openssl, "openssl", "opensslversion", f.opensslVersion); err != nil {
		return server, nil, err
	}
	if err := add(f.libressl, "libressl", "libresslversion", f.libresslVersion); err != nil {
		return server, nil, err
	}
	if customSSL.Custom() {
		libs = append(libs, customSSL)
	}
	if err := add(f.zlib, "zlib", "zlibversion", f.zlibVersion); err != nil {
		return server, nil, err
	}
	return server, libs, nil
}

// workDirUse says whether a command builds in -d DIR, which it then
// requires, or only resolves (lock, mirror: -d is accepted and ignored).
type workDirUse bool

const (
	buildsInWorkDir workDirUse = true
	noWorkDir       workDirUse = false
)

// unsafeInPath are the characters nginx's configure cannot take in the
// path of its source tree: it evaluates paths inside quoted shell strings
// (eval "..."), so one of them ends the string early, or expands.
const unsafeInPath = "'\"$`\n"

// checkWorkDirPath refuses a work dir (absolute) that nginx's configure
// would fail in, up front: otherwise the build gets as far as configure
// and fails there with "Unterminated quoted string".
func checkWorkDirPath(work string) error {
	if i := strings.IndexAny(work, unsafeInPath); i >= 0 {
		return usagef("-d: the work directory %q contains %q, which nginx's configure cannot handle (it evaluates paths in shell code); use a directory whose path has none of ' \" $ ` or a newline", work, work[i:i+1])
	}
	return nil
}

// toPlan turns validated build flags into a plan.Plan.
func (f *buildFlags) toPlan(ctx context.Context, g *globalFlags, changed func(string) bool, warn func(string, ...any), extraArgs []string, use workDirUse) (*plan.Plan, error) {
	workDir := f.workDir
	switch {
	case workDir == "" && use == buildsInWorkDir:
		return nil, usagef("missing -d DIR: the work directory to build in (e.g. nginx-build -d work)")
	case workDir == "":
		workDir = "." // nothing is built; messages name paths as a build here would
	}
	if f.jobs < 1 {
		return nil, usagef("-j must be at least 1, got %d", f.jobs)
	}
	server, libs, err := f.specs(changed, warn)
	if err != nil {
		return nil, err
	}
	work, err := g.f.abs(workDir)
	if err != nil {
		return nil, fmt.Errorf("-d %s: %w", workDir, err)
	}
	if use == buildsInWorkDir {
		if err := checkWorkDirPath(work); err != nil {
			return nil, err
		}
	}
	p := &plan.Plan{
		WorkDir: work, Server: server, Libraries: libs, ExtraArgs: extraArgs,
		Jobs: f.jobs, Clear: f.clear, ConfigureOnly: f.configureOnly, Idempotent: f.idempotent,
		NginxBin: g.f.env("NGINX_BIN"), Install: f.install || f.destDir != "", Sudo: f.sudo,
	}
	switch {
	case f.sudo && !p.Install:
		return nil, usagef("--sudo goes with --install")
	case f.sudo && f.destDir != "":
		return nil, usagef("--sudo and --destdir cannot be used together: a staging dir needs no root")
	case p.Install && f.configureOnly:
		return nil, usagef("--install and -configureonly cannot be used together: nothing is compiled to install")
	}
	if p.CCache, p.CCacheRemote, err = ccacheFlags(changed("ccache"), f.ccache, f.ccacheRemote); err != nil {
		return nil, err
	}
	if err := needCCache(p); err != nil {
		return nil, err
	}
	if f.openSSLDir != "" {
		if !filepath.IsAbs(f.openSSLDir) || strings.ContainsAny(f.openSSLDir, " \t\n'\"\\$`") {
			return nil, usagef("--openssldir %q: give an absolute directory without spaces or quotes, e.g. --openssldir /etc/ssl", f.openSSLDir)
		}
		p.OpenSSLDir = filepath.Clean(f.openSSLDir)
	}
	if f.destDir != "" {
		if p.DestDir, err = g.f.abs(f.destDir); err != nil {
			return nil, fmt.Errorf("--destdir %s: %w", f.destDir, err)
		}
	}
	p.GitSources = plan.GitSourcesOf(p.Components())
	if f.configureFile != "" {
		p.ConfigureFile = f.configureFile
		if p.ConfigureScript, err = plan.ReadConfigureScript(f.configureFile, g.f.absOr(f.configureFile)); err != nil {
			return nil, err
		}
	}
	if f.modulesFile != "" {
		mods, data, err := plan.ReadModules(ctx, g.f.absOr(f.modulesFile), warn)
		if err != nil {
			return nil, err
		}
		p.Modules, p.ModulesFile = mods, string(data)
	}
	for _, spec := range f.patches {
		pts, err := plan.ParsePatch(spec, p.Components(), g.f.absOr)
		if err != nil {
			return nil, err
		}
		p.Patches = append(p.Patches, pts...)
	}
	if f.patchOpt != "" {
		words, err := shell.Fields(f.patchOpt, func(string) string { return "" })
		if err != nil {
			return nil, usagef("-patch-opt %q: %v", f.patchOpt, err)
		}
		p.PatchOpt = words
	}
	if err := g.apply(p); err != nil {
		return nil, err
	}
	p = plan.WithDebianDefaults(p, versionChosen(changed))
	p = plan.WithMirrorDefaults(p, versionChosen(changed))
	if err := f.trust.apply(p, g.f); err != nil {
		return nil, err
	}
	if err := f.extract.apply(p); err != nil {
		return nil, err
	}
	return p, nil
}

func (g *globalFlags) apply(p *plan.Plan) error {
	var err error
	p.Refresh = g.refresh
	if p.CacheDir, err = g.f.cacheDir(g.cacheDir); err != nil {
		return err
	}
	origins, err := g.origins(p.CacheDir)
	if err != nil {
		return err
	}
	p.Mirror, p.FallbackMirrors = origins[0], origins[1:]
	return nil
}

// checkMirrorEnv refuses an NGINX_BUILD_MIRROR that is set but names no
// mirror (",,,", " "): taken as no mirror, the run would silently go to
// upstream, which is what setting it was meant to avoid. An empty value
// is unset, as usual for the environment; --mirror replaces it.
func (g *globalFlags) checkMirrorEnv() error {
	const name = "NGINX_BUILD_MIRROR"
	v := g.f.env(name)
	if len(g.mirrors) == 0 && v != "" && len(g.f.envList(name)) == 0 {
		return usagef("%s=%q names no mirror: give a URL or directory (several separated by commas), or unset it to use upstream", name, v)
	}
	return nil
}

// origins is where tarballs come from, first choice first: upstream,
// the --mirror list, or --source debian.
func (g *globalFlags) origins(cacheDir string) ([]source.Mirror, error) {
	if err := g.checkMirrorEnv(); err != nil {
		return nil, err
	}
	switch g.source {
	case "", "upstream":
	case "debian":
		if len(g.mirrors) > 0 {
			return nil, usagef("--source debian and --mirror cannot be used together: choose one")
		}
		apt := source.AptOptions{Refresh: g.refresh, Now: g.f.Now, Infof: g.f.IO.Infof, Warnf: g.f.IO.Warnf}
		return []source.Mirror{source.DebianArchive(filepath.Join(cacheDir, "debian"), apt)}, nil
	default:
		return nil, usagef("--source %q: use upstream (the default) or debian", g.source)
	}
	if len(g.mirrors) == 0 {
		return []source.Mirror{{}}, nil
	}
	var out []source.Mirror
	for _, s := range g.mirrors {
		if strings.TrimSpace(s) == "" {
			return nil, usagef("--mirror: empty value; give a URL or directory, or leave --mirror out to use upstream")
		}
		m, err := source.ParseMirror(s)
		if err != nil {
			return nil, usagef("--mirror: %v", err)
		}
		out = append(out, m)
	}
	return out, nil
}

var customNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// The names of custom components given without -customnginxname or
// -customsslname, as nginx-build calls them.
const (
	defaultCustomNginxName = "customnginx"
	defaultCustomSSLName   = "customssl"
)

// checkCustom validates the name and tag of -customnginx/-customssl.
func checkCustom(flag, name, tag string) error {
	switch {
	case !customNamePattern.MatchString(name):
		return usagef("-%sname %q must be a plain name (letters, digits, . _ + -)", flag, name)
	case name[0] >= '0' && name[0] <= '9':
		// DIR/nginx/NAME would be the build dir of nginx version NAME.
		return usagef("-%sname %q starts with a digit, like an nginx version, whose build dir it would share; choose a name that starts with a letter", flag, name)
	case tag != "" && !customNamePattern.MatchString(tag):
		return usagef("-%stag %q must be a plain tag or branch name", flag, tag)
	}
	if _, err := source.Lookup(name); err == nil {
		return usagef("-%sname %q is the name of a built-in component; choose another", flag, name)
	}
	return nil
}

// customSpec describes a custom component (none when url is empty),
// called defaultName without a name. Without a tag, a tarball is called
// "custom" and a git repository is built from its default branch
// (plan.DefaultBranch).
func customSpec(url, name, defaultName, tag string) plan.Component {
	if url == "" {
		return plan.Component{}
	}
	if name == "" {
		name = defaultName
	}
	switch {
	case tag != "":
	case plan.IsTarballURL(url):
		tag = "custom"
	default:
		tag = plan.DefaultBranch
	}
	return plan.Component{Name: name, Constraint: tag, CustomURL: url}
}

// versionFlags names each component's version flag.
func versionFlags() map[string]string {
	return map[string]string{"nginx": "nginxversion", "pcre2": "pcreversion", "openssl": "opensslversion", "zlib": "zlibversion",
		"libressl": "libresslversion", "openresty": "openrestyversion", "freenginx": "freenginxversion"}
}

// versionChosen reports whether the user gave a component's version
// (-v also counts for the server).
func versionChosen(changed func(string) bool) func(string) bool {
	flags := versionFlags()
	return func(component string) bool {
		return changed(flags[component]) || (changed("v") && (component == "nginx" || component == "openresty" || component == "freenginx"))
	}
}
