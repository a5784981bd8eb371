rockspec_format = "3.0"
package = "a0lua"
version = "scm-1"
source = {
  url = "git+https://example.invalid/a0lua.git",
}
description = {
  summary = "Auth0 tenants as code: a C host embedding Lua 5.4, compatible with a0deploy's files",
  detailed = [[
a0lua reads the tenant.yaml and directory layouts of the Auth0 Deploy CLI, imports them into a tenant
through the Management API v2, exports a tenant back to files and shows a plan of what would change.
The C host supplies HTTP, JSON, YAML, JSON-schema validation, files and line editing; the engine,
the resource handlers and the recipes are Lua that users can override and extend.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  CURL = { library = "curl" },
  -- a library, not a header: Debian's luarocks 3.8 does not look in the multiarch include
  -- directory, where libssl-dev puts openssl/configuration.h
  OPENSSL = { library = "crypto" },
  YAML = { header = "yaml.h" },
  PCRE2 = { header = "pcre2.h" },
  EDIT = { header = "editline/readline.h" },
}
-- luarocks deploys a rock's lua/, lib/ and bin/ into the tree, where a0lua would find neither its
-- handlers nor its recipes beside the engine; so the Lua tree, handlers, recipes and the lazily loaded
-- http.so and crypto.so stay together in the rock's share/a0lua, whose path the binary is built
-- with (SHAREDIR, LIBDIR: the same in the build and the install step). Only bin/a0lua is deployed.
build = {
  type = "make",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    PREFIX = "$(PREFIX)",
    SHAREDIR = "$(PREFIX)/share/a0lua",
    LIBDIR = "$(PREFIX)/share/a0lua/lib",
  },
  install_variables = {
    PREFIX = "$(PREFIX)",
    BINDIR = "$(BINDIR)",
    SHAREDIR = "$(PREFIX)/share/a0lua",
    LIBDIR = "$(PREFIX)/share/a0lua/lib",
  },
}
test = {
  type = "command",
  command = "make test",
}
