package builder

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/pin"
)

// What make will compile is read from objs/Makefile as nginx's configure
// writes it: the libraries it builds in their own trees, with the targets
// it makes there, and nginx's and the modules' objects.
func TestPlanCompile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		goal string
		want []string // phase: targets made in its tree, or its object count
	}{
		{"", []string{
			"openssl-3.0.20 [ install_sw] markers [.openssl/include/openssl/ssl.h]",
			"pcre2-10.42 [libpcre2-8.la] markers [.libs/libpcre2-8.a]",
			"zlib-1.2.13 [libz.a] markers [libz.a]",
			"nginx: 3 objects, markers [objs/nginx]",
			"modules: 3 objects, markers [objs/ngx_http_headers_more_filter_module.so]",
		}},
		// make modules: a dynamic module needs OpenSSL's headers (built)
		// and PCRE2's (configured only), not zlib, nor nginx's objects.
		{"modules", []string{
			"openssl-3.0.20 [ install_sw] markers [.openssl/include/openssl/ssl.h]",
			"modules: 2 objects, markers [objs/ngx_http_headers_more_filter_module.so]",
		}},
	}
	for _, tt := range tests {
		t.Run("goal "+tt.goal, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "nginx-1.22.1")
			b, err := os.ReadFile(filepath.Join("testdata", "objs.Makefile"))
			if err != nil {
				t.Fatal(err)
			}
			testrepo.WriteFile(t, filepath.Join(dir, "objs", "Makefile"), string(b), 0o644)
			phases, _, err := planCompile(dir, []string{tt.goal}, "nginx", filepath.Base)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range phases {
				got = append(got, describePhase(dir, p))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("phases:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func describePhase(dir string, p *compilePhase) string {
	var markers []string
	for _, m := range p.markers {
		base := dir
		if p.dir != "" {
			base = p.dir
		}
		rel, _ := filepath.Rel(base, m)
		markers = append(markers, rel)
	}
	if p.dir != "" {
		return filepath.Base(p.dir) + " " + "[" + strings.Join(p.goals, " ") + "] markers [" + strings.Join(markers, " ") + "]"
	}
	return p.name + ": " + strconv.Itoa(len(p.objects)) + " objects, markers [" + strings.Join(markers, " ") + "]"
}

func TestLibraryRecipe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		recipe string
		dir    string
		goals  []string
		ok     bool
	}{
		{"cd ../openssl \t&& if [ -f Makefile ]; then $(MAKE) clean; fi \t&& ./config --prefix=/x no-shared \t&& $(MAKE) \t&& $(MAKE) install_sw LIBDIR=lib", "../openssl", []string{"", "install_sw"}, true},
		{"cd ../zlib && $(MAKE) distclean && CC=\"$(CC)\" ./configure && $(MAKE) libz.a", "../zlib", []string{"libz.a"}, true},
		{"cd ../pcre2 && $(MAKE) -j1 libpcre2-8.la;", "../pcre2", []string{"libpcre2-8.la"}, true},
		{"cd ../pcre2 && ./configure --disable-shared", "../pcre2", nil, true},
		{"$(CC) -c -o objs/a.o src/a.c", "", nil, false},
	}
	for _, tt := range tests {
		dir, goals, ok := libraryRecipe([]string{tt.recipe})
		if dir != tt.dir || !slices.Equal(goals, tt.goals) || ok != tt.ok {
			t.Errorf("libraryRecipe(%q) = %q, %q, %v; want %q, %q, %v", tt.recipe, dir, goals, ok, tt.dir, tt.goals, tt.ok)
		}
	}
}

// compilingTree lays out a build the way nginx's configure does, small
// and slow: objs/Makefile builds zlib in its own tree (configure, then
// make libz.a) and then nginx's objects, each compile taking a while.
func compilingTree(t *testing.T) *State {
	t.Helper()
	s := sourceTree(t, "build:\n\t$(MAKE) -f objs/Makefile\n")
	s.Resolved = resolved(s.Plan, pin.Component{Name: "nginx", Version: "1.30.1"}, pin.Component{Name: "zlib", Version: "1.2.13"})
	dir := s.buildDir()
	cc := filepath.Join(dir, "fakecc")
	testrepo.WriteFile(t, cc, `#!/bin/sh
sleep 0.15
while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
mkdir -p "$(dirname "$out")" && : > "$out"
`, 0o755)
	objs := "objs/src/core/nginx.o objs/src/core/ngx_log.o objs/src/http/ngx_http.o"
	mk := "CC = " + cc + "\n\nbuild:\tbinary\n\nbinary:\tobjs/nginx\n\n" +
		"objs/nginx:\t" + objs + " \\\n\t../zlib-1.2.13/libz.a\n\tcp objs/nginx.in objs/nginx\n\n"
	for _, o := range strings.Fields(objs) {
		mk += o + ":\t../zlib-1.2.13/libz.a\n\t$(CC) -c $(CFLAGS) \\\n\t\t-o " + o + " \\\n\t\tsrc/x.c\n\n"
	}
	mk += "../zlib-1.2.13/libz.a:\tobjs/Makefile\n\tcd ../zlib-1.2.13 \\\n\t&& $(MAKE) distclean \\\n\t&& CC=\"$(CC)\" ./configure \\\n\t&& $(MAKE) libz.a\n"
	src := s.sourceDir()
	testrepo.WriteFile(t, filepath.Join(src, "objs", "Makefile"), mk, 0o644)
	testrepo.WriteFile(t, filepath.Join(src, "objs", "nginx.in"), "#!/bin/sh\n", 0o755)
	zlib := filepath.Join(dir, "zlib-1.2.13")
	// zlib's tarball ships a Makefile that only says to configure.
	testrepo.WriteFile(t, filepath.Join(zlib, "Makefile"), "all:\n\t-@echo Please use ./configure first\ndistclean:\n\t@:\n", 0o644)
	testrepo.WriteFile(t, filepath.Join(zlib, "configure"), `#!/bin/sh
sleep 0.3
cat > Makefile <<EOF
CC = $CC
OBJZ = adler32.o crc32.o
OBJG = gzlib.o
OBJS = \$(OBJZ) \$(OBJG)
libz.a: \$(OBJS)
	touch libz.a
example.o: test/example.c
	\$(CC) -c -o example.o test/example.c
adler32.o:
	\$(CC) -c -o adler32.o adler32.c
crc32.o:
	\$(CC) -c -o crc32.o crc32.c
gzlib.o:
	\$(CC) -c -o gzlib.o gzlib.c
distclean:
	rm -f *.o libz.a
EOF
`, 0o755)
	return s
}

// Without a terminal, a make that outlasts the interval gets its plain
// lines (each component's objects done of its total), one line per
// component done with its duration, and the durations in Timings.
func TestMakeShowsCompileProgress(t *testing.T) {
	t.Parallel()
	s := compilingTree(t)
	s.Env.IO.ProgressEvery = 50 * time.Millisecond
	if err := (makeStage{}).Run(context.Background(), s); err != nil {
		t.Fatalf("%v\n%s", err, output(s))
	}
	out := output(s)
	for _, re := range []string{
		`(?m)^compiling: zlib 1\.2\.13 configuring, nginx 1\.30\.1 0/3 objects, [0-9.]+s$`,
		`(?m)^compiling: zlib 1\.2\.13 [0-2]/3 objects, nginx 1\.30\.1 0/3 objects, [0-9.]+s$`,
		`(?m)^compiled zlib 1\.2\.13: 3 objects in [0-9.]+s$`,
		`(?m)^compiling: nginx 1\.30\.1 [0-2]/3 objects, [0-9.]+s$`,
		`(?m)^compiled nginx 1\.30\.1: 3 objects in [0-9.]+s$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no line like %s in:\n%s", re, out)
		}
	}
	if strings.Index(out, "compiled zlib") > strings.Index(out, "compiled nginx") {
		t.Errorf("zlib, which nginx waits for, finished after it:\n%s", out)
	}
	var phases []string
	for _, tm := range s.Timings {
		phases = append(phases, tm.Phase)
		// Three compiles of 0.15 s each, at least.
		if tm.Took < 450*time.Millisecond {
			t.Errorf("%s took %s", tm.Phase, tm.Took)
		}
	}
	if !slices.Equal(phases, []string{"zlib", "nginx"}) {
		t.Errorf("timings for %q", phases)
	}
	if s.Built.Binary == "" {
		t.Error("no binary")
	}

	// Once more: make has nothing to do, and no phase is shown or timed.
	s.Timings = nil
	if err := (makeStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if len(s.Timings) != 0 {
		t.Errorf("an up-to-date make timed %v", s.Timings)
	}
}

// The progress ends with the run: a make that fails or is interrupted
// leaves no timings and no goroutine drawing.
func TestCompileProgressStopsWithMake(t *testing.T) {
	t.Parallel()
	s := compilingTree(t)
	s.Env.IO.ProgressEvery = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(400*time.Millisecond, cancel)
	start := time.Now()
	err := (makeStage{}).Run(ctx, s)
	if err == nil {
		t.Fatal("make survived its context")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("stopping took %s", took)
	}
	if len(s.Timings) != 0 {
		t.Errorf("timings of an interrupted make: %v", s.Timings)
	}
	// Nothing is printed after the stage returned.
	before := output(s)
	time.Sleep(100 * time.Millisecond)
	if after := output(s); after != before {
		t.Errorf("progress printed after make ended: %q", strings.TrimPrefix(after, before))
	}
}

// configure cannot say how many checks it will make: a running count and
// the time, each interval without a terminal, and its duration at the end.
func TestConfigureShowsProgress(t *testing.T) {
	t.Parallel()
	s := configuredTree(t, "")
	src := s.sourceDir()
	testrepo.WriteFile(t, filepath.Join(src, "configure"), `#!/bin/sh
for c in compiler epoll sendfile crypt; do echo "checking for $c ... found"; sleep 0.15; done
echo 'all:' > Makefile
`, 0o755)
	s.Env.IO.ProgressEvery = 40 * time.Millisecond
	if err := (configureStage{}).Run(context.Background(), s); err != nil {
		t.Fatalf("%v\n%s", err, output(s))
	}
	out := output(s)
	for _, re := range []string{
		`(?m)^configuring: nginx 1\.30\.1 running configure \([1-3] checks\), [0-9.]+s$`,
		`(?m)^configured nginx 1\.30\.1 in [0-9.]+s \(4 checks\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("no line like %s in:\n%s", re, out)
		}
	}
	if len(s.Timings) != 1 || s.Timings[0].Phase != "configure" || s.Timings[0].Took < 600*time.Millisecond {
		t.Errorf("timings = %v", s.Timings)
	}
}
