-- tests/peer/known-differences.lua: the differences between the tenant a0deploy's import leaves
-- and the one a0lua's import of the same files leaves, that the differential check
-- (tests/peer/differential.sh, differential.lua) accepts, each with its reason. docs/compat.md
-- "Differential check" mirrors this list; each is a deliberate difference of a0lua's.
--
-- Entry: { path = GLOB, fixture = "examples" | "lots" (nil: either), reason = "..." }; the
-- fixture "examples" covers a0deploy's example in both formats (examples/yaml and
-- examples/directory), whose objects have other names in each. GLOB is
-- matched against a difference's whole path as differential.lua prints it; `*` matches anything.
-- Add an entry only for a difference that is a0lua's choice (or a0deploy's bug) with its reason,
-- never to hide an a0lua bug.
return {
  {
    fixture = "examples",
    path = "/clients[My Express App].express_configuration.okta_oin_client_id",
    reason = "a0lua resolves a client name in express_configuration.okta_oin_client_id to the id "
      .. "of the client the same run creates; a0deploy resolves names only against the clients "
      .. "that existed before the run and sends this one by name (the API wants a client id)",
  },
  {
    fixture = "examples",
    path = "/clients[*].express_configuration.connection_profile_id",
    reason = "a0lua resolves a connection profile name in express_configuration to the id of the "
      .. "profile the same run creates (clients wait for the profiles); a0deploy processes the "
      .. "clients before the profiles and sends this one by name (the API wants a profile id)",
  },
  {
    fixture = "examples",
    path = "/clients[*].express_configuration.user_attribute_profile_id",
    reason = "a0lua resolves a user attribute profile name in express_configuration to the id "
      .. "of the profile the same run creates (clients wait for the profiles); a0deploy "
      .. "processes the clients before the profiles and sends this one by name (the API wants a "
      .. "profile id)",
  },
  {
    fixture = "examples",
    path = "/clients[mcpserver.example.com].*",
    reason = "CIMD client: after POST /clients/cimd/register (the URL alone) a0lua PATCHes the "
      .. "CIMD-editable fields the file sets (grant_types, oidc_conformant); a0deploy registers "
      .. "only, and the file's fields reach the tenant on its next import",
  },
  {
    fixture = "examples",
    path = "/connections/*/directory-provisioning/synchronized-groups.groups[*]",
    reason = "synchronized groups: a0lua sends each group's id only (the OpenAPI document's "
      .. "SynchronizedGroupPayload); a0deploy sends the file's name, email and "
      .. "direct_members_count too, which describe the Google group, and the emulator keeps "
      .. "what it was sent",
  },
  {
    fixture = "examples",
    path = "/branding/phone/templates[*].content.body.voice",
    reason = "otp_enroll sets only body.text: a0lua creates the tenant's id-less default "
      .. "template with the change over the default's content, so the default voice message "
      .. "stays (what the files leave out keeps the tenant's value, as an update does); a0deploy "
      .. "creates it with the file's content only",
  },
  {
    fixture = "examples",
    path = "/guardian/factors/sms/templates",
    reason = "the example's SMS templates are the tenant's defaults: a0lua reads them, finds no "
      .. "difference and sends nothing; a0deploy PUTs every template on every run. The emulator "
      .. "stores only what was PUT (and answers the defaults otherwise), so only a0deploy's "
      .. "state has the key; both tenants answer the same messages",
  },
  {
    fixture = "examples",
    path = "/attack-protection/suspicious-ip-throttling.shields",
    reason = "shields are a set: a0lua finds the file's [block, admin_notification] equal to the "
      .. "tenant's [admin_notification, block] and writes nothing; a0deploy PATCHes the section "
      .. "on every run, and the emulator keeps the order it was sent",
  },
}
