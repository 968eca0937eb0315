#!/usr/bin/env node
'use strict';
// Calls any roster.v1 RPC from the .proto files, as grpcurl would with them:
//
//   node call.js DiscoveryService/Discover '{"service": "orders"}'
//
// The request is JSON in @grpc/proto-loader's object form: field names in lowerCamelCase, enums by
// name, 64-bit integers as strings, a Duration as {"seconds": "30"}. Each answer is printed as one
// JSON line (a server stream such as Watch prints one line per message until interrupted). An
// error prints {"code": ..., "name": ..., "message": ...} on stderr and exits with status 1.
// The node is the first of ROSTER_TARGETS (comma-separated); the next are tried when it does not
// answer.
const grpc = require('@grpc/grpc-js');
const { Roster, errorMessage, toJson } = require('./roster');

function fail(err) {
  const name = Object.keys(grpc.status).find((key) => grpc.status[key] === err.code);
  process.stderr.write(
    JSON.stringify({ code: err.code, name, message: errorMessage(err) }) + '\n',
  );
  process.exit(1);
}

async function main() {
  const [rpc, json = '{}'] = process.argv.slice(2);
  const [service, method] = (rpc || '').split('/');
  if (!service || !method) {
    throw new Error("usage: call.js SERVICE/METHOD ['JSON request'], e.g. ClusterService/ClusterStatus");
  }
  const request = JSON.parse(json);
  const roster = new Roster();
  const client = roster.node()[service];
  const definition = client && client.constructor.service[method];
  if (!definition) {
    throw new Error(`no RPC ${service}/${method} in roster.v1`);
  }
  if (definition.responseStream && !definition.requestStream) {
    const stream = roster.serverStream(service, method, request);
    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
      stream.cancel();
    };
    stream.on('data', (message) => process.stdout.write(toJson(message) + '\n'));
    stream.on('error', (err) => (interrupted ? process.exit(0) : fail(err)));
    stream.on('end', () => roster.close());
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    return;
  }
  if (definition.requestStream) {
    throw new Error(`${service}/${method} streams requests: see register.js for KeepAlive`);
  }
  const answer = await roster.unary(service, method, request);
  process.stdout.write(toJson(answer) + '\n');
  roster.close();
}

main().catch(fail);
