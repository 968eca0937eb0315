#!/usr/bin/env node
'use strict';
// Prints the healthy, weighted endpoints of a service as one JSON object (a DiscoverResponse).
//
//   ROSTER_TARGETS=127.0.0.1:7101 node discover.js --service orders [--zone eu-1a] [--include-unhealthy]
const { parseArgs } = require('node:util');
const { Roster, errorMessage, toJson } = require('./roster');

const { values: args } = parseArgs({
  options: {
    service: { type: 'string' },
    zone: { type: 'string', default: '' },
    'include-unhealthy': { type: 'boolean', default: false },
  },
});

async function main() {
  if (!args.service) {
    throw new Error('usage: discover.js --service NAME [--zone ZONE] [--include-unhealthy]');
  }
  const roster = new Roster();
  try {
    const found = await roster.discover(args.service, {
      zone: args.zone,
      includeUnhealthy: args['include-unhealthy'],
    });
    process.stdout.write(toJson(found) + '\n');
  } finally {
    roster.close();
  }
}

main().catch((err) => {
  process.stderr.write(JSON.stringify({ code: err.code, message: errorMessage(err) }) + '\n');
  process.exit(1);
});
