-- a0lua.emulator.paging: offset and checkpoint pagination, the Actions envelope, the 1,000-record
-- cap; unit checks, then the same through `a0lua emulate`.
local json = require("a0lua.core.json")
local errors = require("a0lua.emulator.errors")
local paging = require("a0lua.emulator.paging")
local emulator = require("helpers.emulator")

local function items(n)
  local out = json.array()
  for i = 1, n do out[i] = { id = "i" .. i } end
  return out
end

local function answer_of(fn)
  local ok, err = pcall(fn)
  assert.is_false(ok)
  assert.is_true(errors.is_answer(err))
  return err
end

describe("a0lua.emulator.paging", function()
  describe("apply", function()
    it("answers a bare page of 50 when no page is asked", function()
      local page = paging.apply("both", items(120), {}, { key = "x" })
      assert.is_true(json.is_array(page))
      assert.are.equal(50, #page)
      assert.are.equal("i1", page[1].id)
    end)

    it("answers the offset envelope with include_totals", function()
      local body = paging.apply("offset", items(250), { page = "2", per_page = "100",
        include_totals = "true" }, { key = "roles" })
      assert.are.equal(200, body.start)
      assert.are.equal(100, body.limit)
      assert.are.equal(250, body.total)
      assert.are.equal(50, #body.roles)
      assert.are.equal("i201", body.roles[1].id)
    end)

    it("refuses offset pages past 1,000 records with the API's message", function()
      local err = answer_of(function()
        paging.apply("both", items(2000), { page = "10", per_page = "100" }, { key = "x" })
      end)
      assert.are.equal(400, err.status)
      assert.are.equal("Requesting page 10 exceeds the allowed maximum of 1000 records. To "
        .. "fetch results beyond 1000, use the checkpoint pagination method.", err.body.message)
      local last = paging.apply("both", items(2000), { page = "9", per_page = "100" },
        { key = "x" })
      assert.are.equal("i1000", last[100].id)
    end)

    it("checks per_page and take", function()
      local err = answer_of(function()
        paging.apply("both", items(5), { per_page = "101" }, { key = "x" })
      end)
      assert.are.equal("invalid_query_string", err.body.errorCode)
      assert.matches("greater than maximum 100", err.body.message)
      err = answer_of(function()
        paging.apply("checkpoint", items(5), { take = "11" }, { key = "x", max_take = 10 })
      end)
      assert.matches("on property take", err.body.message)
      err = answer_of(function() paging.apply("offset", items(5), { page = "x" }, {}) end)
      assert.are.equal(400, err.status)
    end)

    it("walks a list with checkpoints until next is absent", function()
      local list, seen, from = items(250), {}, nil
      repeat
        local body = paging.apply("both", list, { take = "100", from = from },
          { key = "x", id_field = "id" })
        for _, it in ipairs(body.x) do seen[#seen + 1] = it.id end
        from = body.next
      until not from
      assert.are.equal(250, #seen)
      assert.are.equal("i250", seen[250])
    end)

    it("resumes after items before the checkpoint were deleted", function()
      local list = items(10)
      local first = paging.apply("checkpoint", list, { take = "5" }, { key = "x" })
      table.remove(list, 1)
      local second = paging.apply("checkpoint", list, { take = "5", from = first.next },
        { key = "x" })
      assert.are.equal("i6", second.x[1].id)
    end)

    it("answers the Actions envelope, leaving out zero values when asked", function()
      local body = paging.apply("actions", items(30), { page = "1", per_page = "10" },
        { key = "actions" })
      assert.are.same({ 30, 1, 10, "i11" }, { body.total, body.page, body.per_page,
        body.actions[1].id })
      assert.are.equal(20, paging.apply("actions", items(30), {}, { key = "a" }).per_page)
      local empty = paging.apply("actions", json.array(), { per_page = "100" },
        { key = "actions", omit_zero = true })
      assert.are.equal('{"actions":[],"per_page":100}', json.encode(empty))
    end)

    it("answers a bare list for a checkpoint route asked without from or take", function()
      local list = items(3)
      assert.are.equal(list, paging.apply("checkpoint", list, {}, { key = "x",
        bare_without_params = true }))
      assert.are.same({ x = list }, paging.apply("wrap", list, {}, { key = "x" }))
    end)
  end)

  describe("through the emulator", function()
    local emu
    setup(function()
      local clients = json.array()
      for i = 1, 1100 do
        clients[i] = { client_id = ("c%031d"):format(i), name = "client " .. i }
      end
      emu = emulator.start({ state = { ["/clients"] = clients } })
    end)
    teardown(function() if emu then emu:stop() end end)

    it("pages /clients by offset with totals", function()
      local res = emu:get("/clients?page=1&per_page=100&include_totals=true")
      assert.are.equal(200, res.status)
      assert.are.same({ 100, 100, 1100 }, { res.json.start, res.json.limit, res.json.total })
      assert.are.equal("client 101", res.json.clients[1].name)
    end)

    it("answers 400 past the first 1,000 clients and reaches them by checkpoint", function()
      local res = emu:get("/clients?page=10&per_page=100")
      assert.are.equal(400, res.status)
      assert.matches("exceeds the allowed maximum of 1000 records", res.json.message)
      local count, from = 0, nil
      repeat
        local page = emu:get("/clients?take=100" .. (from and ("&from=" .. from) or ""))
        count = count + #page.json.clients
        from = page.json.next
      until not from
      assert.are.equal(1100, count)
    end)

    it("projects fields with fields and include_fields", function()
      local res = emu:get("/clients?fields=name&include_fields=true&per_page=2")
      assert.are.same({ { name = "client 1" }, { name = "client 2" } }, res.json)
      local without = emu:get("/clients?fields=name&include_fields=false&per_page=1")
      assert.is_nil(without.json[1].name)
      assert.is_string(without.json[1].client_id)
    end)
  end)
end)
