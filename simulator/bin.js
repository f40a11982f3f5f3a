#!/usr/bin/env node
'use strict';
// The NSE simulator's entry (a test double for NSE, not part of nse-flow): the compiled simulator when
// `npm run build:simulator` has produced lib-simulator/, else the TypeScript sources through ts-node.
const path = require('node:path');
const fs = require('node:fs');

const compiled = path.join(__dirname, '..', 'lib-simulator', 'simulator', 'main.js');
if (fs.existsSync(compiled)) {
  require(compiled).main(process.argv);
} else {
  require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
  require('./main.ts').main(process.argv);
}
