// Locals at a breakpoint in a -O0 guest: exactly the values the source assigns (ints, a struct, an
// array, a pointer, a char buffer), and the same text gdb prints for a core of that moment.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DebugInfo } from '../debug-adapter/engine/dwarf';
import { frameVariables, physicalFrames } from '../debug-adapter/engine/postmortem';
import type { Memory } from '../debug-adapter/engine/unwind';
import { ElfFile } from '../native/lib/elf';
import { Sandbox } from '../native/lib';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm } from './support/kvm';
import { gdbBatch } from './support/oracles';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-locals-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** gdb's `info args` + `info locals` of frames 0..n-1 of a core, as name → text. */
function gdbVariables(elf: string, core: string, frames: number): Map<string, string>[] {
  const commands = Array.from({ length: frames }, (_, i) => [`frame ${i}`, 'echo @@args\\n', 'info args', 'echo @@locals\\n', 'info locals', 'echo @@end\\n']).flat();
  const out = gdbBatch([elf, core], ['set print frame-info short-location', ...commands]);
  const result: Map<string, string>[] = [];
  let current: Map<string, string> | undefined;
  for (const line of out.split('\n')) {
    if (line === '@@args') result.push((current = new Map()));
    else if (line === '@@end' || line === '@@locals') continue;
    else if (current && /^\w+ = /.test(line)) {
      const at = line.indexOf(' = ');
      current.set(line.slice(0, at), line.slice(at + 3));
    }
  }
  return result;
}

describe('locals at a breakpoint', { skip: needsKvm }, () => {
  test('a -O0 guest stopped on the faulting line: values as assigned, and as gdb reads them from a core', async () => {
    const elf = buildTestGuest('faults', { optimize: '0' });
    const info = new DebugInfo(new ElfFile(fs.readFileSync(elf)));
    const source = path.join(path.dirname(elf), '..', 'faults.c');
    const lineOfReturn = fs.readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes('return values[0] + *target;')) + 1;
    const where = info.addressesForLine('faults.c', lineOfReturn);
    assert.ok(where && where.addresses.length > 0, `code for faults.c:${lineOfReturn}`);

    const sandbox = Sandbox.create(elf);
    try {
      const call = sandbox.debugCall('Nested3');
      for (const address of where.addresses) await call.setBreakpoint(address);
      const stop = await call.continue();
      assert.equal(stop.kind === 'stopped' && stop.stop.reason, 'breakpoint');
      const registers = call.registers();
      const memory: Memory = {
        read: (address, length) => {
          try {
            return call.readMemory(address, length);
          } catch {
            return undefined;
          }
        },
      };
      const frames = physicalFrames(info, registers, memory).slice(0, 3);
      const ours = frames.map((frame) => new Map(frameVariables(info, frame, memory).map((v) => [v.name, v.text])));

      // Level3(label, depth, where): locals assigned by the source.
      assert.equal(ours[0].get('depth'), '3');
      assert.equal(ours[0].get('target'), '0x0');
      assert.equal(ours[0].get('values'), '{3, 4372, 4, 14}');
      assert.equal(ours[0].get('note'), '"level three\\000\\000\\000\\000"');
      assert.match(ours[0].get('label') ?? '', /^0x[0-9a-f]+ "from level two"$/);
      // Level2(depth, where): a struct parameter by value, a char buffer, an array.
      assert.equal(ours[1].get('depth'), '2');
      assert.equal(ours[1].get('where'), '{x = 4372, y = 4}');
      assert.equal(ours[1].get('label'), '"from level two' + '\\000'.repeat(9) + '"');
      assert.equal(ours[1].get('scratch'), '{4369, 8738, 13107}');
      // Level1(depth): a struct, a 64-bit int, a pointer to a string.
      assert.equal(ours[2].get('origin'), '{x = 3, y = 4}');
      assert.equal(ours[2].get('mask'), '18374966859414961920');
      assert.match(ours[2].get('name') ?? '', /^0x[0-9a-f]+ "level one"$/);

      // gdb on a core of this very moment says the same, variable for variable.
      const core = call.dumpCore(scratch, 'breakpoint in Level3');
      const gdb = gdbVariables(elf, core, 3);
      for (let i = 0; i < 3; i++) assert.deepEqual(ours[i], gdb[i], `frame ${i}`);
    } finally {
      sandbox.dispose();
    }
  });
});
