// Follows one service over the node's Watch stream (POST /v1/watch, newline-delimited JSON read
// with fetch and a ReadableStream), resuming from the last revision it read whenever the stream
// drops, with backoff. The page only needs to know *that* the service changed: it then reads the
// service again (with its leases and recent changes).

import { ApiError, headers } from './api.js';

const MAX_BACKOFF_MILLIS = 15000;

/**
 * Starts following; returns the function that stops. `onChange(message)` hears every message;
 * `onState(state, why)` hears 'connecting', 'live', 'reconnecting' (with why and when) and
 * 'failed' (refused for good: a bad request, a missing role; the page then polls).
 */
export function follow({ namespace, service, revision, incarnation, onChange, onState }) {
  let stopped = false;
  let controller = null;
  let timer = null;
  let attempt = 0;
  let from = { revision: String(revision || 0), incarnation: String(incarnation || 0) };

  function retry(why) {
    if (stopped) {
      return;
    }
    const delay = Math.min(MAX_BACKOFF_MILLIS, 500 * 2 ** attempt) * (0.8 + Math.random() * 0.4);
    attempt += 1;
    onState('reconnecting', why, delay);
    timer = setTimeout(connect, delay);
  }

  async function connect() {
    if (stopped) {
      return;
    }
    controller = new AbortController();
    onState('connecting');
    let response;
    try {
      response = await fetch('/v1/watch', {
        method: 'POST',
        cache: 'no-store',
        signal: controller.signal,
        headers: headers({ 'content-type': 'application/json', accept: 'application/x-ndjson' }),
        body: JSON.stringify({
          namespace,
          targets: [{ service, fromRevision: from.revision, incarnation: from.incarnation }],
        }),
      });
    } catch (error) {
      retry(`cannot reach the node (${error.message})`);
      return;
    }
    if (!response.ok) {
      let message = `${response.status}`;
      let code = '';
      try {
        const body = await response.json();
        message = body.message || message;
        code = body.code || '';
      } catch (ignored) {
        // not the API's error JSON
      }
      if ([400, 401, 403, 404].includes(response.status)) {
        onState('failed', message, 0, new ApiError(response.status, code, message));
      } else {
        retry(message);
      }
      return;
    }
    attempt = 0;
    onState('live');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        buffered += decoder.decode(value, { stream: true });
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) {
            const message = JSON.parse(line);
            // A snapshot in parts is whole, and its revision resumable, only with its last part.
            if (!(message.snapshot && message.snapshot.more)) {
              from = { revision: message.revision || '0', incarnation: message.incarnation || '0' };
            }
            onChange(message);
          }
          newline = buffered.indexOf('\n');
        }
      }
    } catch (error) {
      retry(`the stream broke (${error.message})`);
      return;
    }
    // The node ends streams when it leaves: another attempt finds it (or the page says it is down).
    retry('the node ended the stream');
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (controller) {
      controller.abort();
    }
  };
}
