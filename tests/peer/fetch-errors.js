// tests/peer/fetch-errors.js: preloaded into a0deploy by tests/peer/a0deploy.sh
// (NODE_OPTIONS=--require). a0deploy reports a failed connection only as "fetch failed"; this
// wraps the global fetch to log, on stderr, the method, URL and the underlying cause (ECONNRESET,
// "other side closed", ...) of every request that fails below HTTP. Nothing else changes.
'use strict';

const originalFetch = globalThis.fetch;

globalThis.fetch = async function fetchWithErrorLog(input, init) {
  const started = Date.now();
  try {
    return await originalFetch(input, init);
  } catch (err) {
    const url = typeof input === 'string' ? input : (input && input.url) || String(input);
    const method = (init && init.method) || (input && input.method) || 'GET';
    const cause = err && err.cause ? ` (${err.cause.code || ''} ${err.cause.message || ''})` : '';
    process.stderr.write(`peer: fetch error: ${method} ${url.replace(/\?.*$/, '')} after ` +
      `${Date.now() - started} ms: ${err && err.message}${cause}\n`);
    throw err;
  }
};
