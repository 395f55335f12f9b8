#!/usr/bin/env node
// `npm run bench`: runs the TypeScript bench (bench/main.ts), which `npm install` / `npm run build`
// compile to out/bench/. See `npm run bench -- --help`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, '..', 'out', 'bench', 'main.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write(`bench: ${compiled} is missing; run \`npm install\` (or \`npm run build\`) first\n`);
  process.exit(1);
}
require(compiled)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`bench: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
