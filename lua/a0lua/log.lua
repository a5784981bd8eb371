--[[
a0lua.log: what a command tells its user, as text or as JSON lines, with secrets masked.

  local log = require("a0lua.log")
  local logger = log.new{ json = false, level = "info", stream = io.stderr, out = io.stdout,
                          color = nil, tty = nil, env = nil, config = nil, secrets = nil,
                          clock = os.time }
      json     true: every event is one JSON object on one line of `stream`, and :result writes
               the command's result as one JSON document on `out`
      level    "debug" | "info" | "warn" | "error" | "silent": events below it are dropped
      stream   where events go (default io.stderr); out: where :result goes (default io.stdout)
      tty      whether stream is a terminal; nil: asked of the system for io.stderr and
               io.stdout (`test -t`), false for any other stream
      color    nil: on a terminal, unless NO_COLOR is set (env.NO_COLOR, else os.getenv) or
               TERM is "dumb"; never in json mode
      config   a cfg of a0lua.config: its AUTH0_CLIENT_SECRET, AUTH0_ACCESS_TOKEN and
               EXTENSION_SECRET, and the keyword values whose key mentions a secret
               (a0lua.secrets.mentions_secret: SMTP_PASSWORD, MY_API_KEY, ...), are masked
               wherever they appear
      secrets  more values to mask
  log.from_config(cfg [, opts]) -> logger     json, level and secrets from cfg
  logger:debug(msg [, fields]) / :info / :warn / :error
      msg is a string or an error table (its tostring is the message, its code, file, line,
      column, path, status... become fields). Text mode writes "msg key=value ..." with a
      "debug: ", "warning: " or "error: " prefix (coloured on a terminal); JSON mode writes
      {"level":"warn","message":"...","time":"2026-01-02T03:04:05Z", ...fields} (fields cannot
      replace level, message or time).
  logger:progress(label, done, total)   a live "label done/total" line on a terminal at level
      info or below; cleared when done >= total and whenever an event is written; nothing in
      json mode or when stream is not a terminal
  logger:result(value) -> boolean       json mode: value as one JSON document (and a newline) on
      `out`, once per logger (a second call raises); text mode: nothing, returns false
  logger:redact(value) -> copy          value with every secret masked as "***": strings under
      secret names (a0lua.secrets, the rule plans and the REPL use too), the known secret values,
      "Bearer x" / "Basic x" credentials, JWT-shaped tokens, and secret fields written inside
      text as name=value or "name": "value"
  logger:add_secret(value)              one more value to mask (a token fetched at run time)
  log.printable(text [, keep_newlines]) -> text   control characters (C0 but the tab, DEL, C1)
      written as \xNN: whatever reaches a terminal passes here (events in text mode, progress,
      plan lines, the error of a command); newlines stay when kept (multi-line messages)
  logger:enabled(level) -> boolean
  logger:counts() -> { debug =, info =, warn =, error = }   events written per level

Misuse raises: an unknown level, a stream without write, a second :result.
]]
local json = require("a0lua.core.json")
local secrets = require("a0lua.secrets")
local util = require("a0lua.util")

local M = {}

M.LEVELS = { debug = 1, info = 2, warn = 3, error = 4, silent = 5 }
M.MASK = "***"

local PREFIX = { debug = "debug: ", info = "", warn = "warning: ", error = "error: " }
local COLOR = { debug = "\27[2m", warn = "\27[33m", error = "\27[31m" }
local RESET = "\27[0m"
local CLEAR_LINE = "\r\27[K"
local RESERVED = { level = true, message = true, time = true }

-- Names of secrets looked for inside text ("name=value", "name": "value").
local TEXT_FIELDS = { "client_secret", "client_assertion", "access_token", "refresh_token",
  "id_token", "password", "api_key", "private_key", "secret", "authorization", "token" }
local MIN_SECRET_LENGTH = 4

local Logger = {}
Logger.__index = Logger

-- Terminal control characters in text that came from files or the tenant (a client named
-- "\27]0;title\7" would retitle the terminal, "\27[2K" erase a plan line): every C0 control but
-- the tab (and the newline when kept), DEL, and the C1 controls (U+0080..U+009F, as UTF-8 and as
-- lone bytes in text that is not UTF-8) are written as \xNN.
local function hex(c) return ("\\x%02x"):format(c:byte()) end

function M.printable(text, keep_newlines)
  text = tostring(text)
  if not text:find("[\0-\31\127-\159]") then return text end
  text = text:gsub(keep_newlines and "[\0-\8\11-\31\127]" or "[\0-\8\10-\31\127]", hex)
  text = text:gsub("\194([\128-\159])", function(c) return "\\xc2" .. hex(c) end)
  if utf8.len(text) == nil then text = text:gsub("[\128-\159]", hex) end
  return text
end
local printable = M.printable

local function detect_tty(stream)
  local fd = stream == io.stderr and 2 or stream == io.stdout and 1 or nil
  if not fd then return false end
  return os.execute("test -t " .. fd) == true
end

function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("log.new: opts must be a table", 2) end
  local level = opts.level or "info"
  if not M.LEVELS[level] then
    error(("log.new: unknown level %q (debug, info, warn, error, silent)"):format(
      tostring(level)), 2)
  end
  local stream = opts.stream or io.stderr
  if type(stream) ~= "userdata" and type(stream) ~= "table" or not stream.write then
    error("log.new: stream must have a write method", 2)
  end
  local self = setmetatable({
    json = opts.json == true,
    level = level,
    threshold = M.LEVELS[level],
    stream = stream,
    out = opts.out or io.stdout,
    clock = opts.clock or os.time,
    secrets = {},
    written = { debug = 0, info = 0, warn = 0, error = 0 },
    result_written = false,
    shown = nil,
  }, Logger)
  local tty = opts.tty
  if tty == nil and not self.json then tty = detect_tty(stream) end
  self.tty = tty == true and not self.json
  local color = opts.color
  if color == nil then
    local env = opts.env
    local function getenv(name)
      if env then return env[name] end
      return os.getenv(name)
    end
    local no_color = getenv("NO_COLOR")
    color = self.tty and (no_color == nil or no_color == "") and getenv("TERM") ~= "dumb"
  end
  self.color = color == true and not self.json
  for _, s in ipairs(opts.secrets or {}) do self:add_secret(s) end
  if opts.config then
    local cfg = opts.config
    for _, key in ipairs({ "AUTH0_CLIENT_SECRET", "AUTH0_ACCESS_TOKEN", "EXTENSION_SECRET" }) do
      self:add_secret(cfg[key])
    end
    for name, value in pairs(cfg.AUTH0_KEYWORD_REPLACE_MAPPINGS or {}) do
      if secrets.mentions_secret(name) then self:add_secret(value) end
    end
  end
  return self
end

-- log.from_config(cfg [, opts]) -> logger
function M.from_config(cfg, opts)
  if type(cfg) ~= "table" then error("log.from_config: cfg must be a table", 2) end
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  if o.json == nil then o.json = cfg.json end
  if o.level == nil then o.level = cfg.log_level or (cfg.debug and "debug") or "info" end
  o.config = cfg
  return M.new(o)
end

function Logger:add_secret(value)
  if type(value) == "number" then value = tostring(value) end
  if type(value) ~= "string" or #value < MIN_SECRET_LENGTH then return end
  for _, s in ipairs(self.secrets) do
    if s == value then return end
  end
  self.secrets[#self.secrets + 1] = value
  table.sort(self.secrets, function(a, b) return #a > #b end)
end

local replace_plain = util.replace_plain

local function case_insensitive(word)
  return (word:gsub("%a", function(c) return "[" .. c:lower() .. c:upper() .. "]" end))
end

local TEXT_PATTERNS = {}
for _, name in ipairs(TEXT_FIELDS) do
  local p = case_insensitive(name)
  TEXT_PATTERNS[#TEXT_PATTERNS + 1] = { "(" .. p .. "=)[^&%s\"',;]+", "%1" .. M.MASK }
  TEXT_PATTERNS[#TEXT_PATTERNS + 1] = { "(\"" .. p .. "\"%s*:%s*\")[^\"]*\"",
    "%1" .. M.MASK .. "\"" }
end

-- "Bearer <credential>" / "Basic <credential>": masked when the word after looks like one.
local function credential(min_length)
  return function(scheme, value)
    if #value >= min_length and not value:match("^%l+$") then return scheme .. M.MASK end
  end
end
local BEARER, BASIC = credential(12), credential(8)

function Logger:redact_text(text)
  for _, s in ipairs(self.secrets) do text = replace_plain(text, s, M.MASK) end
  text = text:gsub("([Aa]uthorization[\"']?%s*[:=]%s*[\"']?)[^\"'\r\n]+", "%1" .. M.MASK)
  text = text:gsub("([Bb]earer%s+)([%w%-%._~%+/]+=*)", BEARER)
  text = text:gsub("([Bb]asic%s+)([%w%+/]+=*)", BASIC)
  text = text:gsub("eyJ[%w_%-]+%.[%w_%-]+%.[%w_%-]*", M.MASK)
  for _, p in ipairs(TEXT_PATTERNS) do text = text:gsub(p[1], p[2]) end
  return text
end

-- logger:redact(value) -> copy: strings under secret names masked (a0lua.secrets' rule; under:
-- value is inside a secret), the others with the secrets they hold masked (redact_text).
function Logger:redact(value, depth, under)
  depth = depth or 0
  local t = type(value)
  if t == "string" then
    if under and value ~= "" then return M.MASK end
    return self:redact_text(value)
  end
  if t ~= "table" or value == json.null then return value end
  if depth > 200 then return M.MASK end
  local out = {}
  for key, item in pairs(value) do
    local class = secrets.class(key)
    local secret = (under and key ~= "name") or class == "secret"
    if type(item) == "string" and class == "field" then secret = true end
    out[key] = self:redact(item, depth + 1, secret)
  end
  local mt = getmetatable(value)
  if mt == json.array_mt then setmetatable(out, mt) end
  return out
end

function Logger:enabled(level)
  return M.LEVELS[level] ~= nil and M.LEVELS[level] >= self.threshold
end

function Logger:counts()
  local c = {}
  for k, v in pairs(self.written) do c[k] = v end
  return c
end

-- A value as JSON can carry it (functions and other oddities as their tostring).
local function plain(v, depth)
  local t = type(v)
  if t == "string" or t == "boolean" or t == "number" or v == json.null or v == nil then
    if t == "number" and (v ~= v or v == math.huge or v == -math.huge) then return tostring(v) end
    return v
  end
  if t == "table" and depth < 50 then
    local out = {}
    for key, item in pairs(v) do
      if type(key) == "string" or math.type(key) == "integer" then
        out[key] = plain(item, depth + 1)
      end
    end
    if json.is_array(v) then json.array(out) end
    return out
  end
  return tostring(v)
end

local function text_value(v)
  if type(v) == "string" then
    if v ~= "" and not v:find("[%s\"=]") then return v end
    return (json.encode(v))
  end
  if type(v) == "table" and v ~= json.null then
    local ok, encoded = pcall(json.encode, plain(v, 0))
    return ok and encoded or tostring(v)
  end
  return tostring(v)
end

function Logger:clear_progress()
  if self.shown then
    self.stream:write(CLEAR_LINE)
  end
end

function Logger:emit(level, msg, fields)
  if not self:enabled(level) then return end
  local message
  local all = {}
  if type(msg) == "table" then
    message = tostring(msg)
    for key, v in pairs(msg) do
      if type(key) == "string" and key ~= "message" and (type(v) == "string"
          or type(v) == "number" or type(v) == "boolean") then
        all[key] = v
      end
    end
  else
    message = tostring(msg)
  end
  if fields ~= nil then
    if type(fields) ~= "table" then error("log: fields must be a table", 3) end
    for key, v in pairs(fields) do all[key] = v end
  end
  message = self:redact_text(message)
  all = self:redact(all)
  self.written[level] = self.written[level] + 1

  if self.json then
    local event = {}
    for key, v in pairs(all) do
      if type(key) == "string" and not RESERVED[key] then event[key] = plain(v, 0) end
    end
    event.level, event.message = level, message
    event.time = os.date("!%Y-%m-%dT%H:%M:%SZ", self.clock())
    local line = json.encode(event)
    self.stream:write(line, "\n")
    return
  end

  local parts = { message }
  for _, key in ipairs(util.sorted_string_keys(all)) do
    parts[#parts + 1] = key .. "=" .. text_value(all[key])
  end
  local prefix = PREFIX[level]
  if self.color and COLOR[level] and prefix ~= "" then
    prefix = COLOR[level] .. prefix .. RESET
  end
  self:clear_progress()
  self.stream:write(prefix, printable(table.concat(parts, " "), true), "\n")
  if self.shown then self.stream:write(self.shown) end
end

function Logger:debug(msg, fields) self:emit("debug", msg, fields) end
function Logger:info(msg, fields) self:emit("info", msg, fields) end
function Logger:warn(msg, fields) self:emit("warn", msg, fields) end
function Logger:error(msg, fields) self:emit("error", msg, fields) end

function Logger:progress(label, done, total)
  if not self.tty or self.json or not self:enabled("info") then return end
  if done >= total then
    if self.shown then self.stream:write(CLEAR_LINE) end
    self.shown = nil
    return
  end
  self.shown = ("%s %d/%d"):format(printable(self:redact_text(tostring(label))), done, total)
  self.stream:write(CLEAR_LINE, self.shown)
  if self.stream.flush then self.stream:flush() end
end

function Logger:result(value)
  if not self.json then return false end
  if self.result_written then error("log:result: the result was already written", 2) end
  self.result_written = true
  local text, err = json.encode(plain(self:redact(value), 0))
  if not text then error("log:result: " .. tostring(err and err.message or err), 2) end
  self.out:write(text, "\n")
  if self.out.flush then self.out:flush() end
  return true
end

return M
