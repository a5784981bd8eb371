--[[
a0lua.fleet.progress: one updating line on a terminal while a fleet runs.

  local progress = require "a0lua.fleet.progress"
  local p = progress.new{ total = n, tty = true|false, stream = io.stderr, now = tasks.now }
  p:update{ done =, failed =, running = }   rewrites the line (at most every 100 ms, and at once
                                           when a count changed)
  p:finish()                               clears the line
With tty false (not a terminal, CI, --json) every call does nothing.

  fleet: 12 done, 1 failed, 8 running, 200 total, 35 s
]]
local M = {}

local CLEAR_LINE = "\r\27[K"

local Progress = {}
Progress.__index = Progress

function M.new(opts)
  return setmetatable({ total = opts.total, tty = opts.tty == true,
    stream = opts.stream or io.stderr, now = opts.now, started = opts.now(), shown = nil,
    last_at = nil }, Progress)
end

function Progress:update(c)
  if not self.tty then return end
  local now = self.now()
  local line = ("fleet: %d done, %d failed, %d running, %d total, %d s"):format(c.done,
    c.failed, c.running, self.total, math.floor((now - self.started) / 1000))
  if line == self.shown or (self.last_at and now - self.last_at < 100
      and line:match("^[^,]*,[^,]*,[^,]*") == (self.shown or ""):match("^[^,]*,[^,]*,[^,]*")) then
    return
  end
  self.shown, self.last_at = line, now
  self.stream:write(CLEAR_LINE, line)
  if self.stream.flush then self.stream:flush() end
end

function Progress:finish()
  if self.tty and self.shown then self.stream:write(CLEAR_LINE) end
  self.shown = nil
end

return M
