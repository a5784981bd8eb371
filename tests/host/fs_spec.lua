-- a0lua.core.fs: listing, stat, mkdir -p, whole-file read, atomic write, remove; error tables.
local fs = require("a0lua.core.fs")
local run = require("helpers.run")

-- The permission and I/O error specs use kernel file systems, which refuse these calls even to
-- root; where they are not mounted those specs are pending rather than touching / itself.
local SYSFS = fs.exists("/sys/kernel")
local PROCFS = fs.exists("/proc/self/status")
local NO_SYSFS = "/sys is not a mounted sysfs: the fs_permission spec is skipped"
local NO_PROCFS = "/proc is not a mounted procfs: this error spec is skipped"

-- Defines the spec when available, else marks it pending with why.
local function it_if(available, why, name, fn)
  if available then it(name, fn) else pending(why .. " (" .. name .. ")") end
end

local function sh(cmd) assert(os.execute(cmd), cmd) end
local q = run.quote

-- Asserts that (nil, err) is an fs error with this code and path; returns err.
local function check_error(code, path, value, err)
  assert.is_nil(value)
  assert.are.equal("table", type(err))
  assert.are.equal(code, err.code)
  assert.are.equal(path, err.path)
  assert.are.equal("integer", math.type(err.errno))
  assert.are.equal(path .. ": ", err.message:sub(1, #path + 2))
  assert.are.equal(err.message, tostring(err))
  return err
end

-- Runs `lua` in build/a0lua under `umask <mask>` (a0lua.core.fs is linked into the binary).
local function run_with_umask(mask, lua)
  local script = os.tmpname()
  run.write_file(script, lua)
  local ok = os.execute(("umask %s && build/a0lua run %s"):format(mask, q(script)))
  os.remove(script)
  assert(ok, "build/a0lua run failed under umask " .. mask)
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

describe("a0lua.core.fs", function()
  local dir

  before_each(function() dir = run.temp_dir() end)
  after_each(function() run.remove_tree(dir) end)

  describe("list", function()
    it("returns the entry names in byte order without . and ..", function()
      for _, name in ipairs({ "b", "a", "B", "_x", "a.b", ".hidden", "\195\169", "a b" }) do
        run.write_file(dir .. "/" .. name, "")
      end
      sh("mkdir " .. q(dir .. "/sub"))
      assert.are.same({ ".hidden", "B", "_x", "a", "a b", "a.b", "b", "sub", "\195\169" },
        fs.list(dir))
    end)

    it("returns an empty table for an empty directory", function()
      assert.are.same({}, fs.list(dir))
    end)

    it("sorts a large directory", function()
      local want = {}
      for i = 1, 300 do
        local name = ("%05d"):format((i * 7919) % 100000)
        run.write_file(dir .. "/" .. name, "")
        want[#want + 1] = name
      end
      table.sort(want)
      assert.are.same(want, fs.list(dir))
    end)

    it("returns nil and fs_not_found for a missing directory", function()
      local err = check_error("fs_not_found", dir .. "/missing", fs.list(dir .. "/missing"))
      assert.are.equal(2, err.errno)
    end)

    it("returns nil and fs_not_directory for a file", function()
      run.write_file(dir .. "/f", "x")
      check_error("fs_not_directory", dir .. "/f", fs.list(dir .. "/f"))
    end)

    it("raises for a path that is not a string", function()
      assert.has_error(function() fs.list(42) end)
      assert.has_error(function() fs.list() end)
      assert.has_error(function() fs.list("a\0b") end)
    end)
  end)

  describe("stat", function()
    it("describes a file: type, size, permission bits and mtime", function()
      run.write_file(dir .. "/f", "hello")
      sh("chmod 0640 " .. q(dir .. "/f"))
      local info = assert(fs.stat(dir .. "/f"))
      assert.are.equal("file", info.type)
      assert.are.equal(5, info.size)
      assert.are.equal(416, info.mode) -- 0640
      assert.are.equal("integer", math.type(info.mtime))
      assert.is_true(math.abs(os.time() - info.mtime) < 60)
    end)

    it("describes a directory", function()
      assert.are.equal("directory", assert(fs.stat(dir)).type)
    end)

    it("follows a symbolic link", function()
      run.write_file(dir .. "/target", "abc")
      sh("ln -s target " .. q(dir .. "/link"))
      local info = assert(fs.stat(dir .. "/link"))
      assert.are.equal("file", info.type)
      assert.are.equal(3, info.size)
    end)

    it("reports other kinds of file as other", function()
      assert.are.equal("other", assert(fs.stat("/dev/null")).type)
    end)

    it("returns nil and fs_not_found for a missing path or a dangling link", function()
      check_error("fs_not_found", dir .. "/missing", fs.stat(dir .. "/missing"))
      sh("ln -s nowhere " .. q(dir .. "/dangling"))
      check_error("fs_not_found", dir .. "/dangling", fs.stat(dir .. "/dangling"))
    end)

    it("returns nil and fs_not_directory when a parent is a file", function()
      run.write_file(dir .. "/f", "")
      check_error("fs_not_directory", dir .. "/f/x", fs.stat(dir .. "/f/x"))
    end)

    it("returns nil and fs_io for a link loop or an overlong name", function()
      sh("ln -s loop " .. q(dir .. "/loop"))
      check_error("fs_io", dir .. "/loop", fs.stat(dir .. "/loop"))
      local long = dir .. "/" .. ("n"):rep(300)
      check_error("fs_io", long, fs.stat(long))
    end)

    it("raises for a path that is not a string", function()
      assert.has_error(function() fs.stat({}) end)
      assert.has_error(function() fs.stat(1) end)
    end)
  end)

  describe("lstat", function()
    it("describes a symbolic link itself", function()
      sh("ln -s nowhere " .. q(dir .. "/link"))
      assert.are.equal("link", assert(fs.lstat(dir .. "/link")).type)
    end)

    it("describes a file like stat", function()
      run.write_file(dir .. "/f", "12")
      local info = assert(fs.lstat(dir .. "/f"))
      assert.are.equal("file", info.type)
      assert.are.equal(2, info.size)
    end)

    it("returns nil and fs_not_found for a missing path", function()
      check_error("fs_not_found", dir .. "/missing", fs.lstat(dir .. "/missing"))
    end)

    it("raises for a path that is not a string", function()
      assert.has_error(function() fs.lstat(nil) end)
    end)
  end)

  describe("exists", function()
    it("is true for a file and a directory", function()
      run.write_file(dir .. "/f", "")
      assert.is_true(fs.exists(dir .. "/f"))
      assert.is_true(fs.exists(dir))
    end)

    it("is false for a missing path and a dangling link", function()
      assert.is_false(fs.exists(dir .. "/missing"))
      sh("ln -s nowhere " .. q(dir .. "/dangling"))
      assert.is_false(fs.exists(dir .. "/dangling"))
    end)

    it("raises for a path that is not a string", function()
      assert.has_error(function() fs.exists(true) end)
    end)
  end)

  describe("mkdir_p", function()
    it("creates a directory and its missing parents", function()
      assert.is_true(fs.mkdir_p(dir .. "/a/b/c"))
      assert.are.equal("directory", assert(fs.stat(dir .. "/a/b/c")).type)
    end)

    it("accepts an existing directory, repeated and trailing slashes", function()
      assert.is_true(fs.mkdir_p(dir))
      assert.is_true(fs.mkdir_p(dir .. "//x///y/"))
      assert.are.equal("directory", assert(fs.stat(dir .. "/x/y")).type)
      assert.is_true(fs.mkdir_p(dir .. "/x/y"))
    end)

    it("applies the mode to the directories it creates", function()
      assert.is_true(fs.mkdir_p(dir .. "/p/q", 448)) -- 0700
      assert.are.equal(448, assert(fs.stat(dir .. "/p")).mode)
      assert.are.equal(448, assert(fs.stat(dir .. "/p/q")).mode)
    end)

    it("goes through a symbolic link to a directory", function()
      sh("mkdir " .. q(dir .. "/real") .. " && ln -s real " .. q(dir .. "/alias"))
      assert.is_true(fs.mkdir_p(dir .. "/alias/n"))
      assert.are.equal("directory", assert(fs.stat(dir .. "/real/n")).type)
    end)

    it("returns nil and fs_exists when the path is a file", function()
      run.write_file(dir .. "/f", "keep")
      local err = check_error("fs_exists", dir .. "/f", fs.mkdir_p(dir .. "/f"))
      assert.are.equal(17, err.errno)
      assert.are.equal("keep", slurp(dir .. "/f"))
    end)

    it("returns nil and fs_not_directory when a file is in the way of a parent", function()
      run.write_file(dir .. "/f", "")
      check_error("fs_not_directory", dir .. "/f", fs.mkdir_p(dir .. "/f/x/y"))
    end)

    it_if(SYSFS, NO_SYSFS,
      "returns nil and fs_permission where directories cannot be made", function()
      -- sysfs refuses new directories even to root (EPERM, or EROFS where it is mounted read-only).
      check_error("fs_permission", "/sys/a0lua-spec", fs.mkdir_p("/sys/a0lua-spec/x"))
    end)

    it("raises for a path that is not a string or a bad mode", function()
      assert.has_error(function() fs.mkdir_p(7) end)
      assert.has_error(function() fs.mkdir_p(dir .. "/m", "0755") end)
      assert.has_error(function() fs.mkdir_p(dir .. "/m", 65536) end)
    end)
  end)

  describe("read", function()
    it("returns the whole file, NUL bytes included", function()
      local data = "a\0b\0\255\r\n" .. ("\0"):rep(10)
      run.write_file(dir .. "/bin", data)
      assert.are.equal(data, fs.read(dir .. "/bin"))
    end)

    it("returns an empty string for an empty file", function()
      run.write_file(dir .. "/empty", "")
      assert.are.equal("", fs.read(dir .. "/empty"))
    end)

    it("reads a file larger than its read chunk", function()
      local data = ("0123456789abcdef"):rep(20000) .. "end"
      run.write_file(dir .. "/big", data)
      assert.are.equal(data, fs.read(dir .. "/big"))
    end)

    it("returns nil and fs_not_found for a missing file", function()
      check_error("fs_not_found", dir .. "/missing", fs.read(dir .. "/missing"))
    end)

    it("returns nil and fs_is_directory for a directory", function()
      check_error("fs_is_directory", dir, fs.read(dir))
    end)

    it_if(PROCFS, NO_PROCFS, "returns nil and fs_io when reading fails", function()
      -- Reading this process's memory from offset 0 (unmapped) fails with EIO.
      check_error("fs_io", "/proc/self/mem", fs.read("/proc/self/mem"))
    end)

    it("raises for a path that is not a string", function()
      assert.has_error(function() fs.read() end)
    end)
  end)

  describe("write", function()
    it("creates a file with the data and mode 0666 filtered by the umask", function()
      assert.is_true(fs.write(dir .. "/f", "x\0y"))
      assert.are.equal("x\0y", slurp(dir .. "/f"))
      assert.are.equal(438 & ~run.umask(), assert(fs.stat(dir .. "/f")).mode) -- 0666
      assert.are.same({ "f" }, fs.list(dir))
    end)

    it("honours the umask: 0600 under umask 077, 0664 under 002", function()
      run_with_umask("077", ("local fs = require 'a0lua.core.fs'\n"
        .. "assert(fs.write(%q, 'secret'))\nassert(fs.write(%q, 'x', { mode = 420 }))\n")
        :format(dir .. "/private", dir .. "/asked"))
      assert.are.equal(384, assert(fs.stat(dir .. "/private")).mode) -- 0600
      assert.are.equal(384, assert(fs.stat(dir .. "/asked")).mode)
      run_with_umask("002", ("assert(require('a0lua.core.fs').write(%q, 'x'))")
        :format(dir .. "/shared"))
      assert.are.equal(436, assert(fs.stat(dir .. "/shared")).mode) -- 0664
    end)

    it("sets the mode given, filtered by the umask", function()
      assert.is_true(fs.write(dir .. "/secret", "s", { mode = 384 })) -- 0600
      assert.are.equal(384, assert(fs.stat(dir .. "/secret")).mode)
      assert.is_true(fs.write(dir .. "/open", "o", { mode = 438 })) -- 0666
      assert.are.equal(438 & ~run.umask(), assert(fs.stat(dir .. "/open")).mode)
    end)

    it("never widens the mode of a file it replaces", function()
      run.write_file(dir .. "/f", "old")
      sh("chmod 600 " .. q(dir .. "/f"))
      assert.is_true(fs.write(dir .. "/f", "new"))
      assert.are.equal(384, assert(fs.stat(dir .. "/f")).mode) -- 0600 kept
      assert.are.equal("new", slurp(dir .. "/f"))
      sh("chmod 640 " .. q(dir .. "/f"))
      assert.is_true(fs.write(dir .. "/f", "newer", { mode = 388 })) -- 0604
      assert.are.equal(384, assert(fs.stat(dir .. "/f")).mode) -- the bits both have
      -- narrower than asked, never wider: a 0644 file written 0600 becomes 0600
      sh("chmod 644 " .. q(dir .. "/f"))
      assert.is_true(fs.write(dir .. "/f", "secret", { mode = 384 }))
      assert.are.equal(384, assert(fs.stat(dir .. "/f")).mode)
      -- through a link to a private file too (the link itself is replaced)
      run.write_file(dir .. "/target", "t")
      sh("chmod 600 " .. q(dir .. "/target") .. " && ln -s target " .. q(dir .. "/link"))
      assert.is_true(fs.write(dir .. "/link", "new"))
      assert.are.equal("file", assert(fs.lstat(dir .. "/link")).type)
      assert.are.equal(384, assert(fs.stat(dir .. "/link")).mode)
      assert.are.same({ "f", "link", "target" }, fs.list(dir))
    end)

    it("writes without fsync when sync is false, still by rename", function()
      run.write_file(dir .. "/f", "old")
      assert.is_true(fs.write(dir .. "/f", "quick", { sync = false }))
      assert.are.equal("quick", slurp(dir .. "/f"))
      assert.are.same({ "f" }, fs.list(dir))
      assert.has_error(function() fs.write(dir .. "/f", "x", { sync = "no" }) end)
    end)

    it("replaces an existing file and leaves no temporary file", function()
      run.write_file(dir .. "/f", "old content that is longer")
      assert.is_true(fs.write(dir .. "/f", "new"))
      assert.are.equal("new", slurp(dir .. "/f"))
      assert.are.same({ "f" }, fs.list(dir))
    end)

    it("replaces a symbolic link, not its target", function()
      run.write_file(dir .. "/target", "target")
      sh("ln -s target " .. q(dir .. "/link"))
      assert.is_true(fs.write(dir .. "/link", "new"))
      assert.are.equal("file", assert(fs.lstat(dir .. "/link")).type)
      assert.are.equal("target", slurp(dir .. "/target"))
    end)

    it("writes a relative path in the current directory", function()
      local name = "a0lua-fs-spec-" .. tostring(os.time()) .. ".tmp"
      finally(function() os.remove(name) end)
      assert.is_true(fs.write(name, "rel"))
      assert.are.equal("rel", slurp(name))
      assert.is_true(fs.remove(name))
    end)

    it("returns nil and fs_not_found for a missing directory, leaving nothing behind", function()
      check_error("fs_not_found", dir .. "/no/f", fs.write(dir .. "/no/f", "x"))
      assert.are.same({}, fs.list(dir))
    end)

    it("returns nil and fs_is_directory over a directory, leaving no temporary file", function()
      sh("mkdir " .. q(dir .. "/d"))
      check_error("fs_is_directory", dir .. "/d", fs.write(dir .. "/d", "x"))
      assert.are.same({ "d" }, fs.list(dir))
      check_error("fs_is_directory", dir .. "/d/", fs.write(dir .. "/d/", "x"))
      assert.are.same({}, fs.list(dir .. "/d"))
    end)

    it("returns nil and fs_not_directory when the parent is a file", function()
      run.write_file(dir .. "/f", "")
      check_error("fs_not_directory", dir .. "/f/x", fs.write(dir .. "/f/x", "x"))
    end)

    it_if(SYSFS, NO_SYSFS,
      "returns nil and fs_permission in a directory it may not write", function()
      -- sysfs refuses new files even to root.
      check_error("fs_permission", "/sys/a0lua-spec", fs.write("/sys/a0lua-spec", "x"))
    end)

    it("returns nil and fs_io when the name is too long, leaving nothing behind", function()
      local long = dir .. "/" .. ("n"):rep(250)
      check_error("fs_io", long, fs.write(long, "x"))
      assert.are.same({}, fs.list(dir))
    end)

    it("raises for a non-string path or data and for bad options", function()
      assert.has_error(function() fs.write(1, "x") end)
      assert.has_error(function() fs.write(dir .. "/f", 1) end)
      assert.has_error(function() fs.write(dir .. "/f", nil) end)
      assert.has_error(function() fs.write(dir .. "/f", "x", { mod = 420 }) end)
      assert.has_error(function() fs.write(dir .. "/f", "x", { mode = "0644" }) end)
      assert.has_error(function() fs.write(dir .. "/f", "x", { mode = -1 }) end)
      assert.has_error(function() fs.write(dir .. "/f", "x", 420) end)
      assert.are.same({}, fs.list(dir))
    end)
  end)

  describe("remove", function()
    it("removes a file and an empty directory", function()
      run.write_file(dir .. "/f", "")
      sh("mkdir " .. q(dir .. "/d"))
      assert.is_true(fs.remove(dir .. "/f"))
      assert.is_true(fs.remove(dir .. "/d"))
      assert.are.same({}, fs.list(dir))
    end)

    it("removes a symbolic link to a directory without touching the directory", function()
      sh("mkdir " .. q(dir .. "/d") .. " && touch " .. q(dir .. "/d/keep"))
      sh("ln -s d " .. q(dir .. "/link"))
      assert.is_true(fs.remove(dir .. "/link"))
      assert.are.same({ "d" }, fs.list(dir))
      assert.are.same({ "keep" }, fs.list(dir .. "/d"))
    end)

    it("removes a whole tree with recursive = true", function()
      assert(fs.mkdir_p(dir .. "/t/a/b/c"))
      run.write_file(dir .. "/t/a/f", "1")
      run.write_file(dir .. "/t/a/b/c/g", "2")
      run.write_file(dir .. "/t/.h", "3")
      assert.is_true(fs.remove(dir .. "/t/", { recursive = true }))
      assert.are.same({}, fs.list(dir))
    end)

    it("removes a single file with recursive = true", function()
      run.write_file(dir .. "/f", "")
      assert.is_true(fs.remove(dir .. "/f", { recursive = true }))
      assert.is_false(fs.exists(dir .. "/f"))
    end)

    it("does not follow symbolic links inside a tree", function()
      assert(fs.mkdir_p(dir .. "/outside/deep"))
      run.write_file(dir .. "/outside/deep/keep", "k")
      run.write_file(dir .. "/outside/file", "f")
      assert(fs.mkdir_p(dir .. "/t/sub"))
      sh("ln -s ../outside " .. q(dir .. "/t/dirlink"))
      sh("ln -s ../../outside/file " .. q(dir .. "/t/sub/filelink"))
      assert.is_true(fs.remove(dir .. "/t", { recursive = true }))
      assert.are.same({ "outside" }, fs.list(dir))
      assert.are.same({ "deep", "file" }, fs.list(dir .. "/outside"))
      assert.are.equal("k", slurp(dir .. "/outside/deep/keep"))
    end)

    it("returns nil and fs_not_empty for a non-empty directory without recursive", function()
      assert(fs.mkdir_p(dir .. "/d"))
      run.write_file(dir .. "/d/f", "")
      check_error("fs_not_empty", dir .. "/d", fs.remove(dir .. "/d"))
      check_error("fs_not_empty", dir .. "/d", fs.remove(dir .. "/d", { recursive = false }))
      assert.are.same({ "f" }, fs.list(dir .. "/d"))
    end)

    it("returns nil and fs_not_found for a missing path", function()
      check_error("fs_not_found", dir .. "/missing", fs.remove(dir .. "/missing"))
      check_error("fs_not_found", dir .. "/missing",
        fs.remove(dir .. "/missing", { recursive = true }))
    end)

    it_if(PROCFS, NO_PROCFS,
      "returns nil and fs_permission with the path that could not be removed", function()
      check_error("fs_permission", "/proc/self/status", fs.remove("/proc/self/status"))
      local value, err = fs.remove("/proc/self/attr", { recursive = true })
      assert.is_nil(value)
      assert.are.equal("fs_permission", err.code)
      assert.are.equal("/proc/self/attr/", err.path:sub(1, 16))
    end)

    it("raises for a non-string path and for bad options", function()
      assert.has_error(function() fs.remove(nil) end)
      assert.has_error(function() fs.remove(dir, { recurse = true }) end)
      assert.has_error(function() fs.remove(dir, { recursive = "yes" }) end)
      assert.has_error(function() fs.remove(dir, true) end)
      assert.is_true(fs.exists(dir))
    end)
  end)
end)
