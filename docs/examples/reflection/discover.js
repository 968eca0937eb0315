#!/usr/bin/env node
// Calls Roster's Discover with no .proto file at hand: server reflection lists the node's services
// and hands over the descriptors of roster.v1.DiscoveryService, from which the client is built.
//
//   node discover.js --target 127.0.0.1:7101 --service orders [--namespace default]
//                    [--reflection v1alpha|v1]
//
// grpc-js-reflection-client asks grpc.reflection.v1alpha by default, as many tools do; Roster
// serves both. Prints one JSON object: the services the node lists and Discover's answer, with
// the .proto's field names (instance_id).
'use strict';

const grpc = require('@grpc/grpc-js');
const { GrpcReflection } = require('grpc-js-reflection-client');

function parseArgs(argv) {
  const options = { target: '127.0.0.1:7101', namespace: '', reflection: 'v1alpha' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) {
      throw new Error(`options take the form --name value, got "${key}"`);
    }
    options[key.slice(2)] = value;
  }
  if (!options.service) {
    throw new Error('--service is required');
  }
  if (options.reflection !== 'v1alpha' && options.reflection !== 'v1') {
    throw new Error(`--reflection must be v1alpha or v1, got "${options.reflection}"`);
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const credentials = grpc.credentials.createInsecure();
  const reflection = new GrpcReflection(options.target, credentials, {}, options.reflection);
  const deadline = () => ({ deadline: Date.now() + 10_000 });

  const services = await reflection.listServices('', deadline());
  const descriptor = await reflection.getDescriptorBySymbol(
    'roster.v1.DiscoveryService',
    deadline(),
  );
  const roster = descriptor.getPackageObject({ keepCase: true, longs: String, enums: String });
  const discovery = new roster.roster.v1.DiscoveryService(options.target, credentials);
  const answer = await new Promise((resolve, reject) =>
    discovery.Discover(
      { namespace: options.namespace, service: options.service },
      deadline(),
      (error, response) => (error ? reject(error) : resolve(response)),
    ),
  );
  discovery.close();
  process.stdout.write(JSON.stringify({ reflection: options.reflection, services, answer }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`discover.js: ${error.message || error}\n`);
  process.exit(1);
});
