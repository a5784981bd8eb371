-- handlers/rules.lua: rules (a0deploy type `rules`, deprecated in favour of actions),
-- docs/handlers.md §rules. The script lives in a companion .js file (the formats inline it).
-- Orders are unique on the tenant: an existing rule whose order a changed rule takes is moved
-- out of the way first, once per run, before any rule is written.
local handler = require("a0lua.handler")
local errors = require("a0lua.errors")
local json = require("a0lua.core.json")

local NULL = json.null
local Base = handler.Base

local STAGES = { "login_success", "login_failure", "pre_authorize" }
local DEFAULT_STAGE = "login_success"

local DEPRECATED = "Rules are deprecated, migrate to using actions instead. See: "
  .. "https://auth0.com/docs/customize/actions/migrate/migrate-from-rules-to-actions"

local SCHEMA = handler.named_schema{
  properties = {
    name = handler.script_name_schema(),
    script = { type = "string", default = "" },
    order = { type = { "number", "null" }, default = NULL },
    enabled = { type = "boolean", default = true },
    stage = { type = "string", enum = STAGES, default = DEFAULT_STAGE },
  },
}

local M = {
  type = "rules",
  path = "/rules",
  list = { paging = "offset", key = "rules" },
  schema = SCHEMA,
  -- a stage cannot change (validation refuses it); a null order is "any": the API picks one
  strip_update = { "id", "stage" },
  -- fetch is told whether the files ask for rules (a tenant without them is then an error)
  read_wanted = true,
}

local function is_number(v) return type(v) == "number" end

local status_of = handler.status_of

-- A tenant without rules (created after their deprecation) answers 403, or an error saying the
-- feature is deprecated.
local function unavailable(err)
  if status_of(err) == 403 then return true end
  local msg = type(err) == "table" and tostring(err.message or "") or tostring(err)
  return msg:find("deprecated feature", 1, true) ~= nil
end
M.unavailable = unavailable

-- The error of a type the files ask for on a tenant without it (rules_unavailable,
-- hooks_unavailable): never a silent skip.
function M.unavailable_error(type_name, err)
  local code = (type_name == "hooks" and "hooks" or "rules") .. "_unavailable"
  return errors.from{
    code = code, type = type_name, status = status_of(err) or 403,
    message = ("%s: the tenant does not offer %s (a deprecated feature: %s); migrate them to "
      .. "actions, or exclude the type (AUTH0_EXCLUDED)"):format(type_name, type_name,
      type(err) == "table" and tostring(err.message or err.code) or tostring(err)) }
end

--------------------------------------------------------------------------------------------------
-- Reading the tenant

-- GET /rules. A tenant without rules: none when the files ask for none (`rules: []`, as
-- a0deploy reads it), an error naming the type when they ask for some (never a silent skip);
-- an export (want nil) gets the error, which it turns into a warning and leaves rules out.
function M.fetch(self, ctx, want)
  local list, err = Base.fetch(self, ctx)
  if list ~= nil then return list end
  if not unavailable(err) then return nil, err end
  if type(want) == "table" and #want == 0 then
    if ctx.log then ctx.log:info("rules: the tenant has no rules (deprecated feature), none wanted")
    end
    return json.array()
  end
  return nil, M.unavailable_error(self.type, err)
end

--------------------------------------------------------------------------------------------------
-- Validation

-- Two rules of the files with one order: a0deploy's "multiple rules for the same order".
function M.validate(_, _, items, report)
  local seen = {}
  for i, r in handler.items(items) do
    if is_number(r.order) then
      local first = seen[r.order]
      if first then
        report(i, "order", ("must be unique: order %s is also rule %q's (item %d)"):format(
          tostring(r.order), tostring(items[first].name), first - 1))
      else
        seen[r.order] = i
      end
    end
  end
end

--------------------------------------------------------------------------------------------------
-- Import

local function lower(s) return type(s) == "string" and s:lower() or s end

local function excluded_names(ctx)
  local out = {}
  local list = ctx.config and ctx.config.AUTH0_EXCLUDED_RULES
  for _, n in ipairs(type(list) == "table" and list or {}) do out[n] = true end
  return out
end

-- The existing rules to move out of the way: each whose order a desired rule of another name
-- takes, to one past the highest order of both sides (a0deploy's temporary re-ordering).
local function moves_for(desired, current, excluded)
  local top = 0
  for _, r in ipairs(desired) do
    if is_number(r.order) and r.order > top then top = r.order end
  end
  for _, r in ipairs(current) do
    if is_number(r.order) and r.order > top then top = r.order end
  end
  local moves = {}
  for _, r in ipairs(desired) do
    if is_number(r.order) and not excluded[r.name] then
      for _, c in ipairs(current) do
        if c.order == r.order and c.name ~= r.name and not excluded[c.name] then
          top = top + 1
          moves[#moves + 1] = { id = c.id, name = c.name, order = top, taken_by = r.name }
        end
      end
    end
  end
  return moves
end

-- Before matching: the deprecation warning (a0deploy's, every run that has rules); a null order
-- is left to the API; a rule whose stage differs from the tenant's rule of that name is an
-- error (the API cannot change it: rename the rule), as is an order an excluded rule on the
-- tenant holds. The moves of colliding rules are kept for the first write.
function M.resolve(_, ctx, desired)
  if type(desired) ~= "table" then return desired end
  local state = handler.run_state(ctx, "rules")
  if #desired > 0 and ctx.log and not state.warned then
    state.warned = true -- once a run, though a plan may be made again within it
    ctx.log:warn(DEPRECATED)
  end
  local current = type(ctx.current) == "table" and type(ctx.current.rules) == "table"
    and ctx.current.rules or {}
  local excluded = excluded_names(ctx)
  for i, r in ipairs(desired) do
    if type(r) == "table" then
      if r.order == NULL then r.order = nil end
      for _, c in ipairs(current) do
        if lower(c.name) == lower(r.name) and not excluded[r.name] and r.stage ~= nil
            and c.stage ~= nil and r.stage ~= c.stage then
          error(errors.from{
            code = "rule_stage", type = "rules", pointer = ("/rules/%d/stage"):format(i - 1),
            message = ("rules %s: stage: the stage of a "
            .. "rule cannot change (%s on the tenant, %s in the files); rename the rule to "
            .. "create it anew"):format(tostring(r.name), tostring(c.stage), tostring(r.stage)) },
            0)
        end
        if excluded[c.name] and is_number(r.order) and c.order == r.order
            and not excluded[r.name] then
          error(errors.from{
            code = "rule_order", type = "rules", pointer = ("/rules/%d/order"):format(i - 1),
            message = ("rules %s: order: order %s is held "
            .. "by rule %q, which AUTH0_EXCLUDED_RULES leaves alone"):format(tostring(r.name),
            tostring(r.order), tostring(c.name)) }, 0)
        end
      end
    end
  end
  local moves = moves_for(desired, current, excluded)
  for _, m in ipairs(moves) do
    if ctx.log then
      ctx.log:info(("rules: %s is moved to order %d first (its order goes to %s)"):format(
        tostring(m.name), m.order, tostring(m.taken_by)))
    end
  end
  handler.run_state(ctx, "rules").moves = moves
  return desired
end

local function in_task()
  local ok, tasks = pcall(require, "a0lua.tasks")
  return ok and tasks.current() and tasks or nil
end

-- The moves, sent once per run before the first rule write (the other writes wait for them:
-- inside tasks on a signal fired once the moves are done).
local function move_colliding(ctx)
  local c = handler.run_state(ctx, "rules")
  if not c.moves or #c.moves == 0 then return true end
  if c.done then return c.ok, c.err end
  if c.running then
    if c.moved then c.moved:wait() end
    return c.ok, c.err
  end
  c.running = true
  local tasks = in_task()
  c.moved = tasks and tasks.signal() or nil
  c.ok = true
  for _, m in ipairs(c.moves) do
    local answer, err = ctx.api:request("PATCH", "/rules/" .. handler.escape(m.id),
      { body = { order = m.order } })
    if answer == nil then
      c.ok, c.err = nil, err
      break
    end
    if ctx.log then
      ctx.log:info(("rules: %s moved to order %d"):format(tostring(m.name), m.order))
    end
  end
  c.done = true
  if c.moved then c.moved:fire() end
  return c.ok, c.err
end

-- The create body: a null order is left to the API (one past the highest).
function M.write_request(self, ctx, op, payload, current)
  if op == "create" then
    local body = handler.strip(payload, { "id" })
    if body.order == NULL then body.order = nil end
    return "POST", self.path, body
  end
  return Base.write_request(self, ctx, op, payload, current)
end

function M.create(self, ctx, payload)
  local ok, err = move_colliding(ctx)
  if not ok then return nil, err end
  local _, _, body = self:write_request(ctx, "create", payload)
  return Base.create(self, ctx, body)
end

function M.update(self, ctx, current, payload)
  local ok, err = move_colliding(ctx)
  if not ok then return nil, err end
  return Base.update(self, ctx, current, payload)
end

--------------------------------------------------------------------------------------------------
-- Export

-- AUTH0_EXCLUDED_RULES are not written (the formats leave them out too).
function M.export(_, ctx, item)
  if excluded_names(ctx)[item.name] then return nil end
  return item
end

return M
