// The extensionTestsPath module: VS Code's extension host calls run() once the extension under
// development is loaded, and ends the test run with exit code 0 when it resolves, 1 when it
// rejects. It runs every *.wb.js beside it (compiled from test/workbench/extension-host/*.wb.ts;
// the .wb suffix keeps `npm test`, which runs *.test.js, from picking them up). The same module
// runs under code-server (npm run test:workbench) and under @vscode/test-electron (npm run
// test:vscode). Environment:
//   MICROVM_WB_RESULTS  a file to write the results to as JSON (the code-server runner reads it)
//   MICROVM_WB_FILTER   run only the tests whose name contains this
import fs from 'node:fs';
import path from 'node:path';
import { loadWithPrefix, runRegistered, TestResult } from './harness';

export async function run(): Promise<void> {
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.wb.js')).sort();
  for (const file of files) loadWithPrefix(file.replace(/\.wb\.js$/, ''), () => require(path.join(__dirname, file)));
  const results: TestResult[] = await runRegistered(process.env.MICROVM_WB_FILTER || undefined);

  if (process.env.MICROVM_WB_RESULTS) fs.writeFileSync(process.env.MICROVM_WB_RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  results.forEach((r, i) => {
    console.log(`${r.ok ? 'ok' : 'not ok'} ${i + 1} - ${r.name}${r.skipped ? ` # SKIP ${r.skipped}` : ` (${r.durationMs} ms)`}`);
    if (r.error) console.log(r.error.split('\n').map((l) => `  # ${l}`).join('\n'));
  });
  const failed = results.filter((r) => !r.ok).length;
  console.log(`# pass ${results.length - failed}\n# fail ${failed}`);
  if (results.length === 0) throw new Error(`no extension-host tests found (*.wb.js in ${__dirname})`);
  if (failed > 0) throw new Error(`${failed} of ${results.length} extension-host tests failed`);
}
