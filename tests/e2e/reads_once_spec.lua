-- One read per list per plan: an unchanged re-import of the benchmark tenant sends each GET once.
-- Several handlers read the lists of a type they name while that type's own handler reads it
-- (forms name flows, flows vault connections, token exchange profiles actions, actions their
-- modules, client grants and organizations the clients); the API client keeps the answers for
-- the length of the plan (client:memoizing) so that each goes out once.
local emulator = require("helpers.emulator")
local run = require("helpers.run")

local CLIENT_ID = "a0luaBenchFleetClient00000000001"

local function query_text(q)
  local keys = {}
  for k in pairs(q or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = k .. "=" .. tostring(q[k]) end
  return table.concat(keys, "&")
end

describe("an unchanged re-import of the benchmark tenant", function()
  local emu, tmp
  before_each(function()
    tmp = run.temp_dir()
    local status, out, err = run.run({ "build/a0lua", "run", "bench/tenant-gen.lua", "--size",
      "100", "--seed", "1", "--out", tmp .. "/tenant", "--client-id", CLIENT_ID })
    assert.equal(0, status, tostring(out) .. tostring(err))
    emu = emulator.start{ client_id = CLIENT_ID }
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("reads each list once: no GET is sent twice", function()
    local argv = { "import", "-c", tmp .. "/tenant/config.json",
      "-i", tmp .. "/tenant/tenant.yaml", "--json" }
    local status, out, err = emu:cli(argv)
    assert.equal(0, status, tostring(out) .. tostring(err))
    emu:clear_requests()
    status, out, err = emu:cli(argv)
    assert.equal(0, status, tostring(out) .. tostring(err))
    assert.same({}, emu:writes())
    local seen, twice, gets = {}, {}, 0
    for _, r in ipairs(emu:requests()) do
      if r.method == "GET" then
        gets = gets + 1
        local key = r.path .. "?" .. query_text(r.query)
        if seen[key] then twice[#twice + 1] = key end
        seen[key] = true
      end
    end
    table.sort(twice)
    assert.same({}, twice)
    -- (the lists read twice before: actions, action modules, flows, vault connections, clients)
    assert.is_true(gets > 50)
  end)
end)
