// The debugger's Locals against gdb at every line stop: a live DebugRuntime session steps a guest
// call line by line and, at every stop, reads the Locals scope of frame 0 and of the two frames
// out (whatever they are: guest functions, inlined frames, the SDK's dispatcher) and writes a core
// of that moment. gdb then opens each core (one gdb process per program and function, `core-file`
// per stop) and prints `info args` + `info locals` of the same frames; our rows must be gdb's
// lines, name for name, text for text and in gdb's order (args first, then locals, innermost
// block first; a shadowed name as often as gdb lists it). Every difference of a call is collected
// and reported at once (stop, pc, line, frame, variable, ours vs gdb).
//
// Calls in the guest's source are stepped into (gdb's `step`); in the SDK's code (HostPrint,
// strlen) one stop is taken on the callee's first line and the step goes out of it (`finish`);
// once the guest's code has returned, the call is continued to its end. gcc and clang, -O0 and
// -O2; debuggee.c Shapes (a struct, an array, pointers, add_point, the inlined square, HostPrint),
// Accumulate (a loop with its block-scoped counter), Factorial (recursion) and faults.c Nested3
// (Level1/2/3 down to the null pointer read; at -O2 parameters recovered through chains of call
// sites, DW_OP_entry_value).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DebugRuntime, type StoppedEvent } from '../debug-adapter/engine/runtime';
import type { GuestValue } from '../native/lib';
import { buildTestGuest, COMPILER_MATRIX, type TestGuest } from './guests/build-guests';
import { needsKvm } from './support/kvm';
import { gdbScriptJson } from './support/oracles';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-debug-locals-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Frames compared at each stop: frame 0 and up to two callers. */
const FRAMES = 3;
/** Line stops per call at most. */
const MAX_STOPS = 80;

type Row = readonly [name: string, text: string];

interface OurFrame {
  readonly level: number;
  readonly name: string;
  readonly line: number | undefined;
  readonly pc: bigint;
  readonly rows: readonly Row[];
}

interface Stop {
  readonly index: number;
  readonly reason: string;
  readonly core: string;
  readonly frames: readonly OurFrame[];
}

// gdb's side: for every core of the plan, select each frame and print `info args` and `info locals`.
const DRIVER = String.raw`
import gdb, json, os
for setting in ["set pagination off", "set height 0", "set width 0", "set confirm off", "set print pretty off"]:
    gdb.execute(setting)
plan = json.load(open(os.environ["LOCALS_PLAN"]))
results = []
for entry in plan:
    result = {"frames": []}
    results.append(result)
    try:
        gdb.execute("core-file " + entry["core"], to_string=True)
    except gdb.error as error:
        result["error"] = str(error)
        continue
    for level in entry["levels"]:
        frame = {"level": level}
        result["frames"].append(frame)
        try:
            gdb.execute("frame %d" % level, to_string=True)
            selected = gdb.selected_frame()
            frame["name"] = selected.name()
            frame["pc"] = str(selected.pc())
            frame["line"] = selected.find_sal().line
            frame["args"] = gdb.execute("info args", to_string=True)
            frame["locals"] = gdb.execute("info locals", to_string=True)
        except gdb.error as error:
            frame["error"] = str(error)
json.dump(results, open(os.environ["LOCALS_OUT"], "w"))
`;

interface GdbFrame {
  readonly level: number;
  readonly name?: string | null;
  readonly pc?: string;
  readonly line?: number;
  readonly args?: string;
  readonly locals?: string;
  readonly error?: string;
}

/** `name = text` lines of `info args`/`info locals`; a line that is not one is kept with the row before it. */
function gdbRows(text: string): Row[] {
  const rows: Array<[string, string]> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line === 'No arguments.' || line === 'No locals.' || line === 'No symbol table info available.') continue;
    const match = /^(\S+) = (.*)$/.exec(line);
    if (match) rows.push([match[1], match[2]]);
    else if (rows.length > 0) rows[rows.length - 1][1] += `\n${line}`;
    else rows.push(['?', line]);
  }
  return rows;
}

function runGdb(program: string, stops: readonly Stop[]): Array<{ error?: string; frames: GdbFrame[] }> {
  const driver = path.join(scratch, 'locals-driver.py');
  const plan = path.join(scratch, `plan-${process.hrtime.bigint()}.json`);
  const out = `${plan}.out`;
  fs.writeFileSync(driver, DRIVER);
  fs.writeFileSync(plan, JSON.stringify(stops.map((s) => ({ core: s.core, levels: s.frames.map((f) => f.level) }))));
  return gdbScriptJson(driver, [program], out, { env: { LOCALS_PLAN: plan, LOCALS_OUT: out }, timeout: 120_000 });
}

/** What a stepped call did: its stops, how it ended, and a host-stub #DB if one ended it. */
interface Recording {
  readonly stops: Stop[];
  readonly ended: string;
  /** A debug exception in the host's #DB stub that ended the call (a fixed native bug; see SPURIOUS_DB). */
  readonly spuriousDebugException?: string;
}

/**
 * A #DB raised inside the host's exception stub (ring 0, outside the guest's code) rather than by
 * a guest instruction: the native layer arms the trap flag on a vCPU that a slice or pause
 * interrupted between a trap-flag #DB and the stub's exit (native/src/machine_run.cc runUntilExit:
 * armTrapFlag is applied to whatever RFLAGS the vCPU has). It has nothing to do with Locals and
 * happens at random under load (a single step that takes longer than the 1 ms inline slice).
 */
const SPURIOUS_DB = /debug exception at RIP 0x[0-9a-f]+/;

/**
 * Steps `functionName(args)` line by line and records our Locals and a core at every stop. Calls
 * are stepped into; in the SDK's code (not `source`, e.g. HostPrint, strlen) one stop is taken on
 * the callee's first line, then the step goes out of it, so the stops stay in the test guest's
 * code. Once the guest's code has returned into the SDK's dispatcher the call is continued to its end.
 */
async function recordStops(program: string, source: string, functionName: string, args: readonly GuestValue[], dir: string): Promise<Recording> {
  const runtime = DebugRuntime.launchLive({ kind: 'live', program, functionName, args, stopOnEntry: true, hostFunctions: [] });
  let lastStop: StoppedEvent | undefined;
  let ended: number | undefined;
  let failure = '';
  runtime.on('stopped', (stop) => (lastStop = stop));
  runtime.on('ended', (end) => (ended = end.exitCode));
  runtime.on('output', (out) => {
    if (out.category === 'stderr') failure += out.text;
  });
  const stops: Stop[] = [];
  let spurious: string | undefined;
  const inSource = (frame: { file?: string } | undefined) => frame?.file !== undefined && path.basename(frame.file) === source;
  try {
    await runtime.start();
    while (ended === undefined && stops.length < MAX_STOPS) {
      assert.ok(lastStop, 'a stop before each step');
      const { frames: stack } = runtime.stackTrace(0, 1000);
      if (lastStop.reason === 'exception' && !stack[0]?.file && SPURIOUS_DB.test(lastStop.text ?? '')) {
        spurious = `${lastStop.text} (after stop ${stops.length - 1} at ${stops.at(-1)?.frames[0]?.name}:${stops.at(-1)?.frames[0]?.line})`;
        break;
      }
      const frames = stack.slice(0, FRAMES).map((frame) => {
        const locals = runtime.scopes(frame.level).find((s) => s.kind === 'locals')!.node;
        const rows = locals.children!(0, locals.childCount).map((row): Row => [row.name, row.value]);
        return { level: frame.level, name: frame.name, line: frame.line, pc: frame.pc, rows };
      });
      const core = runtime.dumpCore(dir);
      stops.push({ index: stops.length, reason: lastStop.reason, core, frames });
      const reason = lastStop.reason;
      lastStop = undefined;
      if (reason === 'exception' || inSource(stack[0])) await runtime.step('in', 'line');
      else if (stack.some(inSource)) await runtime.step('out', 'line');
      else await runtime.continue(); // returned from the guest's code: run the call to its end
    }
  } finally {
    await runtime.terminate();
  }
  const faults = stops.filter((s) => s.reason === 'exception').map((s) => `${s.frames[0]?.name ?? '?'}@0x${s.frames[0]?.pc.toString(16) ?? '?'}`);
  const how = ended === undefined ? `still running after ${MAX_STOPS} stops` : ended === 0 ? 'returned' : `failed (${failure.trim()})`;
  return { stops, ended: faults.length > 0 ? `${how} after an exception in ${faults.join(', ')}` : how, spuriousDebugException: spurious };
}

/** Every difference between our rows and gdb's, in words. */
function compare(stop: Stop, gdb: { error?: string; frames: GdbFrame[] }): string[] {
  const problems: string[] = [];
  const top = stop.frames[0];
  const where = `stop ${stop.index} (${stop.reason}) pc 0x${top.pc.toString(16)} ${top.name}:${top.line}`;
  if (gdb.error) return [`${where}: gdb could not open the core: ${gdb.error}`];
  for (const ours of stop.frames) {
    const theirs = gdb.frames.find((f) => f.level === ours.level);
    const frameWhere = `${where} frame ${ours.level} ${ours.name}:${ours.line}`;
    if (!theirs || theirs.error) {
      problems.push(`${frameWhere}: gdb has no such frame (${theirs?.error ?? 'not printed'})`);
      continue;
    }
    if (theirs.name !== ours.name || BigInt(theirs.pc!) !== ours.pc) {
      problems.push(`${frameWhere}: gdb's frame ${ours.level} is ${theirs.name} at pc 0x${BigInt(theirs.pc!).toString(16)} line ${theirs.line}`);
      continue;
    }
    const gdbList = [...gdbRows(theirs.args ?? ''), ...gdbRows(theirs.locals ?? '')];
    const ourList = ours.rows;
    const key = (rows: readonly Row[]) => rows.map(([n, t]) => `${n} = ${t}`).join('\n');
    if (key(gdbList) === key(ourList)) continue;
    // Name by name (a shadowed name: its k-th occurrence against gdb's k-th).
    const occurrences = (rows: readonly Row[]) => {
      const seen = new Map<string, number>();
      return rows.map(([n, t]) => {
        const k = seen.get(n) ?? 0;
        seen.set(n, k + 1);
        return { id: k === 0 ? n : `${n}#${k + 1}`, text: t };
      });
    };
    const a = occurrences(ourList);
    const b = occurrences(gdbList);
    const bById = new Map(b.map((r) => [r.id, r.text]));
    const aById = new Map(a.map((r) => [r.id, r.text]));
    let valueProblems = 0;
    for (const { id, text } of a) {
      if (!bById.has(id)) (valueProblems++, problems.push(`${frameWhere}: ${id}: ours ${text} | gdb does not list it`));
      else if (bById.get(id) !== text) (valueProblems++, problems.push(`${frameWhere}: ${id}: ours ${text} | gdb ${bById.get(id)}`));
    }
    for (const { id, text } of b) if (!aById.has(id)) (valueProblems++, problems.push(`${frameWhere}: ${id}: ours (not listed) | gdb ${text}`));
    if (valueProblems === 0) problems.push(`${frameWhere}: order: ours [${a.map((r) => r.id).join(', ')}] | gdb [${b.map((r) => r.id).join(', ')}]`);
  }
  return problems;
}

interface Case {
  readonly guest: TestGuest;
  readonly functionName: string;
  readonly args: readonly GuestValue[];
  /** Functions whose frames the stepping must visit (so the comparison covers them). */
  readonly visits: readonly string[];
  /** How the call ends when stepped through (`ended` of recordStops, faulting function's name). */
  readonly ends: RegExp;
}

const CASES: readonly Case[] = [
  { guest: 'debuggee', functionName: 'Shapes', args: [2], visits: ['Shapes', 'add_point', 'HostPrint'], ends: /^returned$/ },
  { guest: 'debuggee', functionName: 'Accumulate', args: [4], visits: ['Accumulate'], ends: /^returned$/ },
  { guest: 'debuggee', functionName: 'Factorial', args: [4], visits: ['factorial'], ends: /^returned$/ },
  { guest: 'faults', functionName: 'Nested3', args: [], visits: ['Level1', 'Level2', 'Level3'], ends: /^failed \(GUEST_FAULT: .*null pointer dereference.*\) after an exception in Level3@0x[0-9a-f]+$/ },
];

describe('Locals at every line stop equal gdb\'s info args + info locals', { skip: needsKvm }, () => {
  for (const build of COMPILER_MATRIX) {
    for (const c of CASES) {
      test(`${c.guest} ${c.functionName} (${build.cc} -O${build.optimize})`, async (t) => {
        const program = buildTestGuest(c.guest, build);
        const dir = fs.mkdtempSync(path.join(scratch, `${c.functionName}-${build.cc}-O${build.optimize}-`));
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        const recording = await recordStops(program, `${c.guest}.c`, c.functionName, c.args, dir);
        // Once a native bug (a time slice ending inside the host's #DB stub) ended stepped calls
        // with a debug exception there at random; none may happen now.
        assert.equal(recording.spuriousDebugException, undefined, 'a debug exception in the host\'s stub ended the call');
        const { stops, ended } = recording;
        const trail = stops.map((s) => `${s.frames[0]?.name}:${s.frames[0]?.line}`).join(' ');
        assert.match(ended, c.ends, `how ${c.functionName} ends when stepped through (stops: ${trail})`);
        const visited = new Set(stops.flatMap((s) => s.frames.map((f) => f.name)));
        for (const name of c.visits) assert.ok(visited.has(name), `the steps visit ${name} (visited: ${[...visited].join(', ')})`);
        const gdb = runGdb(program, stops);
        assert.equal(gdb.length, stops.length);
        const problems = stops.flatMap((stop, i) => compare(stop, gdb[i]));
        const rows = stops.reduce((n, s) => n + s.frames.reduce((m, f) => m + f.rows.length, 0), 0);
        const summary = `${stops.length} stops, ${stops.reduce((n, s) => n + s.frames.length, 0)} frames, ${rows} rows; the call ${ended}`;
        t.diagnostic(summary);
        assert.deepEqual(problems, [], `${path.basename(program)} ${c.functionName} (${summary}): ${problems.length} differences from gdb:\n${problems.join('\n')}`);
        fs.rmSync(dir, { recursive: true, force: true });
      });
    }
  }
});
