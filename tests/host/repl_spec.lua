-- a0lua.core.repl: readline over a pipe and in a terminal (a tmux pane), history files, completion.
--
-- The terminal and history-file specs run tests/helpers/repl_driver.lua in a child lua5.4. Debian's
-- lua5.4 links GNU readline, whose readline symbols would win over libedit's inside the dlopen'ed
-- module, so the child gets LD_PRELOAD=libedit.so.2 and runs libedit, as the a0lua binary does
-- (the driver logs repl.version, and the specs check it names libedit's wrapper).
local repl = require("a0lua.core.repl")
local run = require("helpers.run")

local q = run.quote

local ROOT = (function()
  local p = assert(io.popen("pwd"))
  local dir = p:read("l")
  p:close()
  return dir
end)()
local DRIVER = ROOT .. "/tests/helpers/repl_driver.lua"
local LIBEDIT = "libedit.so.2"

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- The driver's log as a list of records, each a list of fields.
local function read_log(path)
  local records = {}
  for line in (slurp(path) or ""):gmatch("[^\n]+") do
    local fields = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
    records[#records + 1] = fields
  end
  return records
end

local function find(records, kind)
  local found = {}
  for _, r in ipairs(records) do
    if r[1] == kind then found[#found + 1] = r end
  end
  return found
end

-- Runs the driver fed by a pipe: status, stdout, log records.
local function piped(input, dir, history, max_lines)
  local log = dir .. "/log"
  local argv = { "lua5.4", DRIVER, history or "-", log, max_lines }
  local status, out = run.run(argv, { env = { LD_PRELOAD = LIBEDIT }, stdin = input })
  return status, out, read_log(log)
end

describe("a0lua.core.repl", function()
  local dir

  before_each(function() dir = run.temp_dir() end)
  after_each(function() run.remove_tree(dir) end)

  describe("readline", function()
    it("returns piped lines exactly, without a prompt, then nil at the end of input", function()
      local input = "one\n\n  two \r\nthree\tfour\nlast"
      local status, out, log = piped(input, dir)
      assert.are.equal(0, status)
      assert.are.equal(input .. "\n", out)
      assert.are.same({ { "eof", "nil" } }, find(log, "eof"))
    end)

    it("returns a piped line longer than its read buffer whole", function()
      local long = ("abcdefghij"):rep(2000)
      local _, out = piped(long .. "\nshort\n", dir)
      assert.are.equal(long .. "\nshort\n", out)
    end)

    it("returns nil at once for empty piped input", function()
      local status, out, log = piped("", dir)
      assert.are.equal(0, status)
      assert.are.equal("", out)
      assert.are.same({ { "eof", "nil" } }, find(log, "eof"))
    end)

    it("raises for a prompt that is not a string", function()
      assert.has_error(function() repl.readline({}) end)
    end)
  end)

  describe("isatty", function()
    it("is false when stdin is a pipe", function()
      local _, _, log = piped("x\n", dir)
      assert.are.same({ { "isatty", "false" } }, find(log, "isatty"))
    end)
  end)

  describe("add_history", function()
    it("adds a line that save_history then writes", function()
      repl.add_history("a0lua_spec_entry")
      assert.is_true(repl.save_history(dir .. "/h"))
      assert.truthy(slurp(dir .. "/h"):find("a0lua_spec_entry\n", 1, true))
    end)

    it("raises for a line that is not a string or holds a NUL byte", function()
      assert.has_error(function() repl.add_history(nil) end)
      assert.has_error(function() repl.add_history(42) end)
      assert.has_error(function() repl.add_history("a\0b") end)
    end)
  end)

  describe("save_history", function()
    it("writes libedit's history format with mode 0600", function()
      local _, _, log = piped("alpha\nbeta gamma\n\n", dir, dir .. "/hist")
      assert.are.same({ { "save", "true" } }, find(log, "save"))
      assert.are.equal("_HiStOrY_V2_\nalpha\nbeta\\040gamma\n", slurp(dir .. "/hist"))
      local p = assert(io.popen("stat -c %a " .. q(dir .. "/hist")))
      assert.are.equal("600", p:read("l"))
      p:close()
    end)

    it("keeps only the newest max_lines entries", function()
      piped("one\ntwo\n", dir, dir .. "/hist")
      local _, _, log = piped("three\n", dir, dir .. "/hist", 2)
      assert.are.same({ { "load", "true" } }, find(log, "load"))
      assert.are.equal("_HiStOrY_V2_\ntwo\nthree\n", slurp(dir .. "/hist"))
    end)

    it("returns nil and fs_not_found when the directory is missing", function()
      local ok, err = repl.save_history(dir .. "/missing/h")
      assert.is_nil(ok)
      assert.are.equal("fs_not_found", err.code)
      assert.are.equal(dir .. "/missing/h", err.path)
      assert.are.equal(2, err.errno)
    end)

    it("returns nil and repl_history when the file cannot be written", function()
      local ok, err = repl.save_history(dir)
      assert.is_nil(ok)
      assert.are.equal("repl_history", err.code)
      assert.are.equal(dir, err.path)
      assert.are.equal(dir .. ": ", tostring(err):sub(1, #dir + 2))
    end)

    it("raises for a file name that is not a string or a bad max_lines", function()
      assert.has_error(function() repl.save_history(nil) end)
      assert.has_error(function() repl.save_history(dir .. "/h", -1) end)
      assert.has_error(function() repl.save_history(dir .. "/h", "ten") end)
    end)
  end)

  describe("load_history", function()
    it("loads a file that save_history wrote", function()
      repl.add_history("a0lua_spec_loaded")
      assert.is_true(repl.save_history(dir .. "/h"))
      assert.is_true(repl.load_history(dir .. "/h"))
    end)

    it("returns nil and fs_not_found for a missing file", function()
      local ok, err = repl.load_history(dir .. "/missing")
      assert.is_nil(ok)
      assert.are.equal("fs_not_found", err.code)
      assert.are.equal(dir .. "/missing", err.path)
      assert.are.equal(2, err.errno)
    end)

    it("returns nil and repl_history for a file that is not a history file", function()
      local path = dir .. "/notes"
      run.write_file(path, "just some text\n")
      local _, _, log = piped("", dir, path)
      assert.are.same({ { "load", "repl_history" } }, find(log, "load"))
    end)

    it("raises for a file name that is not a string", function()
      assert.has_error(function() repl.load_history({}) end)
    end)
  end)

  describe("set_completer", function()
    it("raises for anything but a function or nil", function()
      assert.has_error(function() repl.set_completer(42) end)
      assert.has_error(function() repl.set_completer("complete") end)
    end)
  end)

  describe("version", function()
    it("names the line editor and its readline API level", function()
      assert.are.equal("string", type(repl.version))
      assert.truthy(repl.version:match(" %(readline API %d+%.%d+%)$"))
    end)
  end)

  describe("in a terminal", function()
    if not os.execute("command -v tmux >/dev/null 2>&1") then
      pending("tmux is not installed: the terminal specs of a0lua.core.repl are skipped")
      return
    end

    -- Each spec gets its own tmux server, on a socket inside its temporary directory.
    local socket, log_path, hist_path

    local function tmux(args)
      return os.execute("tmux -S " .. q(socket) .. " " .. args .. " >/dev/null 2>&1")
    end

    local function screen()
      local p = assert(io.popen("tmux -S " .. q(socket) .. " capture-pane -p -t a0 2>/dev/null"))
      local s = p:read("a")
      p:close()
      return s
    end

    -- Polls until check(screen) is true; fails with the last screen after a minute, only a
    -- bound on a hang: a busy machine may take its time to draw.
    local function wait_for(what, check)
      local s
      local deadline = os.time() + 60
      repeat
        s = screen()
        if check(s) then return s end
        os.execute("sleep 0.05")
      until os.time() > deadline
      error("timed out waiting for " .. what .. "; the screen was:\n" .. tostring(s))
    end

    local function last_line(s)
      local last = ""
      for line in s:gmatch("[^\n]+") do
        if line:match("%S") then last = line end
      end
      return last
    end

    local function wait_prompt()
      return wait_for("the prompt", function(s) return last_line(s):match("^>%s*$") end)
    end

    local function count(s, text)
      local n, from = 0, 1
      while true do
        local i = s:find(text, from, true)
        if not i then return n end
        n, from = n + 1, i + #text
      end
    end

    -- Types text (literally), then the named keys, e.g. type_keys("tenant.cli", "Tab").
    local function type_keys(text, ...)
      if text and text ~= "" then assert(tmux("send-keys -t a0 -l " .. q(text))) end
      for _, key in ipairs({ ... }) do assert(tmux("send-keys -t a0 " .. key)) end
    end

    -- Presses Enter and waits for the driver's echo of the line and the next prompt.
    local function enter(expected_line, times)
      type_keys(nil, "Enter")
      wait_for("=> " .. expected_line, function(s)
        return count(s, "=> " .. expected_line .. "\n") >= (times or 1)
      end)
      wait_prompt()
    end

    -- Ends input with Ctrl-D and returns the driver's log once it has saved its history.
    local function finish()
      type_keys(nil, "C-d")
      local log
      local deadline = os.time() + 60
      repeat
        log = read_log(log_path)
        if #find(log, "save") > 0 then return log end
        os.execute("sleep 0.05")
      until os.time() > deadline
      error("the driver did not finish; the screen was:\n" .. screen())
    end

    -- Starts the driver in a new tmux pane, with a history file holding history_text if given.
    local function start(history_text)
      socket = dir .. "/tmux.sock"
      log_path, hist_path = dir .. "/log", dir .. "/hist"
      if history_text then run.write_file(hist_path, history_text) end
      local cmd = ("env -u TMUX HOME=%s LD_PRELOAD=%s lua5.4 %s %s %s"):format(
        q(dir), LIBEDIT, q(DRIVER), q(hist_path), q(log_path))
      assert(tmux("new-session -d -s a0 -x 120 -y 30 " .. q(cmd)))
      wait_prompt()
    end

    after_each(function()
      if socket then tmux("kill-server") end
      socket = nil
    end)

    it("runs libedit on a terminal", function()
      start()
      local log = finish()
      assert.are.same({ { "isatty", "true" } }, find(log, "isatty"))
      assert.truthy(find(log, "version")[1][2]:match("^EditLine wrapper"))
    end)

    it("inserts the completer's only candidate on Tab", function()
      start()
      type_keys("tenant.cli", "Tab")
      wait_for("the completed line", function(s) return s:find("> tenant.clients", 1, true) end)
      enter("tenant.clients")
      type_keys("client:up", "Tab")
      enter("client:update")
      local log = finish()
      assert.are.same({ { "complete", "tenant.cli", "tenant.cli", "1" },
        { "complete", "client:up", "client:up", "1" } }, find(log, "complete"))
    end)

    it("passes the word, the whole line and the word's 1-based start to the completer", function()
      start()
      type_keys("x = print(tenant.con", "Tab")
      type_keys(") -- done")
      enter("x = print(tenant.connections) -- done")
      local log = finish()
      assert.are.same({ { "complete", "tenant.con", "x = print(tenant.con", "11" } },
        find(log, "complete"))
    end)

    it("inserts the common prefix of several candidates and lists them on a second Tab", function()
      start()
      type_keys("c", "Tab")
      wait_for("the common prefix", function(s) return last_line(s):match("^> client:%s*$") end)
      type_keys(nil, "Tab")
      wait_for("the list", function(s)
        return s:find("client:delete", 1, true) and s:find("client:update", 1, true)
      end)
      type_keys("d", "Tab")
      enter("client:delete")
      local log = finish()
      assert.are.same({ "complete", "c", "c", "1" }, find(log, "complete")[1])
      assert.are.same({ "complete", "client:d", "client:d", "1" }, find(log, "complete")[3])
    end)

    it("gives no candidates when the completer raises, and goes on reading", function()
      start()
      type_keys("boom", "Tab")
      enter("boom")
      type_keys("after")
      enter("after") -- and the prompt after it: C-d must reach the editor, not a cooked tty
      local log = finish()
      assert.are.same({ { "complete", "boom", "boom", "1" } }, find(log, "complete"))
    end)

    it("recalls earlier lines with Up", function()
      start()
      type_keys("first")
      enter("first")
      type_keys("second")
      enter("second")
      type_keys(nil, "Up", "Up")
      enter("first", 2)
      type_keys(nil, "Up")
      enter("first", 3)
      assert.are.equal(1, count(screen(), "=> second\n"))
    end)

    it("saves the session's history with save_history at the end", function()
      start()
      type_keys("local a = 1")
      enter("local a = 1")
      type_keys("tenant.cli", "Tab")
      enter("tenant.clients")
      local log = finish()
      assert.are.same({ { "load", "fs_not_found" } }, find(log, "load"))
      assert.are.same({ { "save", "true" } }, find(log, "save"))
      assert.are.equal("_HiStOrY_V2_\nlocal\\040a\\040=\\0401\ntenant.clients\n", slurp(hist_path))
    end)

    it("recalls a line loaded by load_history with Up", function()
      start("_HiStOrY_V2_\nfrom\\040a\\040file\n")
      type_keys(nil, "Up")
      enter("from a file")
      local log = finish()
      assert.are.same({ { "load", "true" } }, find(log, "load"))
      assert.are.equal("_HiStOrY_V2_\nfrom\\040a\\040file\nfrom\\040a\\040file\n",
        slurp(hist_path))
    end)
  end)
end)
