-- tests/helpers/keys.lua: throwaway key files for the private-key JWT specs, made with the openssl
-- command line tool (in make deps) in a fresh temporary folder. Nothing is committed: each run
-- makes its own keys.
--
--   local keys = require("helpers.keys")
--   local k = keys.make()          -- raises when openssl is missing or fails
--   k.rsa       RSA 2048, PKCS#8 ("PRIVATE KEY")        k.rsa_pkcs1  the same key as PKCS#1
--   k.public    its public key ("PUBLIC KEY")           k.cert       a self-signed certificate
--   k.other     another RSA 2048 key, k.other_public its public key
--   k.ec        an EC P-256 private key                 k.ec_public  its public key
--   k.encrypted the RSA key, PKCS#8 encrypted           k.encrypted_pkcs1  PKCS#1, encrypted
--   k.small     RSA 1024                                k.garbage    a text file, no PEM
--   k.damaged   the RSA key with its middle cut out     k.folder     a folder
--   k.missing   a path that does not exist              k.dir        the temporary folder
--   keys.read(path) -> text         k:remove()  deletes the folder
--   keys.public_pem() -> text       the public key of a fresh RSA 2048 key (nothing kept)
--   keys.run(cmd) -> ok, output     a shell command, stdout and stderr together
local M = {}

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
M.quote = q

function M.run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return ok == true, out
end

M.read = require("helpers.shared").read

function M.public_pem()
  local ok, out = M.run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
    .. "2>/dev/null | openssl pkey -pubout")
  assert(ok and out:match("^%-%-%-%-%-BEGIN PUBLIC KEY"), out)
  return out
end

local Keys = {}
Keys.__index = Keys

function M.make()
  local ok, dir = M.run("mktemp -d /tmp/a0lua-keys-XXXXXX")
  assert(ok, dir)
  dir = dir:gsub("%s+$", "")
  local k = setmetatable({ dir = dir }, Keys)
  local function path(name) return dir .. "/" .. name end
  for name, file in pairs({ rsa = "rsa.pem", rsa_pkcs1 = "rsa-pkcs1.pem", public = "public.pem",
      cert = "cert.pem", other = "other.pem", other_public = "other-public.pem", ec = "ec.pem",
      ec_public = "ec-public.pem", encrypted = "encrypted.pem",
      encrypted_pkcs1 = "encrypted-pkcs1.pem", small = "small.pem", garbage = "garbage.txt",
      damaged = "damaged.pem", folder = "folder", missing = "missing.pem" }) do
    k[name] = path(file)
  end
  local steps = {
    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " .. q(k.rsa),
    "openssl rsa -in " .. q(k.rsa) .. " -traditional -out " .. q(k.rsa_pkcs1),
    "openssl pkey -in " .. q(k.rsa) .. " -pubout -out " .. q(k.public),
    "openssl req -new -x509 -key " .. q(k.rsa) .. " -subj /CN=a0lua-spec -days 2 -out "
      .. q(k.cert),
    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " .. q(k.other),
    "openssl pkey -in " .. q(k.other) .. " -pubout -out " .. q(k.other_public),
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " .. q(k.ec),
    "openssl pkey -in " .. q(k.ec) .. " -pubout -out " .. q(k.ec_public),
    "openssl pkey -in " .. q(k.rsa) .. " -aes256 -passout pass:spec -out " .. q(k.encrypted),
    "openssl rsa -in " .. q(k.rsa) .. " -traditional -aes256 -passout pass:spec -out "
      .. q(k.encrypted_pkcs1),
    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out " .. q(k.small),
    "mkdir " .. q(k.folder),
  }
  for _, cmd in ipairs(steps) do
    local done, out = M.run(cmd)
    if not done then
      M.run("rm -rf " .. q(dir))
      error("keys: " .. cmd .. ": " .. out, 2)
    end
  end
  local f = assert(io.open(k.garbage, "wb"))
  f:write("not a key\n")
  f:close()
  local lines = {}
  for line in M.read(k.rsa):gmatch("[^\n]+") do lines[#lines + 1] = line end
  f = assert(io.open(k.damaged, "wb"))
  f:write(table.concat(lines, "\n", 1, 4), "\n", table.concat(lines, "\n", #lines - 3), "\n")
  f:close()
  return k
end

function Keys:remove()
  M.run("rm -rf " .. q(self.dir))
end

return M
