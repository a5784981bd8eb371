local handler = require("a0lua.handler")
local json = require("a0lua.core.json")

-- A fake api client that records requests and answers from a table of canned replies.
local function fake_api(replies)
  local api = { calls = {} }
  function api.request(_, method, path, opts)
    api.calls[#api.calls + 1] = { method = method, path = path, body = opts and opts.body }
    local r = replies and replies[method .. " " .. path]
    if type(r) == "function" then return r(opts) end
    if r == 404 then return nil, { code = "api_not_found", status = 404, message = "not found" } end
    if r ~= nil then return r end
    return opts and opts.body or {}
  end
  function api.list(_, path, opts)
    api.calls[#api.calls + 1] = { method = "LIST", path = path, opts = opts }
    return replies and replies["LIST " .. path] or json.array()
  end
  function api.create(_, path, body, opts)
    api.calls[#api.calls + 1] = { method = "CREATE", path = path, body = body, find = opts.find }
    local out = handler.deep_copy(body)
    out.id = "new-id"
    return out
  end
  return api
end

describe("a0lua.handler", function()
  describe("new", function()
    it("fills the defaults of a list handler", function()
      local h = handler.new{ type = "roles", path = "/roles" }
      assert.equal("list", h.kind)
      assert.equal("id", h.id)
      assert.same({ "id", "name" }, h.identifiers)
      assert.equal("name", h.name_field)
      assert.same({ "resourceServers" }, h.depends_on) -- the catalogue's
      assert.same({}, handler.new{ type = "myType", path = "/x" }.depends_on)
      assert.same({}, handler.new{ type = "roles", path = "/roles", depends_on = {} }.depends_on)
      assert.equal("PATCH", h.update_method)
      assert.is_function(h.fetch)
      assert.is_true(handler.is_handler(h))
    end)

    it("gives each handler empty list fields of its own (handlers leave them out)", function()
      local a = handler.new{ type = "roles", path = "/roles" }
      local b = handler.new{ type = "rules", path = "/rules" }
      for _, f in ipairs({ "strip_create", "strip_update", "strip_export", "secrets",
                           "object_fields", "ignore_diff" }) do
        assert.same({}, a[f])
        assert.are_not.equal(a[f], b[f])
      end
      assert.are_not.equal(a.strip_create, a.strip_update)
    end)

    it("adds read_only fields to what create, update and export strip, once", function()
      local spec = { type = "forms", path = "/forms", strip_update = { "id" },
        read_only = { "created_at", "updated_at" } }
      local h = handler.new(spec)
      assert.same({ "created_at", "updated_at" }, h.strip_create)
      assert.same({ "id", "created_at", "updated_at" }, h.strip_update)
      assert.same({ "created_at", "updated_at" }, h.strip_export)
      assert.same({ "id", "created_at", "updated_at" }, handler.new(spec).strip_update)
      assert.has_error(function() handler.new{ type = "x", read_only = "created_at" } end)
    end)

    it("keeps what the spec gives and uses it for behaviour", function()
      local h = handler.new{ type = "clients", path = "/clients", id = "client_id",
        identifiers = { "client_id", "name" }, export = function(_, _, item)
          item.exported = true
          return item
        end }
      assert.same({ "client_id", "name" }, h.identifiers)
      assert.is_true(h:export({}, {}).exported)
    end)

    it("gives keyed lists their name as identifier and singletons none", function()
      assert.same({ "template" }, handler.new{ type = "emailTemplates", kind = "keyed",
        name_field = "template" }.identifiers)
      assert.same({}, handler.new{ type = "tenant", kind = "singleton" }.identifiers)
    end)

    it("raises on a spec without type, a bad kind or a non-function behaviour", function()
      assert.has_error(function() handler.new{} end)
      assert.has_error(function() handler.new("clients") end)
      assert.has_error(function() handler.new{ type = "x", kind = "map" } end)
      assert.has_error(function() handler.new{ type = "x", fetch = 3 } end)
      assert.has_error(function() handler.new{ type = "x", strip_create = "a" } end)
    end)
  end)

  describe("helpers", function()
    it("reads errors and warns on ctx.log", function()
      assert.equal(404, handler.status_of{ code = "api_not_found" })
      assert.equal(403, handler.status_of{ code = "api_error", status = 403 })
      assert.is_nil(handler.status_of("boom"))
      assert.equal("no scope", handler.message_of{ message = "no scope" })
      assert.equal("", handler.message_of{ status = 500 })
      assert.equal("boom", handler.message_of("boom"))
      assert.is_true(handler.is_table(json.array()))
      assert.is_true(handler.feature_off{ code = "api_not_found" })
      assert.is_true(handler.feature_off{ status = 501 })
      assert.is_true(handler.feature_off{ status = 403, error_code = "feature_not_enabled" })
      assert.is_false(handler.feature_off{ status = 403, error_code = "insufficient_scope" })
      assert.is_false(handler.feature_off("boom"))
      assert.is_false(handler.is_table(json.null))
      local warned = {}
      handler.warn({ log = { warn = function(_, m) warned[#warned + 1] = m end } }, "careful")
      handler.warn({}, "nobody listens")
      assert.same({ "careful" }, warned)
    end)

    it("sends one request per item in order, skipping none-requests, stopping at a failure",
      function()
        local api = fake_api({ ["DELETE /x/2"] = 404 })
        local ok = handler.send_each({ api = api }, { 1, 2, 3 }, function(n)
          if n == 2 then return nil end
          return "PATCH", "/x/" .. n, { body = { n = n } }
        end)
        assert.is_true(ok)
        assert.same({ "/x/1", "/x/3" }, { api.calls[1].path, api.calls[2].path })
        local done, err = handler.send_each({ api = api }, { 2, 3 }, function(n)
          return "DELETE", "/x/" .. n
        end)
        assert.is_nil(done)
        assert.equal(404, err.status)
        assert.equal(3, #api.calls)
        local steps = handler.send_steps({ api = api }, {
          { { 4 }, function(n) return "POST", "/x/" .. n end },
          { { 2, 5 }, function(n) return "DELETE", "/x/" .. n end },
          { { 6 }, function(n) return "POST", "/x/" .. n end },
        })
        assert.is_nil(steps)
        assert.same({ "/x/4", "/x/2" }, { api.calls[4].path, api.calls[5].path })
        assert.equal(5, #api.calls)
      end)

    it("reads the items of an optional keyed feature, leaving out the empty and missing",
      function()
        local api = fake_api({ ["GET /f/a"] = { text = "A" }, ["GET /f/b"] = 404,
          ["GET /f/c"] = {} })
        local items = handler.optional_items({ api = api }, { "a", "b", "c" },
          function(k) return "/f/" .. k end, function(k) return { name = k } end)
        assert.same({ { name = "a", text = "A" } }, items)
        local failing = fake_api({ ["GET /f/a"] = function() return nil, { status = 500 } end })
        local none, err = handler.optional_items({ api = failing }, { "a" },
          function(k) return "/f/" .. k end, function(k) return { name = k } end)
        assert.is_nil(none)
        assert.equal(500, err.status)
      end)

    it("reads the tenant's clients once per run and owner, and again when fresh", function()
      local api = fake_api({ ["LIST /clients"] = json.array{ { client_id = "c1", name = "a" } } })
      local ctx = { api = api, current = { clients = json.array{ { client_id = "c0" } } } }
      local lists = handler.client_lists(ctx, "me", false)
      assert.equal(1, #lists)
      assert.equal("c0", lists[1][1].client_id)
      lists = handler.client_lists(ctx, "me", true)
      assert.equal("c1", lists[2][1].client_id)
      handler.client_lists(ctx, "me", true)
      assert.equal(1, #api.calls)
      assert.same({ paging = "offset", key = "clients", query = { is_global = false } },
        api.calls[1].opts)
      handler.clients_once(ctx, "other", "fresh")
      assert.equal(2, #api.calls)
    end)

    it("iterates the table items of a list at their index", function()
      local seen = {}
      for i, item in handler.items({ { a = 1 }, "x", json.null, { a = 2 } }) do
        seen[#seen + 1] = { i, item.a }
      end
      assert.same({ { 1, 1 }, { 4, 2 } }, seen)
      for _ in handler.items(nil) do error("no items") end
      for _ in handler.items("list") do error("no items") end
    end)

    it("runs each item and returns the first failure; reads keys into a table", function()
      local seen = {}
      assert.is_true(handler.each_checked({ 1, 2 }, function(n) seen[#seen + 1] = n end))
      assert.same({ 1, 2 }, seen)
      local ok, err = handler.each_checked({ 1, 2, 3 }, function(n)
        if n > 1 then return nil, { code = "e" .. n } end
        return true
      end)
      assert.is_nil(ok)
      assert.equal("e2", err.code)
      local found = handler.read_each({ "a", "b", "c" }, function(k)
        if k == "b" then return nil end
        return k:upper()
      end)
      assert.same({ a = "A", c = "C" }, found)
      local none, rerr = handler.read_each({ "a" }, function() return nil, { code = "gone" } end)
      assert.is_nil(none)
      assert.equal("gone", rerr.code)
    end)

    it("makes an item's path and its own request without its sub-resources", function()
      local h = handler.new{ type = "roles", path = "/roles", strip_update = { "id", "perms" } }
      assert.equal("/roles/a%2Fb/permissions", handler.item_path(h, "a/b", "permissions"))
      assert.same({ "POST", "/roles", { name = "r" } },
        { handler.own_request(h, "create", { name = "r", perms = { 1 } }, nil, { "perms" }) })
      assert.same({ "PATCH", "/roles/r1", { name = "s" } }, { handler.own_request(h, "update",
        { id = "r1", name = "s", perms = { 1 } }, { id = "r1" }, { "perms" }) })
      assert.is_nil(handler.own_request(h, "update", { perms = { 1 } }, { id = "r1" }, {}))
      assert.is_nil(handler.own_request(h, "update", { name = "s" }, nil, {}))
    end)

    it("creates an item to be found again by its name in the handler's list", function()
      local got
      local api = { create = function(_, path, body, opts)
        got = { path = path, body = body, opts = opts }
        return body
      end }
      local h = handler.new{ type = "roles", path = "/roles",
        list = { paging = "offset", key = "roles" } }
      handler.create_named(h, { api = api }, { name = "r" }, "r")
      assert.equal("/roles", got.path)
      assert.same({ paging = "offset", key = "roles" }, got.opts.list)
      assert.are_not.equal(h.list, got.opts.list)
      assert.is_true(got.opts.find({ name = "r" }))
      assert.is_false(got.opts.find({ name = "s" }))
    end)

    it("reads and compares a singleton section by section", function()
      local sections = { { key = "a", path = "/a" }, { key = "b", path = "/b" },
        { key = "c", path = "/c" } }
      local api = fake_api({ ["GET /a"] = { on = true }, ["GET /b"] = 404 })
      local out = handler.read_sections({ api = api }, sections, function(s, err, got)
        if s.key ~= "b" or err.status ~= 404 then return false end
        got.b = { on = false }
        return true
      end)
      assert.same({ a = { on = true }, b = { on = false }, c = {} }, out)
      local none, err = handler.read_sections({ api = api }, sections, function() return false end)
      assert.is_nil(none)
      assert.equal(404, err.status)
      local payload, diffs = handler.diff_sections(sections,
        { a = { on = false }, b = {}, c = { on = true } }, { a = { on = true }, c = { on = true } },
        function(s, want, have, d)
          if handler.matches(want, have) then return nil end
          d[#d + 1] = { path = s.key }
          return want
        end)
      assert.same({ a = { on = false } }, payload)
      assert.same({ { path = "a" } }, diffs)
      assert.is_nil(handler.diff_sections(sections, { a = { on = true } }, { a = { on = true } },
        function() return nil end))
    end)

    it("writes an item's own fields, then its sub-resources, stopping at a failure", function()
      local api = fake_api()
      local h = handler.new{ type = "roles", path = "/roles" }
      local seen = {}
      local created = handler.create_then(h, { api = api }, { name = "r" }, function(item)
        seen[#seen + 1] = item.id
        return true
      end)
      assert.equal("new-id", created.id)
      local updated = handler.update_then(h, { api = api }, { id = "r1", name = "r" },
        { description = "d" }, function(item)
          seen[#seen + 1] = item.description
          return true
        end)
      assert.equal("d", updated.description)
      assert.same({ "new-id", "d" }, seen)
      assert.same({ "CREATE", "PATCH" }, { api.calls[1].method, api.calls[2].method })
      local out, err = handler.update_then(h, { api = api }, { id = "r1", name = "r" },
        { description = "e" }, function() return nil, { code = "boom" } end)
      assert.is_nil(out)
      assert.equal("boom", err.code)
    end)

    it("creates through the handler's own request and checks a keyed type's keys", function()
      local api = fake_api()
      local h = handler.new{ type = "guardianFactors", kind = "keyed", path = "/guardian/factors",
        update_method = "PUT", write_request = function(_, _, _, payload)
          return "PUT", "/guardian/factors/" .. payload.name, { enabled = payload.enabled }
        end }
      local out = handler.create_own(h, { api = api }, { name = "sms", enabled = true })
      assert.same({ enabled = true }, out)
      assert.same({ method = "PUT", path = "/guardian/factors/sms", body = { enabled = true } },
        api.calls[1])
      local problems = {}
      local report = function(_, _, message) problems[#problems + 1] = message end
      handler.validate_keys(h, {}, { { name = "sms" }, { name = "sms" } }, report)
      local direct = {}
      handler.check_unique_keys(h, { { name = "sms" }, { name = "sms" } },
        function(_, _, message) direct[#direct + 1] = message end)
      assert.same(direct, problems)
      assert.equal(1, #problems)
    end)

    it("strips dot paths from a copy and leaves the original alone", function()
      local item = { a = 1, b = { c = 2, d = 3 }, e = json.array{ 1 } }
      local out = handler.strip(item, { "a", "b.c", "x.y" })
      assert.same({ b = { d = 3 }, e = { 1 } }, out)
      assert.equal(1, item.a)
      assert.equal(2, item.b.c)
      assert.is_true(json.is_array(out.e))
    end)

    it("gets and sets dot paths, creating intermediate objects", function()
      local item = { a = { b = 1 } }
      assert.equal(1, handler.get_path(item, "a.b"))
      assert.is_nil(handler.get_path(item, "a.x.y"))
      handler.set_path(item, "x.y.z", 5)
      assert.equal(5, item.x.y.z)
    end)

    it("compares deeply and strictly", function()
      assert.is_true(handler.deep_equal({ a = { 1, 2 } }, { a = { 1, 2 } }))
      assert.is_false(handler.deep_equal({ a = { 1, 2 } }, { a = { 2, 1 } }))
      assert.is_false(handler.deep_equal({ a = 1 }, { a = 1, b = 2 }))
      assert.is_true(handler.deep_equal(1, 1.0))
      assert.is_true(handler.deep_equal(json.array(), {}))
      assert.is_false(handler.deep_equal(json.null, false))
    end)

    it("matches a desired value as a subset of the tenant's", function()
      assert.is_true(handler.matches({ a = 1 }, { a = 1, extra = true }))
      assert.is_true(handler.matches({ a = { b = 1 } }, { a = { b = 1, c = 2 } }))
      assert.is_true(handler.matches(json.null, nil))
      assert.is_false(handler.matches({ a = 2 }, { a = 1 }))
      assert.is_false(handler.matches(json.array{ "a" }, json.array{ "a", "b" }))
      assert.is_false(handler.matches({ a = 1 }, "x"))
    end)

    it("copies deeply, keeping the array marker and null", function()
      local v = { list = json.array{}, n = json.null }
      local c = handler.deep_copy(v)
      assert.are_not.equal(v.list, c.list)
      assert.is_true(json.is_array(c.list))
      assert.equal(json.null, c.n)
    end)

    it("removes whole-value placeholders from objects but not from arrays", function()
      local out, removed = handler.placeholders{ name = "app ##ENV##", secret = "##SECRET##",
        nested = { v = "@@LIST@@" }, list = json.array{ "##KEEP##" } }
      assert.same({ name = "app ##ENV##", nested = {}, list = { "##KEEP##" } }, out)
      assert.equal(2, #removed)
      assert.equal("nested.v", removed[1].path)
      assert.equal("secret", removed[2].path)
    end)

    it("returns an item without placeholders itself, copying only one that has some", function()
      local item = { name = "app", nested = { v = "x" }, list = json.array{ "##KEEP##" } }
      local out, removed = handler.placeholders(item)
      assert.equal(item, out)
      assert.same({}, removed)
      local with = { name = "app", nested = { v = "##V##" } }
      out = handler.placeholders(with)
      assert.are_not.equal(with, out)
      assert.equal("##V##", with.nested.v)
    end)

    it("escapes URL path segments", function()
      assert.equal("a%2Fb%20c", handler.escape("a/b c"))
    end)

    it("reports duplicate names and ids of a list", function()
      local h = handler.new{ type = "clients", id = "client_id" }
      local found = {}
      handler.check_unique(h, { { name = "a" }, { name = "b", client_id = "x" }, { name = "a" },
        { name = "c", client_id = "x" } }, function(i, field, message)
        found[#found + 1] = { i, field, message }
      end)
      assert.equal(2, #found)
      assert.same({ 3, "name" }, { found[1][1], found[1][2] })
      assert.same({ 4, "client_id" }, { found[2][1], found[2][2] })
      assert.matches("unique", found[1][3])
    end)

    it("turns names into ids and back through the tenant's state, fetching it once", function()
      local clients = handler.new{ type = "clients", id = "client_id" }
      local fetched = 0
      clients.fetch = function()
        fetched = fetched + 1
        return { { client_id = "c1", name = "One" } }
      end
      local ctx = { api = {}, handlers = { get = function(_, t)
        if t == "clients" then return clients end
      end } }
      assert.equal("c1", handler.name_to_id(ctx, "clients", "One"))
      assert.equal("One", handler.id_to_name(ctx, "clients", "c1"))
      assert.is_nil(handler.name_to_id(ctx, "clients", "Two"))
      assert.equal(1, fetched)
    end)

    it("names the secret placeholder after the type and the path", function()
      local h = handler.new{ type = "emailProvider", kind = "singleton" }
      assert.equal("##EMAIL_PROVIDER_CREDENTIALS_API_KEY##",
        handler.secret_placeholder(h, "credentials.api_key"))
    end)
  end)

  describe("schema builders", function()
    it("objects_schema: a list of objects, with the object's and the list's own keywords",
      function()
        local props = { id = { type = "string" } }
        assert.same({ type = "array", items = { type = "object", properties = props } },
          handler.objects_schema(props))
        local s = handler.objects_schema(props,
          { required = { "id" }, additionalProperties = false }, { default = json.array() })
        assert.same({ type = "object", properties = props, required = { "id" },
          additionalProperties = false }, s.items)
        assert.equal("array", s.type)
        assert.equal(json.array_mt, getmetatable(s.default))
      end)
  end)

  describe("export_item", function()
    local h = handler.new{ type = "clients", id = "client_id", strip_export = { "tenant",
      "client_secret" }, secrets = { "jwt.secret" } }

    it("strips read-only fields, the id and puts placeholders for secrets", function()
      local out = handler.export_item(h, { config = {} }, { client_id = "x", name = "A",
        tenant = "t", client_secret = "s", jwt = { secret = "k" } })
      assert.same({ name = "A", jwt = { secret = "##CLIENTS_JWT_SECRET##" } }, out)
    end)

    it("keeps ids, secrets and included props when the config says so", function()
      local cfg = { AUTH0_EXPORT_IDENTIFIERS = true, AUTH0_EXPORT_SECRETS = true,
        INCLUDED_PROPS = { clients = { "client_secret" } },
        EXCLUDED_PROPS = { clients = { "name" } } }
      local out = handler.export_item(h, { config = cfg }, { client_id = "x", name = "A",
        tenant = "t", client_secret = "s", jwt = { secret = "k" } })
      assert.same({ client_id = "x", client_secret = "s", jwt = { secret = "k" } }, out)
    end)
  end)

  describe("generic behaviour", function()
    it("fetches a list through api:list with the handler's list options", function()
      local api = fake_api{ ["LIST /roles"] = json.array{ { id = "r1", name = "R" } } }
      local h = handler.new{ type = "roles", path = "/roles", list = { paging = "offset",
        key = "roles" } }
      local items = h:fetch{ api = api }
      assert.equal("r1", items[1].id)
      assert.equal("roles", api.calls[1].opts.key)
    end)

    it("fetches a singleton with GET and keyed items one by one, skipping 404", function()
      local api = fake_api{ ["GET /tenants/settings"] = { friendly_name = "T" },
        ["GET /email-templates/a"] = { template = "a" }, ["GET /email-templates/b"] = 404 }
      local tenant = handler.new{ type = "tenant", kind = "singleton", path = "/tenants/settings" }
      assert.equal("T", tenant:fetch{ api = api }.friendly_name)
      local keyed = handler.new{ type = "emailTemplates", kind = "keyed", name_field = "template",
        path = "/email-templates", names = { "a", "b" } }
      local items = keyed:fetch{ api = api }
      assert.equal(1, #items)
      assert.equal("a", items[1].template)
    end)

    it("returns the error of a failed fetch and of a keyed handler without names", function()
      local api = fake_api{ ["GET /x"] = function()
        return nil, { code = "api_error", status = 500 }
      end }
      local h = handler.new{ type = "x", kind = "singleton", path = "/x" }
      local v, err = h:fetch{ api = api }
      assert.is_nil(v)
      assert.equal("api_error", err.code)
      local keyed = handler.new{ type = "y", kind = "keyed", path = "/y" }
      v, err = keyed:fetch{ api = api }
      assert.is_nil(v)
      assert.equal("handler", err.code)
    end)

    it("diffs only the fields that differ, minus strip_update, the id and ignore_diff", function()
      local h = handler.new{ type = "clients", id = "client_id", strip_update = { "tenant",
        "jwt.secret_encoded" }, ignore_diff = { "signing_keys" } }
      local payload, diffs = h:diff({}, { client_id = "x", name = "A", tenant = "t",
        callbacks = json.array{ "b" }, jwt = { alg = "RS256", secret_encoded = true },
        signing_keys = json.array{} }, { client_id = "x", name = "A", callbacks = json.array{ "a" },
        jwt = { alg = "HS256" } })
      assert.same({ callbacks = { "b" }, jwt = { alg = "RS256" } }, payload)
      assert.equal("callbacks", diffs[1].path)
      assert.equal("jwt.alg", diffs[2].path)
      assert.is_nil(h:diff({}, { name = "A" }, { name = "A", extra = 1 }))
    end)

    it("creates, updates and deletes through the api", function()
      local api = fake_api()
      local h = handler.new{ type = "roles", path = "/roles" }
      local ctx = { api = api }
      local created = h:create(ctx, { name = "R" })
      assert.equal("new-id", created.id)
      assert.is_true(api.calls[1].find({ name = "R" }))
      assert.is_false(api.calls[1].find({ name = "S" }))
      h:update(ctx, { id = "a b" }, { description = "d" })
      assert.same({ method = "PATCH", path = "/roles/a%20b", body = { description = "d" } },
        api.calls[2])
      assert.is_true(h:delete(ctx, { id = "r1" }))
      assert.equal("DELETE /roles/r1", api.calls[3].method .. " " .. api.calls[3].path)
    end)

    it("updates a singleton at its own path with its update method", function()
      local api = fake_api()
      local h = handler.new{ type = "x", kind = "singleton", path = "/x", update_method = "PUT" }
      h:update({ api = api }, {}, { a = 1 })
      assert.equal("PUT /x", api.calls[1].method .. " " .. api.calls[1].path)
    end)

    it("returns a handler error for an item without id and raises without an api", function()
      local h = handler.new{ type = "roles", path = "/roles" }
      local ok, err = h:delete({ api = fake_api() }, { name = "no id" })
      assert.is_nil(ok)
      assert.equal("handler", err.code)
      assert.has_error(function() h:delete({}, { id = "x" }) end)
    end)
  end)

  describe("keyed items under a compound identifier", function()
    local h = handler.new{ type = "guardianFactorProviders", kind = "keyed",
      identifiers = { { "name", "provider" } } }

    it("are named and keyed by their parts joined with -", function()
      local item = { name = "sms", provider = "twilio" }
      assert.equal("sms-twilio", handler.item_name(h, item))
      assert.equal("sms-twilio", handler.item_id(h, item))
      assert.is_nil(handler.item_id(h, { name = "sms" }))
    end)

    it("must be unique by that key", function()
      local reported = {}
      handler.check_unique_keys(h, { { name = "sms", provider = "twilio" },
        { name = "phone", provider = "twilio" }, { name = "sms", provider = "twilio" } },
        function(i, field, message) reported[#reported + 1] = { i, field, message } end)
      assert.same({ { 3, "name", 'must be unique: "sms-twilio" is also item 0' } }, reported)
    end)
  end)
end)
