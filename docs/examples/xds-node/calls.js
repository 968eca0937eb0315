#!/usr/bin/env node
'use strict';
// Calls a service through Roster's xDS control plane, as any gRPC service would call another, and
// prints which backend (peer address) answered each call, summed, as one line of JSON:
//   {"byPeer": {"127.0.0.1:9001": 102, ...}, "failures": 0, "readyMs": 35}
//
// The bootstrap (which Roster nodes to ask, and this client's zone) comes from GRPC_XDS_BOOTSTRAP
// (a file) or GRPC_XDS_BOOTSTRAP_CONFIG (the JSON itself): see bootstrap-local.json and
// docs/xds.md. Nothing here is Roster's: @grpc/grpc-js-xds registers the xds: scheme.
//
//   node calls.js --target xds:///orders --calls 100
//   node calls.js --target xds:///orders --duration-ms 10000 --interval-ms 5
//
// --expect-peers N: first call until N distinct backends answered (not counted), so the sums
// start once every backend is connected.
//
// Ctrl-C (SIGINT) or SIGTERM ends the calls early: the call in flight finishes, and the sums so far
// are printed as at the end.

const grpc = require('@grpc/grpc-js');
require('@grpc/grpc-js-xds').register();
const { CHECK, identity } = require('./health');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const target = option('target', 'xds:///orders');
const expectPeers = Number(option('expect-peers', '1'));
const calls = Number(option('calls', '0'));
const durationMs = Number(option('duration-ms', '0'));
const intervalMs = Number(option('interval-ms', '5'));

const client = new grpc.Client(target, grpc.credentials.createInsecure());

/** One call; resolves to the peer address that answered it. */
function call() {
  return new Promise((resolve, reject) => {
    const pending = client.makeUnaryRequest(
      CHECK,
      identity,
      identity,
      Buffer.alloc(0),
      { deadline: Date.now() + 5000 },
      (error) => (error ? reject(error) : resolve(pending.getPeer()))
    );
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
  });
}

async function main() {
  const started = Date.now();
  const seen = new Set();
  while (seen.size < expectPeers) {
    if (stopping || Date.now() - started > 60000) {
      const why = stopping ? 'stopped' : 'in 60 s';
      console.log(JSON.stringify({ byPeer: {}, failures: 0, error: `fewer than ${expectPeers} peers ${why}` }));
      process.exit(1);
    }
    try {
      seen.add(await call());
    } catch (error) {
      await sleep(100); // not resolved yet
    }
  }
  const readyMs = Date.now() - started;
  const byPeer = {};
  let failures = 0;
  let firstError;
  const end = Date.now() + durationMs;
  for (let i = 0; !stopping && (durationMs > 0 ? Date.now() < end : i < calls); i++) {
    try {
      const peer = await call();
      byPeer[peer] = (byPeer[peer] || 0) + 1;
    } catch (error) {
      failures++;
      firstError = firstError || `${error.code} ${error.details}`;
    }
    if (durationMs > 0 && !stopping) {
      await sleep(intervalMs);
    }
  }
  const summary = { byPeer, failures, readyMs };
  if (firstError) {
    summary.firstError = firstError;
  }
  console.log(JSON.stringify(summary));
  client.close();
  process.exit(0);
}

main();
