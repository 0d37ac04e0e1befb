# haos — terminal client for HAOS servers on Matrix.
# `make check` and `make demo` install missing Debian packages first (deps).

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/haos
PKG_CONFIG ?= pkg-config
PYTHON     ?= python3
INSTALL    ?= install

PKGS        = ncursesw libcurl jansson sqlite3 olm inih libutf8proc libcrypto \
              libxml-2.0 libcmark gdk-pixbuf-2.0 chafa
# libmagic ships a .pc only since file 5.41 (Debian 12): plain -lmagic
# before that, its header in /usr/include either way.
MAGIC_LIBS := $(shell $(PKG_CONFIG) --libs libmagic 2>/dev/null || echo -lmagic)
TEST_PKGS   = check

# Debian/Ubuntu packages needed to build and test (make deps installs them).
DEB_PKGS    = gcc make pkg-config libncurses-dev libcurl4-openssl-dev \
              libjansson-dev libolm-dev libssl-dev libsqlite3-dev libinih-dev check \
              libsubunit-dev libutf8proc-dev libxml2-dev python3 tmux mandoc groff-base \
              openssl ca-certificates python3-canonicaljson python3-signedjson \
              python3-cryptography libcmark-dev libmagic-dev \
              libgdk-pixbuf-2.0-dev libchafa-dev webp-pixbuf-loader

CFLAGS     ?= -O2 -g
WARNFLAGS   = -Wall -Wextra -Wformat=2 -Wshadow -Wwrite-strings \
              -Wmissing-prototypes -Wstrict-prototypes -Wno-unused-result
ifneq ($(WERROR),)
WARNFLAGS  += -Werror
endif
ifneq ($(CI),)
WARNFLAGS  += -Werror
endif
ifneq ($(SANITIZE),)
SANFLAGS    = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
endif

BUILD      ?= .build/default
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CHK_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
CHK_LIBS   := $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

ALL_CFLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
              -Iinclude $(WARNFLAGS) $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS        = $(PKG_LIBS) $(MAGIC_LIBS) -pthread

# Everything but main.c and the curses side of ui/ goes into libhaos.a,
# which the tests link; ui/ files that do not include curses.h are pure.
UI_SRCS     = $(wildcard src/ui/*.c)
UI_PURE     = $(if $(UI_SRCS),$(shell grep -L 'curses\.h' $(UI_SRCS)))
LIB_SRCS    = $(filter-out src/main.c,$(wildcard src/*.c src/cmd/*.c src/crypto/*.c)) \
              $(UI_PURE)
LIB_OBJS    = $(LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJS   = $(BUILD)/src/main.o \
              $(patsubst %.c,$(BUILD)/%.o,$(filter-out $(UI_PURE),$(UI_SRCS)))
UNIT_SRCS   = $(wildcard tests/unit/*.c)
UNIT_OBJS   = $(UNIT_SRCS:%.c=$(BUILD)/%.o)
INTEG_SRCS  = $(wildcard tests/integration/*.c)
INTEG_OBJS  = $(INTEG_SRCS:%.c=$(BUILD)/%.o)
FUZZ_SRCS   = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES  = $(basename $(notdir $(FUZZ_SRCS)))
FUZZ_OBJS   = $(FUZZ_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/tests/fuzz/fuzz-common.o
DEPS        = $(LIB_OBJS:.o=.d) $(MAIN_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) \
              $(INTEG_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)

HAOS        = ./haos

.PHONY: all check check-deps check-unit check-integration check-e2e \
        check-homeserver check-interop check-docs lint asan tsan bench demo \
        deps fuzz fuzz-deps fuzz-build install uninstall clean

all: $(HAOS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHK_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/integration/%.o: tests/integration/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHK_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libhaos.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(HAOS): $(MAIN_OBJS) $(BUILD)/libhaos.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJS) $(BUILD)/libhaos.a $(LIBS)

$(BUILD)/check_haos: $(UNIT_OBJS) $(BUILD)/libhaos.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJS) $(BUILD)/libhaos.a $(CHK_LIBS) $(LIBS)

$(BUILD)/check_integration: $(INTEG_OBJS) $(BUILD)/libhaos.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(INTEG_OBJS) $(BUILD)/libhaos.a $(CHK_LIBS) $(LIBS)

-include $(DEPS)

# Install the missing Debian packages: as root with apt-get, else via sudo,
# else print the exact command.
deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  missing="$$missing nodejs npm"; \
	fi; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "haos: missing packages:$$missing"; \
	cmd="apt-get install -y --no-install-recommends$$missing"; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "haos: run as root: apt-get update && $$cmd"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get update -qq && $$sudo apt-get install -y -qq --no-install-recommends$$missing

check: deps
	$(MAKE) all $(BUILD)/check_haos
	$(MAKE) check-unit
	$(MAKE) check-docs
	$(MAKE) check-homeserver
	$(MAKE) check-interop
	$(MAKE) check-integration
	$(MAKE) check-e2e
	@echo "make check: all suites passed"

check-unit: $(BUILD)/check_haos
	HAOS_BIN=$(abspath $(HAOS)) HAOS_FIXTURES=$(abspath tests/fixtures) \
	  $(BUILD)/check_haos

check-homeserver:
	cd tests/homeserver && $(PYTHON) -m unittest discover -s . -p 'test_*.py'
	@if [ -x tests/homeserver/interop/run.sh ]; then \
	  tests/homeserver/interop/run.sh; fi

# haos against matrix-js-sdk (tests/interop/README.md): needs tmux, python3
# and npm (its first run downloads the pinned packages, Node 20 among them).
check-interop: $(HAOS)
	HAOS_BIN=$(abspath $(HAOS)) tests/interop/run.sh

check-integration: $(HAOS) $(BUILD)/check_integration
	HAOS_ROOT=$(CURDIR) $(BUILD)/check_integration
	@for t in tests/integration/test-*.sh; do \
	  echo "== $$t"; HAOS_BIN=$(abspath $(HAOS)) bash $$t || exit 1; \
	done

check-e2e: $(HAOS)
	@for t in tests/e2e/test-*.sh; do \
	  [ -e "$$t" ] || continue; \
	  echo "== $$t"; HAOS_BIN=$(abspath $(HAOS)) bash $$t || exit 1; \
	done

# The docs must agree with the code: example config, man page options.
check-docs: $(HAOS)
	$(HAOS) --dump-config | diff -u config.example.ini -
	mandoc -T lint -W warning man/haos.1
	bash tests/check-docs.sh $(HAOS) man/haos.1

# Each third-party header has one home (libolm's: anything under src/crypto/,
# behind include/haos/crypto.h); banned functions; Matrix paths only
# in src/matrix*.c; front ends reach the net thread only through the client
# (no net.h or http.h in ui/ or cmd/) and ui/ builds no JSON; headers
# compile alone.
lint:
	@bad=$$(grep -rlE '#include <curl/curl.h>' src include | grep -v '^src/http.c$$'; \
	  grep -rl '#include <sqlite3.h>' src include | grep -v '^src/store'; \
	  grep -rl '#include <jansson.h>' src include | grep -v '^include/haos/json.h$$'; \
	  grep -rlE '#include [<"]olm/' src include tests | grep -v '^src/crypto/'; \
	  grep -rlE '#include <(ncursesw/)?n?curses.h>' src include | grep -v '^src/ui/curses.h$$'; \
	  grep -rl '#include <chafa.h>' src include | grep -v '^src/ui/preview.c$$'; \
	  grep -rl '#include <gdk-pixbuf/' src include | grep -v '^src/image.c$$'; \
	  grep -rnE '(^|[^_a-z])(strcpy|sprintf|strcat|strtok|atoi|gets)\(' src; \
	  grep -rn '/_matrix/' src --include='*.c' | grep -v '^src/matrix[-.a-z]*c:'; \
	  grep -rlE '#include "haos/(net|http)\.h"' src/ui src/cmd; \
	  grep -rnE 'json_(pack|object\(|array\(|dumps|xdumps|object_set)' src/ui); \
	  if [ -n "$$bad" ]; then echo "lint: violations:"; echo "$$bad"; exit 1; fi
	@for h in include/haos/*.h; do \
	  echo "#include \"$${h#include/}\"" | $(CC) $(ALL_CFLAGS) -fsyntax-only -x c - || exit 1; \
	done
	@echo "lint: ok"

# AddressSanitizer + UBSan build of everything, running unit and integration tests.
asan: deps
	$(MAKE) BUILD=.build/asan SANITIZE=address,undefined \
	  HAOS=.build/asan/haos .build/asan/haos .build/asan/check_haos \
	  .build/asan/check_integration
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  $(MAKE) BUILD=.build/asan SANITIZE=address,undefined HAOS=.build/asan/haos \
	  check-unit check-integration

# ThreadSanitizer build of the integration tests: the net thread, the UI
# thread's client and the shared SQLite file under the race detector.
tsan: deps
	$(MAKE) BUILD=.build/tsan SANITIZE=thread HAOS=.build/tsan/haos \
	  .build/tsan/haos .build/tsan/check_integration
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  HAOS_ROOT=$(CURDIR) .build/tsan/check_integration

.build/asan/$(HAOS): $(MAIN_OBJS) $(BUILD)/libhaos.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJS) $(BUILD)/libhaos.a $(LIBS)

# libFuzzer targets (tests/fuzz/fuzz_*.c) under ASan+UBSan: clang builds
# the library into its own tree with -fsanitize=fuzzer-no-link; each target
# runs FUZZ_SECONDS on its seed corpus (tests/fuzz/corpus/NAME) plus a
# scratch corpus, with the max_len and dict of tests/fuzz/NAME.options.
# Crashes go to .build/fuzz/crashes/NAME/ and fail the run; FUZZ=fuzz_sync
# picks targets.
FUZZ_CC       ?= clang
FUZZ_DIR       = .build/fuzz
FUZZ_SECONDS  ?= 60
FUZZ          ?= $(FUZZ_NAMES)
FUZZ_FLAGS    ?=
FUZZ_DEB_PKGS  = clang libclang-rt-dev

# Install clang and its fuzzer runtime unless FUZZ_CC already links a
# libFuzzer target (same apt-get/sudo rules as deps).
fuzz-deps:
	@if printf 'int LLVMFuzzerTestOneInput(const char *d, long n)%s\n' \
	  '{ (void)d; (void)n; return 0; }' | \
	  $(FUZZ_CC) -fsanitize=fuzzer,address,undefined -x c - \
	  -o /dev/null >/dev/null 2>&1; then exit 0; fi; \
	cmd="apt-get install -y --no-install-recommends $(FUZZ_DEB_PKGS)"; \
	echo "haos: $(FUZZ_CC) cannot build libFuzzer targets; $$cmd"; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "haos: run as root: apt-get update && $$cmd"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get update -qq && \
	$$sudo apt-get install -y -qq --no-install-recommends $(FUZZ_DEB_PKGS)

# gcc's -Werror build is the warning gate; clang only adds
# -Wformat-nonliteral on vprintf wrappers, so the fuzz build does not stop.
fuzz-build: deps fuzz-deps
	$(MAKE) BUILD=$(FUZZ_DIR) CC=$(FUZZ_CC) CI= WERROR= \
	  SANITIZE=fuzzer-no-link,address,undefined \
	  CFLAGS='-O1 -g -fno-sanitize-recover=undefined' \
	  $(FUZZ_NAMES:%=$(FUZZ_DIR)/bin/%)

fuzz: fuzz-build
	@d=$(FUZZ_DIR); fail=""; \
	export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1; \
	for t in $(FUZZ); do \
	  ml=$$(sed -n 's/^max_len *= *//p' tests/fuzz/$$t.options 2>/dev/null); \
	  dict=$$(sed -n 's/^dict *= *//p' tests/fuzz/$$t.options 2>/dev/null); \
	  mkdir -p $$d/corpus/$$t $$d/crashes/$$t $$d/logs; \
	  echo "== $$t: $(FUZZ_SECONDS)s, max_len $${ml:-default}"; \
	  if $$d/bin/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    $${ml:+-max_len=$$ml} $${dict:+-dict=tests/fuzz/$$dict} \
	    -artifact_prefix=$$d/crashes/$$t/ \
	    $(FUZZ_FLAGS) $$d/corpus/$$t tests/fuzz/corpus/$$t \
	    >$$d/logs/$$t.log 2>&1; then \
	    grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units' \
	      $$d/logs/$$t.log; \
	  else \
	    tail -n 60 $$d/logs/$$t.log; fail="$$fail $$t"; \
	  fi; \
	done; \
	if [ -n "$$fail" ]; then \
	  echo "make fuzz: findings in$$fail (see $$d/crashes/, $$d/logs/)"; \
	  exit 1; fi; \
	echo "make fuzz: no findings"

$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/bin/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o \
    $(BUILD)/tests/fuzz/fuzz-common.o $(BUILD)/libhaos.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# Not a test: prints one line per figure (ingest throughput, warm start, RSS).
bench: $(HAOS) $(BUILD)/bench_ingest $(BUILD)/bench_e2ee
	$(BUILD)/bench_ingest
	$(BUILD)/bench_e2ee
	bash tests/bench/bench-startup.sh $(HAOS) $(BUILD)/bench_ingest

$(BUILD)/bench_%: $(BUILD)/tests/bench/bench_%.o $(BUILD)/libhaos.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libhaos.a $(LIBS)

# The client on the demo world: a test homeserver keeping its data under
# .build/demo, seeded once; alice logged in with XDG dirs under .build/demo;
# carol chatting unless DEMO_CHATTER=0.  Everything stops when haos exits.
DEMO_DIR     = .build/demo
DEMO_CHATTER ?= 1
demo: deps
	$(MAKE) all
	@set -e; d=$(abspath $(DEMO_DIR)); mkdir -p $$d/hs $$d/config $$d/state; \
	rm -rf $$d/data; \
	export XDG_CONFIG_HOME=$$d/config XDG_DATA_HOME=$$d/data \
	  XDG_STATE_HOME=$$d/state; \
	pids=""; trap 'kill $$pids 2>/dev/null; wait 2>/dev/null' EXIT INT TERM; \
	$(PYTHON) tests/homeserver/server.py --port 0 --server-name haos.test \
	  --data $$d/hs >$$d/hs.out 2>$$d/hs.err & pids="$$!"; \
	for i in $$(seq 1 100); do \
	  url=$$(sed -n 's/^listening on //p' $$d/hs.out); \
	  [ -n "$$url" ] && break; sleep 0.1; done; \
	[ -n "$$url" ] || { cat $$d/hs.err; exit 1; }; \
	echo "make demo: homeserver $$url (data in $(DEMO_DIR)/hs)"; \
	$(PYTHON) tests/homeserver/seed_demo.py $$url >$$d/seed.log 2>&1 || \
	  { cat $$d/seed.log; exit 1; }; \
	printf '[account]\nuser = @alice:haos.test\nhomeserver = %s\npassword = alice-password\n' \
	  "$$url" >$$d/config.ini; chmod 600 $$d/config.ini; \
	$(HAOS) --config $$d/config.ini login </dev/null; \
	if [ "$(DEMO_CHATTER)" != 0 ]; then \
	  $(PYTHON) tests/homeserver/seed_demo.py $$url --chatter \
	    --chatter-interval 8 >$$d/chatter.log 2>&1 & pids="$$pids $$!"; fi; \
	$(HAOS) --config $$d/config.ini; \
	echo "make demo: log in $(DEMO_DIR)/state/haos/default.log"

install: $(HAOS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 755 haos $(DESTDIR)$(BINDIR)/haos
	$(INSTALL) -m 644 man/haos.1 $(DESTDIR)$(MANDIR)/man1/haos.1
	$(INSTALL) -m 644 config.example.ini README.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/haos $(DESTDIR)$(MANDIR)/man1/haos.1
	rm -f $(DESTDIR)$(DOCDIR)/config.example.ini $(DESTDIR)$(DOCDIR)/README.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf .build haos
