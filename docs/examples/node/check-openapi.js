#!/usr/bin/env node
'use strict';
// Checks that an OpenAPI description parses and is valid OpenAPI 3 (schemas and $refs included),
// then prints its operations, one "METHOD /path" per line, so a test can compare them with the
// routes a node serves.
//
//   node check-openapi.js ../../openapi.yaml
const SwaggerParser = require('@apidevtools/swagger-parser');

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

async function main() {
  const file = process.argv[2];
  if (!file) {
    throw new Error('usage: check-openapi.js FILE');
  }
  const api = await SwaggerParser.validate(file);
  if (!String(api.openapi).startsWith('3.')) {
    throw new Error(`${file} is not OpenAPI 3 (openapi: ${api.openapi})`);
  }
  for (const [path, item] of Object.entries(api.paths)) {
    for (const method of METHODS.filter((m) => item[m])) {
      process.stdout.write(`${method.toUpperCase()} ${path}\n`);
    }
  }
}

main().catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
