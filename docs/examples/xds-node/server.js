#!/usr/bin/env node
'use strict';
// A gRPC backend to call through xds:///: it serves grpc.health.v1.Health/Check (SERVING) on a
// loopback port, and nothing else. Register it in Roster, e.g. with the roster CLI:
//   node server.js --port 9001 &
//   deploy/local/roster register --service orders --host 127.0.0.1 --port 9001 --keepalive &

const grpc = require('@grpc/grpc-js');
const { CHECK, SERVING, identity } = require('./health');

const at = process.argv.indexOf('--port');
const port = at >= 0 ? Number(process.argv[at + 1]) : 9001;

const server = new grpc.Server();
server.addService(
  {
    Check: {
      path: CHECK,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  { Check: (call, callback) => callback(null, SERVING) }
);
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
  if (error) {
    console.error(`cannot listen on 127.0.0.1:${port}: ${error.message}`);
    process.exit(1);
  }
  console.log(`serving grpc.health.v1.Health on 127.0.0.1:${bound}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.tryShutdown(() => process.exit(0)));
}
