-- Event streams and log streams through import, export (both formats) and re-import against
-- `a0lua emulate`: every destination and sink shape, the write-only secrets (sent on create,
-- never compared, exported as a0deploy's placeholders), an action named by name; a misspelt
-- enum of either type fails validation with file and line, and nothing is sent.
local emulator = require("helpers.emulator")
local run = require("helpers.run")
local shared = require("helpers.shared")
local yaml = require("a0lua.core.yaml")

local DIR = "tests/fixtures/e2e/streams"

local function named(list, name) return emulator.find(list, "name", name) end

describe("event streams and log streams through a0lua", function()
  local emu, tmp
  before_each(function()
    emu = emulator.start()
    tmp = run.temp_dir()
  end)
  after_each(function()
    if emu then emu:stop() end
    if tmp then run.remove_tree(tmp) end
  end)

  it("imports into an empty tenant, exports, and re-imports with no write", function()
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    -- The secrets reached the tenant, and no output shows them.
    for _, secret in ipairs({ "stream-bearer-token-1", "http-log-authorization-1",
      "datadog-api-key-1" }) do
      assert.is_nil((out .. err):find(secret, 1, true), secret)
    end
    local state = emu:state()
    local action = named(state["/actions/actions"], "stream-action")
    local streams = state["/event-streams"]
    assert.equal(action.id, named(streams, "Action Stream").destination.configuration.action_id)
    assert.equal("stream-bearer-token-1", named(streams, "Webhook Stream").destination
      .configuration.webhook_authorization.token)
    local logs = state["/log-streams"]
    assert.equal("paused", named(logs, "Datadog Logs").status)
    assert.equal("datadog-api-key-1", named(logs, "Datadog Logs").sink.datadogApiKey)

    emu:clear_requests()
    status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    assert.same({}, emu:writes())

    for _, format in ipairs({ "yaml", "directory" }) do
      local dir = tmp .. "/" .. format
      status, out, err = emu:cli({ "export", "-f", format, "-o", dir })
      assert.equal(0, status, out .. err)
      local input = format == "yaml" and dir .. "/tenant.yaml" or dir
      if format == "yaml" then
        local exported = assert(yaml.decode(shared.read(input)))
        local webhook = named(exported.eventStreams, "Webhook Stream")
        assert.same({ method = "bearer", token = "##EVENT_STREAM_WEBHOOK_BEARER_TOKEN##" },
          webhook.destination.configuration.webhook_authorization)
        assert.is_nil(webhook.id)
        assert.is_nil(webhook.created_at)
        assert.equal("stream-action",
          named(exported.eventStreams, "Action Stream").destination.configuration.action_id)
        assert.equal("##LOGSTREAMS_HTTP_SECRET##",
          named(exported.logStreams, "HTTP Logs").sink.httpAuthorization)
        assert.equal("##LOGSTREAMS_DATADOG_SECRET##",
          named(exported.logStreams, "Datadog Logs").sink.datadogApiKey)
      else
        assert.is_truthy(shared.read(dir .. "/event-streams/Webhook Stream.json"))
        assert.is_truthy(shared.read(dir .. "/log-streams/HTTP Logs.json"))
      end
      emu:clear_requests()
      status, out, err = emu:cli({ "import", "-i", input })
      assert.equal(0, status, out .. err)
      assert.same({}, emu:writes(), format)
    end
    -- The placeholders left the tenant's secrets alone.
    state = emu:state()
    assert.equal("datadog-api-key-1", named(state["/log-streams"], "Datadog Logs").sink
      .datadogApiKey)
  end)

  -- Imports the fixture, then the copy of it that edits makes (pattern -> replacement pairs);
  -- the requests logged are the second import's. -> the copy's path, status, out, err
  local function import_changed(edits)
    local status, out, err = emu:cli({ "import", "-i", DIR .. "/tenant.yaml" })
    assert.equal(0, status, out .. err)
    local text = shared.read(DIR .. "/tenant.yaml")
    for _, e in ipairs(edits) do text = text:gsub(e[1], e[2]) end
    local changed = tmp .. "/changed.yaml"
    run.write_file(changed, text)
    run.write_file(tmp .. "/stream-action.js", shared.read(DIR .. "/stream-action.js"))
    emu:clear_requests()
    return changed, emu:cli({ "import", "-i", changed })
  end

  it("sends only the changed stream, its secret along with the change", function()
    local _, status, out, err = import_changed({
      { "https://example.com/events", "https://example.com/events2" },
      { "httpContentFormat: JSONLINES", "httpContentFormat: JSONARRAY" } })
    assert.equal(0, status, out .. err)
    local writes = emu:writes()
    assert.equal(2, #writes)
    local state = emu:state()
    local webhook = named(state["/event-streams"], "Webhook Stream")
    assert.equal("https://example.com/events2", webhook.destination.configuration.webhook_endpoint)
    assert.equal("stream-bearer-token-1",
      webhook.destination.configuration.webhook_authorization.token)
    local http = named(state["/log-streams"], "HTTP Logs")
    assert.equal("JSONARRAY", http.sink.httpContentFormat)
    assert.equal("http-log-authorization-1", http.sink.httpAuthorization)
  end)

  it("refuses a change of an eventbridge sink (no update body takes one) before any write",
    function()
      local changed, status, out, err = import_changed({
        { "awsRegion: us%-east%-2", "awsRegion: us-west-2" } })
      assert.equal(1, status, out .. err)
      assert.matches(changed .. ":68:5: logStreams[2].sink: the Management API would refuse "
        .. "this update (PATCH /log-streams/{id})", err, 1, true)
      assert.same({}, emu:writes())
    end)

  it("refuses a misspelt status and sink type with file and line, sending nothing", function()
    emu:clear_requests()
    local file = DIR .. "/misspelt.yaml"
    local status, _, err = emu:cli({ "import", "-i", file })
    assert.equal(1, status)
    assert.matches(file .. ":4:5: eventStreams[0].status: must be one of enabled, disabled", err,
      1, true)
    assert.matches(file .. ":13:5: logStreams[0].type: must be one of http, eventbridge, "
      .. "eventgrid, datadog, splunk, sumo, segment, mixpanel", err, 1, true)
    assert.same({}, emu:writes())
  end)
end)
