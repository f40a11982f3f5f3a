#!/usr/bin/env node
'use strict';
// Runs the compiled CLI when `npm run build` has produced lib/, else the TypeScript sources through ts-node,
// so `npx nse-flow` works straight after `npm ci`. The sources are transpiled with SWC (@swc/core, which the worker
// needs anyway): a command starts in a third of the time TypeScript's own transpiler takes.
const path = require('node:path');
const fs = require('node:fs');

const compiled = path.join(__dirname, '..', 'lib', 'cli.js');
let cli;
if (fs.existsSync(compiled)) {
  cli = require(compiled);
} else {
  require('ts-node').register({ transpileOnly: true, swc: true, project: path.join(__dirname, '..', 'tsconfig.json') });
  cli = require('../src/cli.ts');
}
cli.main(process.argv).then((code) => {
  process.exitCode = code;
});
