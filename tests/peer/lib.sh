# tests/peer/lib.sh: pieces shared by the scripts that run the real a0deploy against
# `a0lua emulate` (bench/deploy.sh; tests/peer/a0deploy.sh may source it too). Source it from
# bash; it defines functions and PEER_A0LUA_TYPES only, and starts nothing by itself.
#
#   peer_a0deploy ROOT LOG               prints the path of an a0deploy binary: the registry's
#       current auth0-deploy-cli, installed with npm into a temporary folder and kept in
#       ROOT/build/peer/auth0-deploy-cli-<version>/ (the cache tests/peer/a0deploy.sh uses); when
#       the registry cannot be reached, the newest version already cached. npm's output goes to
#       LOG. Returns 1 (and prints why on stderr) when there is neither.
#   peer_free_port A0LUA                 prints a free loopback TCP port
#   peer_cert DIR LOG                    a throwaway self-signed certificate for localhost and
#       127.0.0.1: DIR/cert.pem and DIR/key.pem (openssl's output to LOG)
#   peer_emulator A0LUA OUT ERR ARGS...  starts `A0LUA emulate --port 0 ARGS...` in the
#       background, stdout to OUT and stderr to ERR, and waits for its "listening on" line;
#       sets PEER_EMULATOR_PID and PEER_EMULATOR_URL (http://127.0.0.1:PORT). Returns 1 when it
#       exits or prints nothing within 30 s.
#   peer_stunnel A0LUA DIR UPSTREAM LOG  stunnel4 on a free port in front of UPSTREAM (host:port)
#       with DIR/cert.pem and DIR/key.pem (config in DIR/stunnel-<port>.conf, its log to LOG);
#       sets PEER_STUNNEL_PID and PEER_TLS_PORT. Tries three ports; returns 1 when none works.
#   peer_stop PID...                     SIGTERM, up to 5 s, then SIGKILL; reaps each (only the
#       given process ids: the ones the caller started)
#
#   peer_copy_example_yaml SRC DEST      copies a0deploy's examples/yaml to DEST with the edits
#   peer_copy_example_directory SRC DEST  (the same for examples/directory) that make it input the
#       Management API takes (each edit below says why); returns 1, naming the edit, when the
#       fixture no longer has what an edit changes
#
#   PEER_A0LUA_TYPES                     the types a0lua has handlers for, as AUTH0_INCLUDED_ONLY
#       takes them: what the differential check compares, and what a0lua's own imports of
#       a0deploy's fixtures are limited to (a type without a handler is an error in a0lua)
#
# Clients reach the emulator as https://localhost:PEER_TLS_PORT with
# NODE_EXTRA_CA_CERTS=DIR/cert.pem (node) or a CA file of DIR/cert.pem (a0lua's ca_file).

PEER_A0LUA_TYPES=tenant,clients,resourceServers,clientGrants,connections,databases,roles
PEER_A0LUA_TYPES+=,organizations,emailProvider,emailTemplates,pages,prompts,actions,triggers
PEER_A0LUA_TYPES+=,actionModules,tokenExchangeProfiles,logStreams,eventStreams
PEER_A0LUA_TYPES+=,connectionProfiles,userAttributeProfiles,selfServiceProfiles
PEER_A0LUA_TYPES+=,customDomains,clientAuthCredentials
PEER_A0LUA_TYPES+=,phoneProviders,phoneTemplates
PEER_A0LUA_TYPES+=,networkACLs,rateLimitPolicies
PEER_A0LUA_TYPES+=,rules,rulesConfigs,hooks
PEER_A0LUA_TYPES+=,guardianFactors,guardianFactorProviders,guardianFactorTemplates
PEER_A0LUA_TYPES+=,forms,flows,flowVaultConnections
PEER_A0LUA_TYPES+=,branding,themes
PEER_A0LUA_TYPES+=,guardianPolicies,guardianPhoneFactorSelectedProvider
PEER_A0LUA_TYPES+=,guardianPhoneFactorMessageTypes,supplementalSignals
PEER_A0LUA_TYPES+=,attackProtection,riskAssessment

peer_a0deploy() {
  local root=$1 log=$2 version cache tmp best
  version=$(timeout 20 npm view auth0-deploy-cli version 2>/dev/null)
  if [ -n "$version" ]; then
    cache=$root/build/peer/auth0-deploy-cli-$version
    if [ ! -x "$cache/node_modules/.bin/a0deploy" ]; then
      tmp=$(mktemp -d "${TMPDIR:-/tmp}/a0lua-npm.XXXXXX") || return 1
      if ! npm install --prefix "$tmp" --no-audit --no-fund --no-update-notifier \
          --loglevel=error "auth0-deploy-cli@$version" >"$log" 2>&1; then
        rm -rf "$tmp"
        echo "npm install auth0-deploy-cli@$version failed (see $log)" >&2
        return 1
      fi
      mkdir -p "$root/build/peer" && rm -rf "$cache.partial" && cp -a "$tmp" "$cache.partial" &&
        rm -rf "$cache" && mv "$cache.partial" "$cache"
      rm -rf "$tmp"
    fi
    [ -x "$cache/node_modules/.bin/a0deploy" ] && {
      echo "$cache/node_modules/.bin/a0deploy"
      return 0
    }
  fi
  # No registry: the newest cached install, if any.
  best=$(ls -d "$root"/build/peer/auth0-deploy-cli-*/node_modules/.bin/a0deploy 2>/dev/null |
    sort -V | tail -n 1)
  if [ -n "$best" ]; then
    echo "$best"
    return 0
  fi
  echo "a0deploy: the npm registry cannot be reached and no install is cached" >&2
  return 1
}

peer_free_port() {
  "$1" -e 'local s = assert(require("socket").bind("127.0.0.1", 0))
    local _, port = s:getsockname(); print(port); s:close()'
}

peer_cert() {
  local dir=$1 log=$2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >"$log" 2>&1
}

peer_emulator() {
  local a0lua=$1 out=$2 err=$3
  shift 3
  PEER_EMULATOR_URL=""
  "$a0lua" emulate --port 0 "$@" >"$out" 2>"$err" &
  PEER_EMULATOR_PID=$!
  for _ in $(seq 300); do
    PEER_EMULATOR_URL=$(sed -n 's|^listening on \(http://[0-9.]*:[0-9]*\).*|\1|p' "$out")
    [ -n "$PEER_EMULATOR_URL" ] && return 0
    kill -0 "$PEER_EMULATOR_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

peer_stunnel() {
  local a0lua=$1 dir=$2 upstream=$3 log=$4 bin port attempt
  PEER_TLS_PORT=""
  PEER_STUNNEL_PID=""
  bin=$(command -v stunnel4 || command -v stunnel) || {
    echo "stunnel4 is not installed" >&2
    return 1
  }
  for attempt in 1 2 3; do
    port=$(peer_free_port "$a0lua") || return 1
    cat >"$dir/stunnel-$port.conf" <<EOF
foreground = yes
pid =
output = $log
[a0lua-emulate]
accept = 127.0.0.1:$port
connect = $upstream
cert = $dir/cert.pem
key = $dir/key.pem
EOF
    "$bin" "$dir/stunnel-$port.conf" >>"$log.out" 2>&1 &
    PEER_STUNNEL_PID=$!
    for _ in $(seq 50); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        PEER_TLS_PORT=$port
        return 0
      fi
      kill -0 "$PEER_STUNNEL_PID" 2>/dev/null || break
      sleep 0.1
    done
    peer_stop "$PEER_STUNNEL_PID"
    PEER_STUNNEL_PID=""
    echo "stunnel could not listen on $port (attempt $attempt)" >&2
  done
  return 1
}

peer_stop() {
  local pid
  for pid in "$@"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  done
  for pid in "$@"; do
    [ -n "$pid" ] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  return 0
}

# Each edit of the examples: FILE, what it must contain (a fixed string), and the change. An edit
# whose text is gone means the fixture changed: the edit is reviewed rather than silently skipped.
peer_edit() {
  local file=$1 needle=$2
  shift 2
  grep -qF -- "$needle" "$file" || {
    echo "peer: $file no longer has $needle: review this edit in tests/peer/lib.sh" >&2
    return 1
  }
  "$@" "$file"
}

peer_copy_example_yaml() {
  local src=$1 dest=$2 file
  cp -R "$src" "$dest" || return 1
  file=$dest/tenant.yaml
  # The directory provisioning's synchronized group id is a placeholder that the API's pattern for
  # a group id (^[A-Za-z0-9]+$, SynchronizedGroupPayload) refuses.
  peer_edit "$file" '"some_google_group_id"' \
    sed -i 's/"some_google_group_id"/"someGoogleGroupId"/' || return 1
  # The custom domain my_domain.com does not match the API's pattern for a domain (no "_" in a
  # host name, CreateCustomDomainRequestContent).
  peer_edit "$file" '  - domain: my_domain.com' \
    sed -i 's/^  - domain: my_domain\.com$/  - domain: my-domain.com/' || return 1
  # The user attribute profile is written in a shape neither a0deploy 8.44's schema nor the API's
  # create body takes (a list of {name, type, required} and a profile description): the copy has
  # the same attribute as the API's map keyed by attribute name.
  peer_edit "$file" '      - name: "email"' perl -0pi -e \
    's/(  - name: "My User Attribute Profile"\n)    description: .*\n    user_attributes:\n      - name: "email"\n        description: "Email"\n        type: "email"\n        required: true\n/$1    user_attributes:\n      email:\n        description: "Email"\n        label: "Email"\n        profile_required: true\n        auth0_mapping: "email"\n/' \
    || return 1
  grep -q 'auth0_mapping: "email"' "$file" || {
    echo "peer: the user attribute profile edit of $file did not apply" >&2
    return 1
  }
}

peer_copy_example_directory() {
  local src=$1 dest=$2
  cp -R "$src" "$dest" || return 1
  # The same group id and domain as the YAML example's.
  peer_edit "$dest/connections/google-apps.json" '"some_google_group_id"' \
    sed -i 's/"some_google_group_id"/"someGoogleGroupId"/' || return 1
  peer_edit "$dest/custom-domains/custom-domains.json" '"my_domain.com"' \
    sed -i 's/"domain": "my_domain\.com"/"domain": "my-domain.com"/' || return 1
  # An action names its code directory/actions/action-example/code.js, which a0deploy looks for
  # under the input folder (directory/directory/...) and cannot load: the copy names it as the
  # example's other action does.
  peer_edit "$dest/actions/action-example.json" '"directory/actions/action-example/code.js"' \
    sed -i 's|"directory/actions/action-example/code.js"|"./actions/action-example/code.js"|' \
    || return 1
  # The API sets token_lifetime_for_web, which the Management API derives from token_lifetime and
  # refuses in a body (docs/management-api.md; a0lua strips it, a0deploy sends it).
  peer_edit "$dest/resource-servers/My API.json" '"token_lifetime_for_web": 7200,' \
    sed -i '/"token_lifetime_for_web": 7200,/d' || return 1
  # "My SPA" copies read-only fields a GET shows, which the create body refuses (a0lua leaves
  # them out of a create, docs/compat.md; a0deploy sends them).
  peer_edit "$dest/clients/My SPA.json" '"callback_url_template"' \
    sed -i -E '/^\s*"(callback_url_template|global|tenant)": /d' || return 1
  # The phone factor's message types are under "message-types", which both tools' schemas and
  # the API refuse; the YAML example has message_types.
  peer_edit "$dest/guardian/phoneFactorMessageTypes.json" '"message-types"' \
    sed -i 's/"message-types"/"message_types"/' || return 1
  # The user attribute profile, as in the YAML copy.
  peer_edit "$dest/user-attribute-profiles/My User Attribute Profile.json" '"required": true' \
    tee_json '{
  "name": "My User Attribute Profile",
  "user_attributes": {
    "email": { "description": "Email", "label": "Email", "profile_required": true,
      "auth0_mapping": "email" }
  }
}' || return 1
}

# tee_json TEXT FILE: FILE's content becomes TEXT (peer_edit's change for a whole file).
tee_json() {
  printf '%s\n' "$1" >"$2"
}
