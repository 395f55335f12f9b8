// The debug runtime in-process: what the DAP tests cannot see from outside the adapter. Ending a
// session always disposes its micro-VM, restarts reuse it, and breakpoints set while the guest
// runs take effect.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { liveSandboxCount } from '../native/lib';
import { DebugRuntime, type StoppedEvent } from '../debug-adapter/engine/runtime';
import { buildTestGuest, testGuestsDir } from './guests/build-guests';
import { marks } from './support/dap';
import { needsKvm } from './support/kvm';

const SOURCE = path.join(testGuestsDir(), 'debuggee.c');
const mark = marks(SOURCE);

function nextEvent(runtime: DebugRuntime): Promise<StoppedEvent | 'ended'> {
  return new Promise((resolve) => {
    const stopped = (event: StoppedEvent) => done(event);
    const ended = () => done('ended');
    const done = (value: StoppedEvent | 'ended') => {
      runtime.off('stopped', stopped);
      runtime.off('ended', ended);
      resolve(value);
    };
    runtime.on('stopped', stopped);
    runtime.on('ended', ended);
  });
}

describe('debug runtime', { skip: needsKvm }, () => {
  test('terminate disposes the micro-VM, whether the guest is stopped, running or done; restarts do not add any', async () => {
    const program = buildTestGuest('debuggee');
    const before = liveSandboxCount();
    const launch = (functionName: string, args: number[] = []) =>
      DebugRuntime.launchLive({ kind: 'live', program, functionName, args, stopOnEntry: true, hostFunctions: [] });

    const stopped = launch('Shapes', [1]);
    assert.equal(liveSandboxCount(), before + 1);
    let event = nextEvent(stopped);
    await stopped.start();
    assert.notEqual(await event, 'ended');
    for (let i = 0; i < 5; i++) {
      event = nextEvent(stopped);
      await stopped.restart();
      assert.equal(((await event) as StoppedEvent).reason, 'entry');
    }
    assert.equal(liveSandboxCount(), before + 1, 'restarts reuse the micro-VM');
    await stopped.terminate();
    assert.equal(liveSandboxCount(), before);

    const running = launch('Spin');
    event = nextEvent(running);
    await running.start();
    await event;
    const spinning = running.continue();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await running.terminate();
    await spinning.catch(() => undefined);
    assert.equal(liveSandboxCount(), before, 'a running guest is stopped and its micro-VM disposed');

    const done = launch('Accumulate', [3]);
    event = nextEvent(done);
    await done.start();
    await event;
    event = nextEvent(done);
    await done.continue();
    assert.equal(await event, 'ended');
    await done.terminate();
    assert.equal(liveSandboxCount(), before);
  });

  test('a breakpoint set while the guest runs stops it there', async () => {
    const program = buildTestGuest('debuggee');
    const runtime = DebugRuntime.launchLive({ kind: 'live', program, functionName: 'Spin', args: [], stopOnEntry: false, hostFunctions: [] });
    try {
      const event = nextEvent(runtime);
      const started = runtime.start();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const [bp] = await runtime.setSourceBreakpoints(SOURCE, [{ line: mark('spin') }]);
      assert.equal(bp.verified, true);
      await started;
      const stop = await event;
      assert.notEqual(stop, 'ended');
      assert.equal((stop as StoppedEvent).reason, 'breakpoint');
      assert.equal(runtime.stackTrace(0, 1).frames[0].line, mark('spin'));
    } finally {
      await runtime.terminate();
    }
  });
});
