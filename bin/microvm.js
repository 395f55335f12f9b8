#!/usr/bin/env node
// The `microvm` command. The CLI itself is the esbuild bundle dist/cli.js, made by `npm install`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bundle = path.join(root, 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write(`microvm: ${bundle} is missing; run \`npm install\` in ${root} to build it\n`);
  process.exit(1);
}

require(bundle)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    process.stderr.write(`microvm: internal error: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
