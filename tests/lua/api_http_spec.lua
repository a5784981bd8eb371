-- a0lua.api on the wire: what a request carries, seen by the echo server of
-- tests/helpers/api_server.lua (a separate process on a loopback port).
local api = require("a0lua.api")
local api_server = require("helpers.api_server")

describe("a0lua.api on the wire", function()
  local server

  setup(function() server = api_server.start() end)
  teardown(function() if server then server:stop() end end)

  it("sends the user agent a0lua/<version>, the bearer token and a JSON body", function()
    local client = assert(api.new{ domain = server.url, client_id = "cid", client_secret = "sec",
                                   version = "9.8.7" })
    local echo = client:run(function()
      return assert(client:post("/clients", { name = "wire" }, { query = { a = "b c" } }))
    end)
    client:close()
    assert.equals("POST", echo.method)
    assert.equals("/api/v2/clients", echo.path)
    assert.equals("b c", echo.query.a)
    assert.equals("a0lua/9.8.7", echo.headers["user-agent"])
    assert.equals("Bearer echo-token", echo.headers.authorization)
    assert.equals("application/json", echo.headers["content-type"])
    assert.equals('{"name":"wire"}', echo.body)
  end)

  it("sends no body and no content type with a GET, and the extra headers", function()
    local client = assert(api.new{ domain = server.url, access_token = "ready-token",
                                   headers = { ["X-Auth0-Deploy-Mode"] = "dry-run" } })
    local echo = client:run(function() return assert(client:get("/tenants/settings")) end)
    client:close()
    assert.equals("GET", echo.method)
    assert.equals("", echo.body)
    assert.is_nil(echo.headers["content-type"])
    assert.equals("Bearer ready-token", echo.headers.authorization)
    assert.equals("dry-run", echo.headers["x-auth0-deploy-mode"])
    assert.matches("^a0lua/", echo.headers["user-agent"])
  end)
end)
