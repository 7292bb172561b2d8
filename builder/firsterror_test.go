package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/pin"
)

// buildTrees lays out a build dir as nginx-build does (nginx, OpenSSL,
// PCRE2 and a module beside each other, with a few of their real files)
// and returns its owners, the server first.
func buildTrees(t *testing.T) (string, []logOwner) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{
		"nginx-1.22.1/configure", "nginx-1.22.1/src/core/nginx.c", "nginx-1.22.1/src/core/ngx_module.h",
		"openssl-3.0.20/Configure", "openssl-3.0.20/crypto/aes/aes_core.c",
		"pcre2-10.42/configure", "pcre2-10.42/src/pcre2_compile.c",
		"echo-nginx-module/config", "echo-nginx-module/src/ngx_http_echo_module.c",
	} {
		testrepo.WriteFile(t, filepath.Join(dir, f), "", 0o644)
	}
	return dir, []logOwner{
		{Label: "nginx 1.22.1", Dir: filepath.Join(dir, "nginx-1.22.1"), OwnLogs: []string{"objs/autoconf.err"}},
		{Label: "openssl 3.0.20", Dir: filepath.Join(dir, "openssl-3.0.20"), OwnLogs: []string{"config.log"}},
		{Label: "pcre2 10.42", Dir: filepath.Join(dir, "pcre2-10.42"), OwnLogs: []string{"config.log"}},
		{Label: "module echo", Dir: filepath.Join(dir, "echo-nginx-module"), module: true},
	}
}

// pcre2Summary is the end of PCRE2's configure: what a -j2 build's last
// lines were when OpenSSL had failed long before.
func pcre2Summary(n int) string {
	var b strings.Builder
	b.WriteString("\npcre2-10.42 configuration summary:\n\n")
	for i := range n {
		fmt.Fprintf(&b, "    Option %d ........................ : yes\n", i)
	}
	return b.String()
}

func TestFindFirstError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// log is the step's log; BUILD stands for the build dir.
		log       string
		configure bool
		// ownLog is created in the failed component's tree.
		ownLog string
		// want: the component, the error line's text, and what the
		// excerpt must not show.
		wantComponent, wantLine, wantOwnLog string
		wantExcerpt, notInExcerpt           []string
		wantNil                             bool
	}{
		{
			name: "OpenSSL's config fails while PCRE2 configures (-j2)",
			log: `make -f objs/Makefile
make[1]: Entering directory 'BUILD/nginx-1.22.1'
cd ../pcre2-10.42 \
&& if [ -f Makefile ]; then make distclean; fi \
./configure --disable-shared
cd ../openssl-3.0.20 \
&& if [ -f Makefile ]; then make clean; fi \
&& ./config --prefix=BUILD/openssl-3.0.20/.openssl no-shared no-threads  \
&& make \
checking for a BSD-compatible install... /usr/bin/install -c
/bin/sh: 3: ./config: not found
checking whether build environment is sane... yes
make[1]: *** [objs/Makefile:1249: ../openssl-3.0.20/.openssl/include/openssl/ssl.h] Error 127
make[1]: *** Waiting for unfinished jobs....
checking for a race-free mkdir -p... /usr/bin/mkdir -p` + pcre2Summary(45) + `
make[1]: Leaving directory 'BUILD/nginx-1.22.1'
make: *** [Makefile:10: build] Error 2`,
			wantComponent: "openssl 3.0.20", wantLine: "/bin/sh: 3: ./config: not found",
			notInExcerpt: []string{"configuration summary", "Waiting for unfinished jobs", "make: ***"},
		},
		{
			name: "a compile error in OpenSSL's own make",
			log: `cd ../openssl-3.0.20 \
&& ./config --prefix=BUILD/openssl-3.0.20/.openssl no-shared no-threads  \
make[2]: Entering directory 'BUILD/openssl-3.0.20'
gcc  -Iinclude -c -o crypto/aes/libcrypto-lib-aes_core.o crypto/aes/aes_core.c
crypto/aes/aes_core.c:42:1: error: unknown type name 'u32x'
   42 | u32x te0;
make[2]: *** [Makefile:4021: crypto/aes/libcrypto-lib-aes_core.o] Error 1
make[2]: Leaving directory 'BUILD/openssl-3.0.20'
cd ../pcre2-10.42 \
src/pcre2_compile.c:10:1: warning: unused
make[1]: *** [objs/Makefile:1249: ../openssl-3.0.20/.openssl/include/openssl/ssl.h] Error 2
make: *** [Makefile:10: build] Error 2`,
			wantComponent: "openssl 3.0.20", wantLine: "crypto/aes/aes_core.c:42:1: error: unknown type name 'u32x'",
			notInExcerpt: []string{"cd ../pcre2-10.42"},
		},
		{
			name: "a module's error inside one of nginx's headers is the module's",
			log: `cd ../pcre2-10.42 \
cc -c -pipe -O -W -Wall -I src/core -I objs \
	-o objs/addon/src/ngx_http_echo_module.o \
	../echo-nginx-module/src/ngx_http_echo_module.c
In file included from src/core/ngx_core.h:88,
                 from ../echo-nginx-module/src/ngx_http_echo_module.c:2:
src/core/ngx_module.h:219:32: error: expected '}' before numeric constant
  219 | #define NGX_MODULE_V1_PADDING  0, 0, 0, 0, 0, 0, 0, 0
../pcre2-10.42/src/pcre2_compile.c:1:1: error: not this one
make[1]: *** [objs/Makefile:1210: objs/addon/src/ngx_http_echo_module.o] Error 1`,
			wantComponent: "module echo", wantLine: "src/core/ngx_module.h:219:32: error: expected '}' before numeric constant",
			notInExcerpt: []string{"not this one"},
		},
		{
			name: "a module's diagnostic keeps its quotes of the source while PCRE2's sub-make runs",
			log: `cc -c -o objs/addon/src/ngx_http_echo_module.o \
	../echo-nginx-module/src/ngx_http_echo_module.c
cd ../pcre2-10.42 \
&& make libpcre2-8.la
make[2]: Entering directory 'BUILD/pcre2-10.42'
  CC       src/libpcre2_8_la-pcre2_auto_possess.lo
../echo-nginx-module/src/ngx_http_echo_module.c:7:17: error: 'x' undeclared
    7 |     x = 1;
      |     ^
In file included from src/core/ngx_core.h:88,
                 from ../echo-nginx-module/src/ngx_http_echo_module.c:2:
src/core/ngx_module.h:219:32: error: expected '}'
  219 | #define NGX_MODULE_V1_PADDING  0, 0
  CC       src/libpcre2_8_la-pcre2_compile.lo
make[1]: *** [objs/Makefile:1210: objs/addon/src/ngx_http_echo_module.o] Error 1`,
			wantComponent: "module echo", wantLine: "../echo-nginx-module/src/ngx_http_echo_module.c:7:17: error: 'x' undeclared",
			wantExcerpt:  []string{"    7 |     x = 1;", "      |     ^", "In file included from src/core/ngx_core.h:88,", "  219 | #define NGX_MODULE_V1_PADDING  0, 0"},
			notInExcerpt: []string{"CC       src/libpcre2", "&& make libpcre2-8.la"},
		},
		{
			name: "a failed module object without a compiler error names the module",
			log: `cc -c -o objs/addon/src/ngx_http_echo_module.o ../echo-nginx-module/src/ngx_http_echo_module.c
Killed
make[1]: *** [objs/Makefile:1210: objs/addon/src/ngx_http_echo_module.o] Error 137`,
			wantComponent: "module echo", wantLine: "make[1]: *** [objs/Makefile:1210: objs/addon/src/ngx_http_echo_module.o] Error 137",
		},
		{
			name: "nginx's own compile error while PCRE2 is still configuring",
			log: `make[2]: Entering directory 'BUILD/pcre2-10.42'
checking for strerror... yes
src/core/nginx.c:12:5: error: 'foo' undeclared
checking for zlib.h... yes
make[1]: *** [objs/Makefile:300: objs/src/core/nginx.o] Error 1`,
			wantComponent: "nginx 1.22.1", wantLine: "src/core/nginx.c:12:5: error: 'foo' undeclared",
			notInExcerpt: []string{"checking for strerror", "checking for zlib.h"},
		},
		{
			name: "PCRE2's configure fails: its config.log is named",
			log: `cd ../pcre2-10.42 \
./configure --disable-shared
checking for gcc... no
configure: error: no acceptable C compiler found in $PATH
make[1]: *** [objs/Makefile:1270: ../pcre2-10.42/Makefile] Error 1`,
			ownLog:        "config.log",
			wantComponent: "pcre2 10.42", wantLine: "configure: error: no acceptable C compiler found in $PATH", wantOwnLog: "pcre2-10.42/config.log",
		},
		{
			name:      "nginx's configure fails: objs/autoconf.err is named",
			configure: true,
			log: `checking for PCRE2 library ... not found
checking for PCRE library ... not found
./configure: error: the HTTP rewrite module requires the PCRE library.
You can either disable the module by using --without-http_rewrite_module`,
			ownLog:        "objs/autoconf.err",
			wantComponent: "nginx 1.22.1", wantLine: "./configure: error: the HTTP rewrite module requires the PCRE library.", wantOwnLog: "nginx-1.22.1/objs/autoconf.err",
		},
		{
			name:      "a module's config script fails in configure",
			configure: true,
			log: `configuring additional modules
adding module in ../echo-nginx-module
./configure: error: no ngx_http_echo_module dependencies found
`,
			wantComponent: "module echo", wantLine: "./configure: error: no ngx_http_echo_module dependencies found",
		},
		{
			name:    "no error in the log",
			log:     "checking for OS\n + Linux 6.1\nKilled\n",
			wantNil: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, owners := buildTrees(t)
			logPath := filepath.Join(owners[0].Dir, "nginx-build.log")
			testrepo.WriteFile(t, logPath, strings.ReplaceAll(tt.log, "BUILD", dir)+"\n", 0o644)
			if tt.ownLog != "" {
				testrepo.WriteFile(t, filepath.Join(filepath.Dir(owners[0].Dir), tt.wantOwnLog), "details\n", 0o644)
			}
			fe := findFirstError(logPath, owners)
			if tt.wantNil {
				if fe != nil {
					t.Fatalf("found %+v in a log without errors", fe)
				}
				return
			}
			if fe == nil {
				t.Fatal("no first error found")
			}
			if fe.Component != tt.wantComponent {
				t.Errorf("component %q, want %q", fe.Component, tt.wantComponent)
			}
			var line string
			var excerpt strings.Builder
			for _, l := range fe.Excerpt {
				if l.N == fe.Line {
					line = l.Text
				}
				excerpt.WriteString(l.Text + "\n")
			}
			if line != tt.wantLine {
				t.Errorf("first error %q (line %d), want %q\n%s", line, fe.Line, tt.wantLine, excerpt.String())
			}
			for _, want := range tt.wantExcerpt {
				if !strings.Contains(excerpt.String(), want+"\n") {
					t.Errorf("excerpt lacks %q:\n%s", want, excerpt.String())
				}
			}
			for _, no := range tt.notInExcerpt {
				if strings.Contains(excerpt.String(), no) {
					t.Errorf("excerpt shows %q:\n%s", no, excerpt.String())
				}
			}
			if want := filepath.Join(dir, tt.wantOwnLog); tt.wantOwnLog != "" && fe.OwnLog != want {
				t.Errorf("own log %q, want %q", fe.OwnLog, want)
			}
			if tt.wantOwnLog == "" && fe.OwnLog != "" {
				t.Errorf("own log %q named, but none was written", fe.OwnLog)
			}
		})
	}
}

// TestMakeFailureNamesTheFailedLibrary runs a real make -j2 over a tree
// laid out like nginx's: objs/Makefile builds two libraries in their
// trees as nginx's does; OpenSSL's config is missing and fails at once,
// PCRE2 goes on printing its summary. The error must name OpenSSL and
// show its line, where the log's last lines are all PCRE2's.
func TestMakeFailureNamesTheFailedLibrary(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	s, _ := unitState(t)
	s.Plan.Jobs = 2
	s.Plan.Modules = []module3rd.Module{{Name: "echo", Form: module3rd.FormGit}}
	s.Resolved = resolved(s.Plan,
		pin.Component{Name: "nginx", Version: "1.30.1"},
		pin.Component{Name: "pcre2", Version: "10.42"},
		pin.Component{Name: "openssl", Version: "3.0.20"})
	s.toolchain = &toolchain{}
	src := s.sourceDir()
	testrepo.WriteFile(t, filepath.Join(src, "Makefile"), "build:\n\t$(MAKE) -f objs/Makefile\n", 0o644)
	testrepo.WriteFile(t, filepath.Join(src, "objs", "Makefile"), `all: ../pcre2-10.42/Makefile ../openssl-3.0.20/.openssl/include/openssl/ssl.h

../pcre2-10.42/Makefile:
	cd ../pcre2-10.42 \
	&& ./configure --disable-shared

../openssl-3.0.20/.openssl/include/openssl/ssl.h:
	cd ../openssl-3.0.20 \
	&& ./config --prefix=/x no-shared \
	&& $(MAKE)
`, 0o644)
	pcre2 := s.Resolved.TreeDir(s.Resolved.Components[1])
	testrepo.WriteFile(t, filepath.Join(pcre2, "configure"),
		"#!/bin/sh\nsleep 1\necho 'checking for gcc... gcc'\ncat <<'END'"+pcre2Summary(45)+"END\ntouch Makefile\n", 0o755)
	if err := os.MkdirAll(s.Resolved.TreeDir(s.Resolved.Components[2]), 0o755); err != nil {
		t.Fatal(err)
	}

	err := makeStage{}.Run(context.Background(), s)
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("make: %v, want a StepError", err)
	}
	logPath := filepath.Join(src, "nginx-build.log")
	if tail := strings.Join(lastLines(logPath, tailLines), "\n"); strings.Contains(tail, "./config") {
		t.Fatalf("the log's tail shows OpenSSL's error; the test shows nothing:\n%s", tail)
	}
	msg := err.Error()
	for _, want := range []string{
		"the first error is in openssl 3.0.20 (" + s.Resolved.TreeDir(s.Resolved.Components[2]) + ")",
		"./config: not found",
		"full log: " + logPath,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	for _, no := range []string{"configuration summary", "last 40 lines"} {
		if strings.Contains(msg, no) {
			t.Errorf("error shows %q:\n%s", no, msg)
		}
	}
}

func TestStepErrorMessage(t *testing.T) {
	t.Parallel()
	e := &StepError{Step: "make", Log: "/w/nginx-build.log", Tail: []string{"a", "Killed"}, Err: errors.New("exit status 2")}
	want := "make failed: exit status 2\n--- last 2 lines of /w/nginx-build.log ---\na\nKilled\n---\nfull log: /w/nginx-build.log"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	e.First = &FirstError{Component: "openssl 3.0.20", Dir: "/w/openssl-3.0.20", Line: 9,
		Excerpt: []LogLine{{8, "cd ../openssl-3.0.20 \\"}, {9, "/bin/sh: 3: ./config: not found"}, {10, "make[1]: *** [objs/Makefile:1249: ../openssl-3.0.20/.openssl/include/openssl/ssl.h] Error 127"}}}
	want = `make failed: exit status 2
the first error is in openssl 3.0.20 (/w/openssl-3.0.20), at line 9 of /w/nginx-build.log:
  8 | cd ../openssl-3.0.20 \
> 9 | /bin/sh: 3: ./config: not found
 10 | make[1]: *** [objs/Makefile:1249: ../openssl-3.0.20/.openssl/include/openssl/ssl.h] Error 127
full log: /w/nginx-build.log`
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}
