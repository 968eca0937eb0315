// Calls to the node that served the page: the dashboard's JSON (api/...) and the HTTP/JSON API
// (/v1/...). The bearer token, when the node asks for one, lives in this tab's sessionStorage only.

const TOKEN_KEY = 'roster.token';

/** An answer other than 2xx: the node's status code and message, as its API documents them. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `${status} ${code}`);
    this.status = status;
    this.code = code;
  }
}

/** The node could not be reached at all (down, network cut). */
export class Unreachable extends Error {}

const listeners = new Set();
let lastOk = 0;
let lastFailure = null;

/** Hears every success or failure to reach the node, for the connection indicator. */
export function onConnection(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function report(ok, failure) {
  if (ok) {
    lastOk = Date.now();
    lastFailure = null;
  } else {
    lastFailure = failure;
  }
  for (const listener of listeners) {
    listener({ ok, lastOk, failure: lastFailure });
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) {
    sessionStorage.setItem(TOKEN_KEY, value);
  } else {
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

export function headers(extra = {}) {
  const all = { accept: 'application/json', ...extra };
  const bearer = token();
  if (bearer) {
    all.authorization = `Bearer ${bearer}`;
  }
  return all;
}

async function failureOf(response) {
  let code = String(response.status);
  let message = response.statusText;
  try {
    const body = await response.json();
    code = body.code || code;
    message = body.message || message;
  } catch (ignored) {
    // Not the API's JSON error (a proxy's page): the status says enough.
  }
  return new ApiError(response.status, code, message);
}

async function call(path, init) {
  let response;
  try {
    response = await fetch(path, { cache: 'no-store', ...init });
  } catch (error) {
    const unreachable = new Unreachable(`the node does not answer (${error.message})`);
    report(false, unreachable);
    throw unreachable;
  }
  if (!response.ok) {
    const failure = await failureOf(response);
    // The node answered: it is reachable, whatever it said.
    report(true);
    throw failure;
  }
  report(true);
  return response.json();
}

/** GET a JSON document. */
export function getJson(path) {
  return call(path, { headers: headers() });
}

/** POST a JSON body, answer parsed. */
export function postJson(path, body) {
  return call(path, {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
  });
}

/** Who the caller is and what it may do, from the node. */
export async function whoAmI() {
  const who = await getJson('api/whoami');
  return {
    ...who,
    /** Whether the caller holds `role` (or admin) in `namespace`, as the node decides. */
    may(role, namespace) {
      const covers = (held) => Array.isArray(held) && (held.includes(role) || held.includes('admin'));
      return covers(who.roles[namespace]) || covers(who.roles['*']);
    },
  };
}

/**
 * Calls `load` now and again `intervalMillis` after each call ends (never two at once, so a slow
 * node is not piled on); returns the function that stops it.
 */
export function poll(load, intervalMillis) {
  let stopped = false;
  let timer = null;
  const run = async () => {
    try {
      await load();
    } catch (ignored) {
      // `load` shows its own failures; polling goes on.
    }
    if (!stopped) {
      timer = setTimeout(run, intervalMillis);
    }
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
