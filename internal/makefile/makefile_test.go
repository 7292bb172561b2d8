package makefile

import (
	"slices"
	"strings"
	"testing"
)

func parse(t *testing.T, text string) *File {
	t.Helper()
	f, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func objects(ts []string) []string {
	var out []string
	for _, t := range ts {
		if strings.HasSuffix(t, ".o") || strings.HasSuffix(t, ".lo") {
			out = append(out, t)
		}
	}
	return out
}

// The shapes below are those of the Makefiles read for compile progress,
// cut down: zlib's plain variables, automake's chains of them (PCRE2),
// nginx's objs/Makefile with its continuation lines and its library
// recipes, OpenSSL's rules with their dependency lines appended.
func TestReachableObjects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, goal string
		want             []string
	}{
		{
			name: "zlib: variables of variables",
			text: `OBJZ = adler32.o crc32.o
OBJG = compress.o  # a comment
OBJC = $(OBJZ) $(OBJG)
OBJA =
OBJS = $(OBJC) $(OBJA)
PIC_OBJS = $(OBJS:.o=.lo)

all: static shared
libz.a: $(OBJS)
	$(AR) $(ARFLAGS) $@ $(OBJS)
libz.so: $(PIC_OBJS)
adler32.o: $(SRCDIR)adler32.c
	$(CC) $(CFLAGS) -c -o $@ $(SRCDIR)adler32.c
`,
			goal: "libz.a",
			want: []string{"adler32.o", "crc32.o", "compress.o"},
		},
		{
			name: "substitution reference",
			text: "OBJS = a.o b.o\nPIC = $(OBJS:.o=.lo)\nlibz.so: $(PIC)\n",
			goal: "libz.so",
			want: []string{"a.lo", "b.lo"},
		},
		{
			name: "automake: chains, continuations, += and :=",
			text: `am__objects_1 = src/libpcre2_8_la-pcre2_auto_possess.lo \
	src/libpcre2_8_la-pcre2_compile.lo
am__objects_5 = $(am__objects_1)
am__objects_5 += src/libpcre2_8_la-pcre2_config.lo
am_libpcre2_8_la_OBJECTS = $(am__objects_5)
am__objects_6 := src/libpcre2_8_la-pcre2_chartables.lo
nodist_libpcre2_8_la_OBJECTS = $(am__objects_6)
libpcre2_8_la_OBJECTS = $(am_libpcre2_8_la_OBJECTS) \
	$(nodist_libpcre2_8_la_OBJECTS)
libpcre2_8_la_DEPENDENCIES = $(am__DEPENDENCIES_1)
am__objects_16 = src/libpcre2_16_la-pcre2_compile.lo
libpcre2-8.la: $(libpcre2_8_la_OBJECTS) $(libpcre2_8_la_DEPENDENCIES) $(EXTRA_libpcre2_8_la_DEPENDENCIES) 
	$(AM_V_CCLD)$(libpcre2_8_la_LINK) $(libpcre2_8_la_OBJECTS)
libpcre2-16.la: $(am__objects_16)
src/libpcre2_8_la-pcre2_compile.lo: src/$(am__dirstamp) \
	src/$(DEPDIR)/$(am__dirstamp)
`,
			goal: "libpcre2-8.la",
			want: []string{"src/libpcre2_8_la-pcre2_auto_possess.lo", "src/libpcre2_8_la-pcre2_compile.lo",
				"src/libpcre2_8_la-pcre2_config.lo", "src/libpcre2_8_la-pcre2_chartables.lo"},
		},
		{
			name: "nginx objs/Makefile: through phony goals",
			text: `CC =	cc
CORE_DEPS = src/core/nginx.h \
	objs/ngx_auto_config.h

build:	binary modules manpage

binary:	objs/nginx

objs/nginx:	objs/src/core/nginx.o \
	objs/ngx_modules.o \
	../zlib-1.2.13/libz.a

	$(LINK) -o objs/nginx \
	objs/src/core/nginx.o

modules:	objs/ngx_http_echo_module.so

objs/ngx_http_echo_module.so:	objs/addon/src/ngx_http_echo_module.o

objs/src/core/nginx.o:	$(CORE_DEPS) \
	src/core/nginx.c
	$(CC) -c $(CFLAGS) $(CORE_INCS) \
		-o objs/src/core/nginx.o \
		src/core/nginx.c

../zlib-1.2.13/libz.a:	objs/Makefile
	cd ../zlib-1.2.13 \
	&& $(MAKE) distclean \
	&& ./configure \
	&& $(MAKE) libz.a
`,
			goal: "build",
			want: []string{"objs/src/core/nginx.o", "objs/ngx_modules.o", "objs/addon/src/ngx_http_echo_module.o"},
		},
		{
			name: "a goal with nothing to compile",
			text: "build: binary\nbinary: objs/nginx\nobjs/nginx: objs/a.o\nmodules:\n",
			goal: "modules",
		},
		{
			name: "a target whose prerequisites name it again",
			text: "a.o: b.o\nb.o: a.o c.o\n",
			goal: "a.o",
			want: []string{"a.o", "b.o", "c.o"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := objects(parse(t, tt.text).Reachable(tt.goal))
			if !slices.Equal(got, tt.want) {
				t.Errorf("objects reached from %s = %q, want %q", tt.goal, got, tt.want)
			}
		})
	}
}

func TestTargetsAndRecipes(t *testing.T) {
	t.Parallel()
	f := parse(t, `.PHONY: all
.c.o:
	$(CC) -c $<
all: build_sw build_docs
crypto/aes/libcrypto-lib-aes_cbc.o: crypto/aes/aes_cbc.c
	$(CC) -c -o $@ crypto/aes/aes_cbc.c
crypto/aes/libcrypto-lib-aes_cbc.o: include/openssl/aes.h
ssl/libssl-lib-s3_lib.o ssl/libssl-lib-ssl_lib.o: include/openssl/ssl.h
x.o: CFLAGS += -DX
t: ; echo inline
`)
	wantTargets := []string{".PHONY", ".c.o", "all", "crypto/aes/libcrypto-lib-aes_cbc.o", "ssl/libssl-lib-s3_lib.o", "ssl/libssl-lib-ssl_lib.o", "x.o", "t"}
	if got := f.Targets(); !slices.Equal(got, wantTargets) {
		t.Errorf("targets = %q, want %q", got, wantTargets)
	}
	if got := f.DefaultGoal(); got != "all" {
		t.Errorf("default goal = %q, want all", got)
	}
	if got := f.Prerequisites("crypto/aes/libcrypto-lib-aes_cbc.o"); !slices.Equal(got, []string{"crypto/aes/aes_cbc.c", "include/openssl/aes.h"}) {
		t.Errorf("prerequisites from two rules = %q", got)
	}
	if got := f.Recipe("t"); !slices.Equal(got, []string{"echo inline"}) {
		t.Errorf("inline recipe = %q", got)
	}
	if got := f.Recipe("crypto/aes/libcrypto-lib-aes_cbc.o"); !slices.Equal(got, []string{"$(CC) -c -o $@ crypto/aes/aes_cbc.c"}) {
		t.Errorf("recipe = %q", got)
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	f := parse(t, `A = a $(B)
B = b
C := $(A) c
D ?= d
D ?= not this
E = $(E) loop
F = $(addprefix x/,$(B))
G = $$HOME ${B}
`)
	for in, want := range map[string]string{
		"$(A)":  "a b",
		"$(C)":  "a b c",
		"$(D)":  "d",
		"$(F)":  "",
		"$(G)":  "$HOME b",
		"$@ $<": " ",
		"$(NO)": "",
	} {
		if got := f.Expand(in); got != want {
			t.Errorf("Expand(%q) = %q, want %q", in, got, want)
		}
	}
	// A variable that names itself ends, whatever it expands to.
	_ = f.Expand("$(E)")
}
