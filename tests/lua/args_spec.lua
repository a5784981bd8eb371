-- a0lua.args: the options of import, export, plan and validate.
local args = require("a0lua.args")

local function parse(name, ...)
  return args.parse_command(name, { ... })
end

describe("a0lua.args", function()
  describe("parse_command", function()
    it("reads every import flag of a0deploy with its alias", function()
      local p = assert(parse("import", "-i", "tenant.yaml", "-c", "config.json", "-x", "s3cr3t",
        "--env=false", "-p", "http://proxy:3128", "--experimental_ea", "-d"))
      assert.are.same({
        command = "import", input_file = "tenant.yaml", config_file = "config.json",
        secret = "s3cr3t", env = false, proxy_url = "http://proxy:3128", experimental_ea = true,
        debug = true,
      }, p)
    end)

    it("reads every export flag of a0deploy with its alias", function()
      local p = assert(parse("export", "-o", "out", "-f", "directory", "-e", "-s",
        "--export_secrets"))
      assert.are.same({
        command = "export", output_folder = "out", format = "directory", export_ids = true,
        export_ordered = true, export_secrets = true,
      }, p)
    end)

    it("reads the long names of the aliased flags", function()
      local p = assert(parse("dump", "--output_folder", "out", "--format=yaml", "--export_ids",
        "--export_ordered", "--config_file=c.json", "--secret", "x", "--proxy_url=http://p:1",
        "--debug"))
      assert.are.equal("export", p.command)
      assert.are.equal("out", p.output_folder)
      assert.are.equal("yaml", p.format)
      assert.is_true(p.export_ids)
      assert.is_true(p.export_ordered)
      assert.are.equal("c.json", p.config_file)
      assert.are.equal("x", p.secret)
      assert.are.equal("http://p:1", p.proxy_url)
      assert.is_true(p.debug)
    end)

    it("names the canonical command for the aliases deploy and dump", function()
      assert.are.equal("import", assert(parse("deploy", "-i", "x")).command)
      assert.are.equal("export", assert(parse("dump", "-o", "x", "-f", "yaml")).command)
      assert.are.equal("plan", assert(parse("plan", "-i", "x")).command)
      assert.are.equal("validate", assert(parse("validate", "-i", "x")).command)
    end)

    it("takes --dry-run and --dry_run bare or with preview", function()
      assert.are.equal(true, assert(parse("import", "--dry-run")).dry_run)
      assert.are.equal(true, assert(parse("import", "--dry_run")).dry_run)
      assert.are.equal("preview", assert(parse("import", "--dry-run=preview")).dry_run)
      assert.are.equal("preview", assert(parse("import", "--dry_run", "preview")).dry_run)
      local p = assert(parse("import", "--dry-run", "-i", "t.yaml"))
      assert.are.equal(true, p.dry_run)
      assert.are.equal("t.yaml", p.input_file)
    end)

    it("returns a usage error for any other dry-run value", function()
      local p, err = parse("import", "--dry-run=yes")
      assert.is_nil(p)
      assert.are.equal("usage", err.code)
      assert.matches("invalid value for %-%-dry%-run: 'yes'", err.message)
      local _, err2 = parse("import", "--dry-run", "later")
      assert.are.equal("usage", err2.code)
    end)

    it("reads --interactive and --apply", function()
      local p = assert(parse("import", "--dry-run", "--interactive"))
      assert.is_true(p.interactive)
      assert.is_true(assert(parse("import", "--dry-run", "--apply")).apply)
    end)

    it("reads a0lua's own flags", function()
      local p = assert(parse("import", "--json", "--ca-file", "ca.pem", "--concurrency", "4",
        "--handlers", "one", "--handlers=two", "--hooks", "hooks.lua"))
      assert.is_true(p.json)
      assert.are.equal("ca.pem", p.ca_file)
      assert.are.equal(4, p.concurrency)
      assert.are.same({ "one", "two" }, p.handlers)
      assert.are.equal("hooks.lua", p.hooks)
    end)

    it("treats - and _ alike in long names", function()
      local p = assert(parse("import", "--input-file", "a.yaml", "--ca_file=x", "--config-file",
        "c.json"))
      assert.are.equal("a.yaml", p.input_file)
      assert.are.equal("x", p.ca_file)
      assert.are.equal("c.json", p.config_file)
    end)

    it("reads booleans as --x=value and --no-x", function()
      assert.is_false(assert(parse("import", "--env=false")).env)
      assert.is_false(assert(parse("import", "--env=0")).env)
      assert.is_true(assert(parse("import", "--env=TRUE")).env)
      assert.is_false(assert(parse("import", "--no-env")).env)
      assert.is_false(assert(parse("export", "--no-export_ids")).export_ids)
    end)

    it("reads -x=value for a short option", function()
      assert.are.equal("t.yaml", assert(parse("import", "-i=t.yaml")).input_file)
    end)

    it("returns a usage error naming an unknown option and the help to read", function()
      local p, err = parse("import", "--x")
      assert.is_nil(p)
      assert.are.equal("usage", err.code)
      assert.are.equal("unknown option --x (see a0lua help import)", err.message)
      assert.are.equal(err.message, tostring(err))
      local _, short = parse("deploy", "-z")
      assert.are.equal("unknown option -z (see a0lua help deploy)", short.message)
    end)

    it("rejects the flags of the other command", function()
      local _, err = parse("import", "-o", "out")
      assert.are.equal("unknown option -o (see a0lua help import)", err.message)
      local _, err2 = parse("export", "--dry-run")
      assert.are.equal("unknown option --dry-run (see a0lua help export)", err2.message)
    end)

    it("returns a usage error for a missing value", function()
      local _, err = parse("import", "-i")
      assert.are.equal("usage", err.code)
      assert.matches("%-i needs a value", err.message)
      local _, err2 = parse("import", "--input_file", "--json")
      assert.matches("%-%-input_file needs a value", err2.message)
    end)

    it("returns a usage error for a bad boolean, number or choice", function()
      local _, b = parse("import", "--json=maybe")
      assert.are.equal("usage", b.code)
      assert.matches("true or false", b.message)
      local _, n = parse("import", "--concurrency", "0")
      assert.matches("positive whole number", n.message)
      local _, n2 = parse("import", "--concurrency=lots")
      assert.are.equal("usage", n2.code)
      local _, f = parse("export", "-f", "json")
      assert.matches("must be one of yaml, directory", f.message)
    end)

    it("returns a usage error for a value given to --no-x", function()
      local _, err = parse("import", "--no-env=true")
      assert.are.equal("usage", err.code)
      assert.matches("takes no value", err.message)
    end)

    it("returns a usage error for a positional argument", function()
      local _, err = parse("import", "tenant.yaml")
      assert.are.equal("usage", err.code)
      assert.matches("unexpected argument 'tenant.yaml'", err.message)
      local _, err2 = parse("import", "--", "x")
      assert.matches("unexpected argument 'x'", err2.message)
    end)

    it("stops at --", function()
      local p = assert(parse("import", "--json", "--"))
      assert.is_true(p.json)
    end)

    it("marks help", function()
      assert.is_true(assert(parse("import", "-h")).help)
      assert.is_true(assert(parse("export", "--help")).help)
    end)

    it("raises for an unknown command or a bad argv", function()
      assert.has_error(function() args.parse_command("nope", {}) end)
      assert.has_error(function() args.parse_command("import", "x") end)
      assert.has_error(function() args.parse_command("import", { 1 }) end)
    end)
  end)

  describe("parse", function()
    it("parses any option list", function()
      local p = assert(args.parse({ "--level", "3", "-v" }, {
        { name = "level", kind = "number" },
        { name = "verbose", short = "v", kind = "boolean" },
      }))
      assert.are.same({ level = 3, verbose = true }, p)
    end)

    it("raises for an option spec without a kind", function()
      assert.has_error(function() args.parse({}, { { name = "x" } }) end)
    end)
  end)

  describe("usage", function()
    it("lists every option with its aliases", function()
      local text = args.usage("import")
      assert.matches("^a0lua import %[OPTIONS%]", text)
      for _, needle in ipairs({ "-i, --input_file PATH", "--dry_run, --dry-run[=preview]",
        "--interactive", "--apply", "-c, --config_file FILE", "-x, --secret SECRET", "--env",
        "-p, --proxy_url URL", "--experimental_ea", "-d, --debug", "--json", "--ca-file FILE",
        "--concurrency N", "--handlers DIR", "--hooks FILE" }) do
        assert.truthy(text:find(needle, 1, true), needle)
      end
      local export = args.usage("dump")
      for _, needle in ipairs({ "-o, --output_folder DIR", "-f, --format FORMAT",
        "-e, --export_ids", "-s, --export_ordered", "--export_secrets" }) do
        assert.truthy(export:find(needle, 1, true), needle)
      end
    end)

    it("keeps every line within 100 columns", function()
      for _, name in ipairs({ "import", "export", "plan", "validate" }) do
        for line in args.usage(name):gmatch("[^\n]*") do
          assert.is_true(#line <= 100, line)
        end
      end
    end)

    it("raises for an unknown command", function()
      assert.has_error(function() args.usage("nope") end)
    end)
  end)
end)
