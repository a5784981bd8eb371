# a0lua: build, test, check, install.
#
#   make deps       install the Debian packages that are missing (nothing when all are present)
#   make            build/a0lua and build/lib/a0lua/core/*.so
#   make test       deps + build + every spec under busted
#   make check      test + lint (luacheck, routes up to date) + the specs on an ASan/UBSan build
#                   + each fuzz target for 30 s
#   make routes     regenerate the emulator's route tables from the pinned OpenAPI document
#   make fuzz       each fuzz target for FUZZ_SECONDS (default 60)
#   make bench      the primitives against lua-cjson and lyaml
#   make bench-deploy   a0lua against a0deploy on emulated tenants (BENCH_SIZES, BENCH_ROUNDS)
#   make bench-fleet    one config to a fleet of emulated tenants (BENCH_FLEET_TENANTS, _LIMITS)
#   make faults     imports under injected faults, checked for duplicates and convergence
#                   (FAULTS_SEEDS, FAULTS_SIZE, FAULTS_ONLY for quick runs)
#   make demo       the first thing to run
#   make fresh-check    make demo, make test and luarocks make on a bare Debian 12 root (debootstrap)
#   make install / uninstall   honour PREFIX and DESTDIR

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share
SHAREDIR   ?= $(DATADIR)/a0lua
LUADIR     ?= $(SHAREDIR)/lua
LIBDIR     ?= $(PREFIX)/lib/a0lua

CC         ?= cc
PKG_CONFIG ?= pkg-config
PKGS       := lua5.4 libcurl yaml-0.1 libpcre2-8 libedit
LUA        ?= lua5.4
BUSTED     ?= /usr/bin/busted

# Flags from pkg-config, asked once and only when a recipe needs them: on a bare machine the packages
# that provide the .pc files are installed by `deps`, which every compile waits for (order-only), so
# nothing here may be expanded while the Makefile is read. `lazy` defines NAME to run CMD on first use
# and keep the answer.
lazy = $(eval $(1) = $$(eval $(1) := $$$$(shell $(2)))$$($(1)))
$(call lazy,LUA_INCDIR_PC,$(PKG_CONFIG) --variable=includedir lua5.4)
LUA_INCDIR ?= $(LUA_INCDIR_PC)/lua5.4
$(call lazy,PKG_CFLAGS,$(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
$(call lazy,LUA_LIB,$(PKG_CONFIG) --libs lua5.4 2>/dev/null)
# What each primitive links against, beyond Lua.
$(call lazy,LIBS_http,$(PKG_CONFIG) --libs libcurl 2>/dev/null)
$(call lazy,LIBS_crypto,$(PKG_CONFIG) --libs libcrypto 2>/dev/null)
$(call lazy,LIBS_yaml,$(PKG_CONFIG) --libs yaml-0.1 2>/dev/null)
$(call lazy,LIBS_schema,$(PKG_CONFIG) --libs libpcre2-8 2>/dev/null)
$(call lazy,LIBS_repl,$(PKG_CONFIG) --libs libedit 2>/dev/null)

WARN       := -std=c11 -Wall -Wextra -Werror
OPT        ?= -O2 -g
A0_CFLAGS   = $(WARN) $(OPT) -fPIC -D_DEFAULT_SOURCE -I$(LUA_INCDIR) $(PKG_CFLAGS) $(CFLAGS)
A0_LDFLAGS  = $(LDFLAGS)

# Every host/*.c but main.c is a primitive: luaopen_a0lua_core_<name>. All are built as .so; all
# but the lazy ones are linked into the binary too. http stays out of the binary because libcurl
# brings about thirty shared libraries whose loading would triple the start-up time of every
# command; the binary loads http.so from its lib/ on first use instead. crypto (libcrypto, for
# private-key JWT client assertions) stays out for the same reason: only a token request with a
# signing key and the emulator's assertion check load it.
MODULES    := $(sort $(patsubst host/%.c,%,$(filter-out host/main.c,$(wildcard host/*.c))))
LAZY       := http crypto
LINKED     := $(filter-out $(LAZY),$(MODULES))
BUILD      ?= build
OBJS       := $(patsubst %,$(BUILD)/obj/%.o,$(LINKED))
SOS        := $(patsubst %,$(BUILD)/lib/a0lua/core/%.so,$(MODULES))
BIN        := $(BUILD)/a0lua

# Debian packages: to build; then to test, to lint, to fuzz, to benchmark against.
BUILD_PACKAGES := gcc make pkg-config liblua5.4-dev libcurl4-openssl-dev libyaml-dev libpcre2-dev \
  libedit-dev libssl-dev
DEB_PACKAGES   := $(BUILD_PACKAGES) lua5.4 lua-busted lua-socket lua-check clang libclang-rt-14-dev \
  lua-cjson lua-yaml stunnel4 tmux ca-certificates time openssl

FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(sort $(patsubst host/fuzz/fuzz_%.c,%,$(wildcard host/fuzz/fuzz_*.c)))
FUZZ_CC      ?= clang

.PHONY: all deps build-deps test check lint routes asan-test fuzz fuzz-build bench bench-deploy bench-fleet faults demo fresh-check peer install \
  uninstall clean

all: $(BIN) $(SOS)

# `deps` installs every package the targets below use; `build-deps` only what compiling needs, and
# every compile waits for it, so `make` alone works on a machine that has nothing but make.
deps:
	@scripts/install-deps.sh $(DEB_PACKAGES)

build-deps:
	@scripts/install-deps.sh $(BUILD_PACKAGES)

$(BUILD)/obj/%.o: host/%.c host/core.h | build-deps
	@mkdir -p $(@D)
	$(CC) $(A0_CFLAGS) -c -o $@ $<

# What main.o is built with (the primitives it preloads, where it looks for its Lua tree and its
# lazy modules), written only when it changes, so that `make` and `luarocks make` into one build/
# never leave a binary built for the other's directories.
MAIN_CONFIG := $(VERSION) $(SHAREDIR) $(LIBDIR) $(LINKED)
$(BUILD)/main.config: FORCE
	@mkdir -p $(@D)
	@echo '$(MAIN_CONFIG)' | cmp -s - $@ || echo '$(MAIN_CONFIG)' > $@

$(BUILD)/obj/main.o: host/main.c host/core.h $(BUILD)/main.config | build-deps
	@mkdir -p $(@D)
	$(CC) $(A0_CFLAGS) -DA0LUA_VERSION='"$(VERSION)"' -DA0LUA_SHAREDIR='"$(SHAREDIR)"' \
	  -DA0LUA_LIBDIR='"$(LIBDIR)"' -DA0LUA_CORE_MODULES='$(foreach m,$(LINKED),X($(m)))' \
	  -c -o $@ $<

$(BIN): $(BUILD)/obj/main.o $(OBJS) $(patsubst %,$(BUILD)/lib/a0lua/core/%.so,$(LAZY))
	$(CC) $(A0_CFLAGS) -o $@ $(BUILD)/obj/main.o $(OBJS) $(A0_LDFLAGS) $(LUA_LIB) \
	  $(foreach m,$(LINKED),$(LIBS_$(m))) -lm

$(BUILD)/lib/a0lua/core/%.so: host/%.c host/core.h | build-deps
	@mkdir -p $(@D)
	$(CC) $(A0_CFLAGS) -shared -o $@ $< $(A0_LDFLAGS) $(LIBS_$*) -lm

FORCE:

# busted's summary line is the last thing `make test` prints.
test: deps all
	@$(LUA) $(BUSTED)

# The engine, handlers and recipes also keep each function at a cyclomatic complexity of 30 and
# 120 lines at most (scripts/function-length.lua); the generated route table is left out. No
# spec block gives busted's finally two functions (scripts/one-finally.lua).
lint: deps all
	@luacheck -q $(wildcard tests bench scripts)
	@luacheck -q --max-cyclomatic-complexity 30 $(wildcard lua handlers recipes)
	@lua5.4 scripts/function-length.lua --max 120 $(wildcard lua handlers recipes)
	@lua5.4 scripts/one-finally.lua tests
	@scripts/routes.sh check

# The emulator's route tables from the pinned OpenAPI document (scripts/routes.sh).
routes: all
	@scripts/routes.sh update

# The specs again, run by the sanitized binary so the primitives under test are the ASan/UBSan ones.
# Every primitive is linked in (LAZY empty): a dlclosed http.so would leave libcurl's global state
# looking leaked at exit.
asan-test:
	@$(MAKE) --no-print-directory BUILD=build/asan LAZY= OPT="-O1 -g -fno-omit-frame-pointer \
	  -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build/asan/a0lua
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  build/asan/a0lua run $(BUSTED) --cpath='build/asan/lib/?.so'

check: test lint asan-test
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30

$(BUILD)/fuzz/%: host/fuzz/fuzz_%.c host/fuzz/harness.h host/%.c host/core.h | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -D_DEFAULT_SOURCE -I$(LUA_INCDIR) $(PKG_CFLAGS) \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -o $@ host/fuzz/fuzz_$*.c host/$*.c $(LUA_LIB) $(LIBS_$*) -lm

fuzz-build: $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/fuzz/corpus-$$t; \
	  echo "fuzz $$t for $(FUZZ_SECONDS) s"; \
	  $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    $(BUILD)/fuzz/corpus-$$t host/fuzz/corpus/$$t 2>$(BUILD)/fuzz/$$t.log \
	    || { tail -n 60 $(BUILD)/fuzz/$$t.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units' $(BUILD)/fuzz/$$t.log; \
	done

# The real a0deploy (from the npm registry) against `a0lua emulate` behind a TLS terminator.
peer: deps all
	@bash tests/peer/a0deploy.sh

bench: deps all
	@$(LUA) bench/primitives.lua

# a0lua and a0deploy (from the npm registry) on the same emulated tenants of 100, 1,000 and 5,000
# resources: export, import, the same import again, a 1 % change; the table goes to the terminal
# and to build/bench/deploy.json (bench/deploy.sh; BENCH_SIZES, BENCH_ROUNDS for quick runs).
# GNU time (in make deps) gives the peak RSS. a0deploy itself needs Node.js >= 20.19 and npm;
# without them the table has a0lua's side only.
bench-deploy: deps all
	@bash bench/deploy.sh

# A fleet of emulated tenants (`a0lua emulate --tenants N`, default 200 of 100 resources) for the
# free and enterprise limits: `a0lua run fleet` in one process, as 4 shards, and the slowest single
# tenant alone; wall time, ratio, peak RSS, requests and 429s to the terminal and to
# build/bench/fleet.json (bench/fleet.sh; BENCH_FLEET_TENANTS, BENCH_FLEET_LIMITS for quick runs).
bench-fleet: deps all
	@bash bench/fleet.sh

# Imports of generated tenants under injected faults (5xx, 429 storms on the free and enterprise
# limits, dropped connections, slow answers, kill -9), each followed by re-runs; fails when an
# import leaves a duplicate, does not converge, or its re-run writes (bench/faults.lua). Not part
# of `make test`: it takes about 5 minutes.
faults: deps all
	@build/a0lua run bench/faults.lua

# The first thing to run: a local emulator, the example tenant imported into it, the plan for a
# changed copy, an export (scripts/demo.sh).
demo: deps all
	@scripts/demo.sh "$(CURDIR)/$(BIN)"

# The README's commands on a bare Debian 12 (debootstrap; needs root and the Debian mirror).
fresh-check:
	@scripts/fresh-check.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LUADIR) $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(LIBDIR)/a0lua/core
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/a0lua
	install -m 644 $(SOS) $(DESTDIR)$(LIBDIR)/a0lua/core/
	cd lua && find . -name '*.lua' -exec install -D -m 644 {} $(DESTDIR)$(LUADIR)/{} \;
	for d in handlers recipes; do \
	  (cd $$d && find . -name '*.lua' -exec install -D -m 644 {} $(DESTDIR)$(SHAREDIR)/$$d/{} \;); \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/a0lua
	rm -rf $(DESTDIR)$(LIBDIR)/a0lua $(DESTDIR)$(SHAREDIR)
	rm -rf $(DESTDIR)$(LUADIR)/a0lua

clean:
	rm -rf build
