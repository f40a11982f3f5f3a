#!/usr/bin/env node
'use strict';
// Runs the compiled CLI when `npm run build` has produced lib/, else the TypeScript sources through ts-node,
// so `npx nse-flow` works straight after `npm ci`.
const path = require('node:path');
const fs = require('node:fs');

const compiled = path.join(__dirname, '..', 'lib', 'cli.js');
let cli;
if (fs.existsSync(compiled)) {
  cli = require(compiled);
} else {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
  cli = require('../src/cli.ts');
}
cli.main(process.argv).then((code) => {
  process.exitCode = code;
});
