#!/usr/bin/env node
'use strict';
// Registers one instance, keeps its lease alive over a KeepAlive stream until SIGINT or SIGTERM,
// then deregisters it. Prints one JSON object per line for each thing that happens.
//
//   ROSTER_TARGETS=127.0.0.1:7101,127.0.0.1:7102 node register.js --service orders --host 10.0.0.7 --port 8080
const { parseArgs } = require('node:util');
const { Roster, KeepAlive, errorMessage } = require('./roster');

const { values: args } = parseArgs({
  options: {
    service: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    'instance-id': { type: 'string', default: '' },
    zone: { type: 'string', default: '' },
    weight: { type: 'string' },
    'ttl-s': { type: 'string' },
    metadata: { type: 'string', multiple: true, default: [] },
  },
});

function say(event, details = {}) {
  process.stdout.write(JSON.stringify({ event, ...details }) + '\n');
}

async function main() {
  if (!args.service || !args.host || !args.port) {
    throw new Error('usage: register.js --service NAME --host HOST --port PORT [--instance-id ID]'
      + ' [--zone ZONE] [--weight 0-10000] [--ttl-s SECONDS] [--metadata key=value ...]');
  }
  const roster = new Roster();
  const instance = {
    service: args.service,
    instanceId: args['instance-id'],
    host: args.host,
    port: Number(args.port),
    zone: args.zone,
    metadata: Object.fromEntries(args.metadata.map((pair) => pair.split(/=(.*)/s).slice(0, 2))),
  };
  if (args.weight !== undefined) {
    instance.weight = Number(args.weight);
  }
  const registered = await roster.register(instance, args['ttl-s']);
  say('registered', { ...registered, target: roster.node().target });

  let keepAlive;
  const start = () => {
    keepAlive = new KeepAlive(roster, registered, async (event, details) => {
      say(event, details);
      if (event === 'lost') {
        // Evicted (this process was paused longer than its lease, say): register again.
        try {
          Object.assign(registered, await roster.register(instance, args['ttl-s']));
        } catch (err) {
          say('register-failed', { code: err.code, message: errorMessage(err) });
          process.exit(1);
        }
        say('registered', { ...registered, target: roster.node().target });
        start();
      } else if (event === 'replaced' || event === 'invalid') {
        process.exit(3);
      } else if (event === 'refused') {
        process.exit(1); // the token or its grants must change first
      }
    });
  };
  start();

  let leaving = false;
  const leave = async (signal) => {
    if (leaving) {
      return;
    }
    leaving = true;
    keepAlive.stop();
    try {
      const key = { service: args.service, instanceId: registered.instanceId };
      const answer = await roster.deregister(key, registered.epoch, registered.leaseId);
      say('deregistered', { signal, revision: answer.revision });
    } catch (err) {
      say('deregister-failed', { signal, code: err.code, message: errorMessage(err) });
    }
    roster.close();
    process.exit(0);
  };
  process.on('SIGINT', () => leave('SIGINT'));
  process.on('SIGTERM', () => leave('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(JSON.stringify({ code: err.code, message: errorMessage(err) }) + '\n');
  process.exit(1);
});
