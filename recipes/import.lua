--[[
recipes/import.lua: `a0lua import` (alias deploy), `a0lua plan` and `a0lua validate` are this
recipe; it is also the first example of how to write one.

  a0lua import -i tenant.yaml|DIR [-c config.json] [--dry-run] [--apply | --interactive] ...
  a0lua run import -i tenant.yaml ...          the same, run as a recipe

arg.command says which command runs it: "import" (default), "deploy", "plan" or "validate".

Steps: flags (a0lua.args) -> config (file, environment, flags: a0lua.config) -> the files
(a0lua.load: keywords replaced, companion files inlined, the `load` hooks, validation with no
network: every problem at once, "file:line:column: path: message") -> the tenant read and
references checked against it -> the plan (and the `plan` hooks) -> (dry run: print it, the
`done` hooks, stop) -> apply, stage by stage (the `before` hooks of every change first, `after`
each) -> a report per type. Nothing is written to the tenant when anything before apply fails.

Exit status: 0 done (or a dry run), 1 any error; plan: 0 no changes, 2 changes. --json: events
as JSON lines on stderr and the result (plan or report) as one JSON document on stdout.
]]
local a0lua = require("a0lua")
local json = require("a0lua.core.json")
local run = require("a0lua.commands.run")

local MODES = { import = "import", deploy = "import", plan = "plan", validate = "validate" }

local script = _G.arg or {}
local name = script.command or "import"
local mode = script.mode or MODES[name]
if not mode then error(("import recipe: unknown command %s"):format(tostring(name)), 0) end

local function stdout_is_tty()
  return os.execute("test -t 1") == true
end

local function use_color(cfg)
  if cfg.json then return false end
  local nc = os.getenv("NO_COLOR")
  if nc and nc ~= "" then return false end
  if os.getenv("TERM") == "dumb" then return false end
  return stdout_is_tty()
end

-- Prints a list of problems (validation) and returns 1.
local function report_problems(log, problems, what)
  for _, p in ipairs(problems) do log:error(tostring(p)) end
  log:error(("%s: %d problem%s, nothing was changed"):format(what, #problems,
    #problems == 1 and "" or "s"))
  local list = json.array()
  for _, p in ipairs(problems) do
    list[#list + 1] = { code = p.code, file = p.file, line = p.line, column = p.column,
      path = p.path, message = p.message }
  end
  log:result({ ok = false, problems = list })
  return 1
end

local function ask(question)
  io.stdout:write(question)
  io.stdout:flush()
  local answer = io.stdin:read("l")
  return answer and answer:lower():match("^%s*y") ~= nil
end

local function is_hook_error(err)
  return type(err) == "table" and type(err.code) == "string" and err.code:match("^hook_") ~= nil
end

local function main(...)
  local cfg, log = run.command_config(name, { ... }, mode)
  if not cfg then return 0 end -- (--help)

  -- Files and validation: no network.
  local handlers = a0lua.handlers(cfg)
  local desired, sources, extra = a0lua.load(nil, { config = cfg, handlers = handlers, log = log })
  if not desired then
    if is_hook_error(sources[1]) then error(sources[1], 0) end
    for _, w in ipairs(extra or {}) do log:warn(tostring(w)) end
    return report_problems(log, sources, "validation failed")
  end
  if mode == "validate" then
    local count = 0
    for k in pairs(desired) do
      if handlers:get(k) then count = count + 1 end
    end
    local input = cfg.input or cfg.AUTH0_INPUT_FILE
    if not cfg.json then
      io.stdout:write(("%s: valid (%d resource type%s)\n"):format(tostring(input), count,
        count == 1 and "" or "s"))
    end
    log:result({ ok = true, input = input, types = count })
    return 0
  end

  -- The tenant.
  local tenant, terr = a0lua.connect(cfg, { log = log, handlers = handlers })
  if not tenant then error(terr, 0) end
  local status = 1
  local run_ok, run_err = pcall(function()
    local plan, err = tenant:plan(desired, { sources = sources })
    if not plan then
      if type(err) == "table" and err.code == "validation" and err.problems then
        status = report_problems(log, err.problems, "validation failed")
        return
      end
      error(err, 0)
    end
    for _, w in ipairs(plan.warnings) do log:warn(tostring(w)) end
    local dry = mode == "plan" or cfg.dry_run
    if dry then
      if not cfg.json then
        io.stdout:write(plan:render{ color = use_color(cfg) })
      else
        log:result(json.decode(plan:json()))
      end
      local go = mode ~= "plan" and cfg.apply
      if mode ~= "plan" and not go and cfg.interactive and plan:has_changes()
          and stdout_is_tty() then
        go = ask("Apply these changes? [y/N] ")
      end
      if not go or not plan:has_changes() then
        if tenant.hooks then
          tenant:run(function()
            tenant.hooks:run_done({ types = {}, applied = {}, plan = plan, dry_run = true },
              tenant.ctx)
          end)
        end
        status = (mode == "plan" and plan:has_changes()) and 2 or 0
        return
      end
    end
    local apply = require("a0lua.apply")
    local report, aerr, partial = tenant:apply(plan)
    if not report then
      if partial and not cfg.json and not is_hook_error(aerr) then
        io.stdout:write(apply.render(partial))
      end
      error(aerr, 0)
    end
    if not cfg.json then
      io.stdout:write(apply.render(report))
    else
      local applied = json.array()
      for _, a in ipairs(report.applied) do applied[#applied + 1] = a end
      log:result({ ok = true, types = report.types, applied = applied })
    end
    log:info("import successful")
    status = 0
  end)
  tenant:close()
  if not run_ok then error(run_err, 0) end
  return status
end

return main(...)
