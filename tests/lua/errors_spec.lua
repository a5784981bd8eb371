-- a0lua.errors: C and Lua errors are one kind of value, with one tostring; each module's errors
-- keep their codes and fields.
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")
local yaml = require("a0lua.core.yaml")
local fs = require("a0lua.core.fs")
local run = require("helpers.run")

-- fn(path) -> the error it returns for a file `name` holding `text`, in a fresh directory.
local function error_for_file(name, text, fn)
  local d = run.temp_dir()
  run.write_file(d .. "/" .. name, text)
  local ok, err = pcall(fn, d .. "/" .. name, d)
  run.remove_tree(d)
  assert(ok, err)
  return err
end

describe("a0lua.errors", function()
  describe("the shared metatable", function()
    it("is the host's registry metatable, exported by every core module", function()
      assert.equals(debug.getregistry()["a0lua.error"], errors.mt)
      assert.equals(errors.mt, json.error_mt)
      assert.equals(errors.mt, yaml.error_mt)
      assert.equals(errors.mt, require("a0lua.core.schema").error_mt)
    end)

    it("is the metatable of C's errors and of Lua's", function()
      local _, jerr = json.decode("{")
      local _, yerr = yaml.decode("a: [")
      local _, ferr = fs.read("/nonexistent/a0lua/x")
      local lerr = errors.new("x", "y")
      for _, e in ipairs({ jerr, yerr, ferr, lerr }) do
        assert.equals(getmetatable(lerr), getmetatable(e))
        assert.is_true(errors.is(e))
      end
    end)

    it("is() refuses anything else", function()
      local look_alike = setmetatable({ code = "x" }, { __tostring = function() return "" end })
      for _, v in ipairs({ "x", 1, true, {}, { code = "x", message = "y" }, look_alike }) do
        assert.is_false(errors.is(v))
      end
      assert.is_false(errors.is(nil))
    end)
  end)

  describe("new and from", function()
    it("new copies the fields and sets code and message", function()
      local fields = { file = "t.yaml", line = 3 }
      local e = errors.new("yaml_syntax", "bad", fields)
      assert.same({ code = "yaml_syntax", message = "bad", file = "t.yaml", line = 3 }, e)
      assert.is_nil(getmetatable(fields))
      assert.is_nil(errors.new("c").message)
    end)

    it("new's code and message win over the fields'", function()
      local e = errors.new("a", "m", { code = "b", message = "n" })
      assert.equals("a", e.code)
      assert.equals("m", e.message)
    end)

    it("from gives a table that holds code and message the metatable", function()
      local t = { code = "api_error", message = "m", status = 400 }
      assert.equals(t, errors.from(t))
      assert.is_true(errors.is(t))
    end)

    it("raises on misuse", function()
      assert.has_error(function() errors.new() end, "errors.new: code must be a string")
      assert.has_error(function() errors.new("c", 1) end, "errors.new: message must be a string")
      assert.has_error(function() errors.new("c", "m", "f") end,
        "errors.new: fields must be a table")
      assert.has_error(function() errors.from({ message = "m" }) end,
        "errors.from: fields must be a table with a string code")
      assert.has_error(function() errors.from("x") end)
    end)
  end)

  describe("tostring", function()
    local function text(fields) return tostring(errors.from(fields)) end

    it("names file:line:column, then the path, then the message", function()
      assert.equals("t.yaml:12:3: clients[2].name: must be a string", text{ code = "validation",
        file = "t.yaml", line = 12, column = 3, path = "clients[2].name",
        message = "must be a string" })
    end)

    it("leaves out each part of the location that is absent", function()
      assert.equals("t.yaml: m", text{ code = "c", file = "t.yaml", message = "m" })
      assert.equals("hooks.lua:7: m", text{ code = "c", file = "hooks.lua", line = 7,
        message = "m" })
      assert.equals("3:9: m", text{ code = "c", line = 3, column = 9, message = "m" })
      assert.equals("m", text{ code = "c", message = "m" })
    end)

    it("leaves out an empty path and never says the path twice", function()
      assert.equals("m", text{ code = "c", path = "", message = "m" })
      assert.equals("/a/b: not found", text{ code = "c", path = "/a/b",
        message = "/a/b: not found" })
      assert.equals("x.y: x.y is the unreplaced keyword", text{ code = "c", path = "x.y",
        message = "x.y: x.y is the unreplaced keyword" })
      assert.equals("cannot read /c.json: gone", text{ code = "c", path = "/c.json",
        message = "cannot read /c.json: gone" })
    end)

    it("does not name the path of a located error whose clause begins with it", function()
      assert.equals('t.yaml:14:9: clients "a": x.secret is unreplaced', text{ code = "c",
        file = "t.yaml", line = 14, column = 9, path = "x.secret",
        message = 'clients "a": x.secret is unreplaced' })
    end)

    it("names the path of a located error whose message names the key later", function()
      assert.equals("t.yaml:6:1: clientz: unknown top-level key 'clientz'", text{ code = "c",
        file = "t.yaml", line = 6, column = 1, path = "clientz",
        message = "unknown top-level key 'clientz'" })
    end)

    it("says the code when there is no message", function()
      assert.equals("t.yaml: config_missing", text{ code = "config_missing", file = "t.yaml" })
    end)

    it("gives an API error's method, path, status, error code, attempts and hint", function()
      assert.equals("GET /api/v2/clients: 404: The client does not exist (inexistent_client) "
        .. "after 3 attempts; check the id", text{ code = "api_not_found", method = "GET",
        path = "/api/v2/clients", status = 404, message = "The client does not exist",
        error_code = "inexistent_client", attempts = 3, hint = "check the id" })
      assert.equals("POST /oauth/token: 401: Unauthorized", text{ code = "api_auth",
        method = "POST", path = "/oauth/token", status = 401, message = "Unauthorized",
        attempts = 1 })
    end)

    it("is the same text for C's errors", function()
      local _, jerr = json.decode('{"a": }')
      assert.equals(("%d:%d: %s"):format(jerr.line, jerr.column, jerr.message), tostring(jerr))
      local _, ferr = fs.read("/nonexistent/a0lua/x")
      assert.equals(ferr.message, tostring(ferr))
      assert.matches("^/nonexistent/a0lua/x: ", tostring(ferr))
    end)
  end)

  describe("every module's errors", function()
    it("args: usage", function()
      local _, err = require("a0lua.args").parse_command("import", { "--nope" })
      assert.equals("usage", err.code)
      assert.is_true(errors.is(err))
      assert.equals(err.message, tostring(err))
    end)

    it("config: config_file with file, line and column", function()
      local err = error_for_file("config.json", '{\n  "AUTH0_DOMAIN": x\n}', function(path)
        return select(2, require("a0lua.config").load{ file = path,
          args = assert(require("a0lua.args").parse_command("import", {})) })
      end)
      assert.equals("config_file", err.code)
      assert.is_true(errors.is(err))
      assert.equals(("%s:%d:%d: %s"):format(err.file, err.line, err.column, err.message),
        tostring(err))
    end)

    it("config: config_file for an unreadable file says its path once", function()
      local _, err = require("a0lua.config").load{ file = "/nonexistent/a0lua/config.json",
        args = assert(require("a0lua.args").parse_command("import", {})) }
      assert.equals("config_file", err.code)
      assert.equals("/nonexistent/a0lua/config.json", err.path)
      assert.is_true(errors.is(err))
      assert.equals(err.message, tostring(err))
    end)

    it("handlers: handler_load naming the file", function()
      local err = error_for_file("bad.lua", "return 42", function(_, dir)
        return select(2, require("a0lua.handlers").load{ paths = { dir } })
      end)
      assert.equals("handler_load", err.code)
      assert.is_true(errors.is(err))
      assert.equals(err.file .. ": " .. err.message, tostring(err))
      assert.matches("/bad.lua$", err.file)
    end)

    it("hooks: hook_load with file and line", function()
      local err = error_for_file("h.lua", "\n\nerror('boom')", function(path)
        return select(2, require("a0lua.hooks").load(path))
      end)
      assert.equals("hook_load", err.code)
      assert.equals(3, err.line)
      assert.is_true(errors.is(err))
      assert.equals(err.file .. ":3: boom", tostring(err))
    end)

    it("api: api_config", function()
      local _, err = require("a0lua.api").new{ domain = "http://tenant.auth0.com",
        client_id = "id", client_secret = "s" }
      assert.equals("api_config", err.code)
      assert.is_true(errors.is(err))
      assert.is_true(require("a0lua.api").is_error(err))
      assert.equals(err.message, tostring(err))
    end)

    it("validate: validation, listing its problems", function()
      local sources = require("a0lua.sources").new()
      local p = sources:problem("/clients/0/name", "must be a string")
      local err = require("a0lua.validate").error({ p })
      assert.equals("validation", err.code)
      assert.equals("validation", p.code)
      assert.is_true(errors.is(err) and errors.is(p))
      assert.equals("clients[0].name: must be a string", tostring(p))
      assert.matches("1 problem", tostring(err), 1, true)
    end)

    it("format: config, for no format and for no output folder", function()
      local format = require("a0lua.format")
      local _, err = format.write({}, {})
      assert.equals("config", err.code)
      assert.is_true(errors.is(err))
      assert.equals("no export format given (--format)", tostring(err))
      for _, name in ipairs({ "yaml", "directory" }) do
        _, err = format.write({ format = name }, {})
        assert.equals("config", err.code)
        assert.is_true(errors.is(err))
        assert.equals("no output folder given", tostring(err))
      end
    end)

    it("recording: recording_read with the path", function()
      local _, err = require("a0lua.emulator.recording").read("/nonexistent/a0lua/rec.json")
      assert.equals("recording_read", err.code)
      assert.equals("/nonexistent/a0lua/rec.json", err.path)
      assert.is_true(errors.is(err))
      assert.equals(err.message, tostring(err))
    end)

    it("server: server_listen on a port already taken", function()
      local server = require("a0lua.emulator.server")
      local first = assert(server.new{ handler = function() end })
      local _, err = server.new{ port = first:port(), handler = function() end }
      first:close()
      assert.equals("server_listen", err.code)
      assert.is_true(errors.is(err))
      assert.equals(err.message, tostring(err))
    end)

    it("handler: handler errors of the engine print their message, not a table address", function()
      local h = require("a0lua.handler").new{ type = "roles", path = "/roles" }
      local _, err = h:update({ api = {} }, {}, { name = "x" })
      assert.equals("handler", err.code)
      assert.is_true(errors.is(err))
      assert.equals("roles: the tenant's item has no id", tostring(err))
    end)
  end)
end)
