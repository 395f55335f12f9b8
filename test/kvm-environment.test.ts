// Environment errors are actionable: when KVM cannot be used, checkKvm() and Sandbox.create() fail
// with KVM_UNAVAILABLE and a message that says what is wrong and what to do about it. The device is
// chosen with checkKvm(device) and the undocumented `kvmDevice` sandbox option (native/src/kvm.cc).
//
// The permission-denied case runs a child node process as the unprivileged user nobody (65534):
// that needs root here, setpriv or runuser, and a /dev/kvm nobody may not open (mode 600 root).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MicroVmError, Sandbox, checkKvm, liveSandboxCount, type SandboxOptions } from '../native/lib';
import { addonPath } from '../native/lib/addon';
import { buildTestGuest } from './guests/build-guests';
import { needsKvm } from './support/kvm';

const KVM = '/dev/kvm';
const NOBODY = 65534;
const NOT_AVAILABLE =
  'does not exist: KVM is not available on this machine (enable virtualisation in the firmware, load the kvm_intel ' +
  'or kvm_amd module, or enable nested virtualisation on the VM you are running in)';
const permissionDenied = (device: string): string =>
  `permission denied opening ${device}; give your user access with \`sudo usermod -aG kvm $USER\` and log in again ` +
  `(or \`sudo setfacl -m u:$USER:rw ${device}\`)`;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-kvm-environment-'));
fs.chmodSync(scratch, 0o755); // the unprivileged child reads from here
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function expectKvmError(fn: () => unknown, expected: string | RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MicroVmError, `expected a MicroVmError, got ${String(error)}`);
    assert.equal(error.code, 'KVM_UNAVAILABLE', error.message);
    if (typeof expected === 'string') assert.equal(error.message, expected);
    else assert.match(error.message, expected);
    return true;
  });
}

/** checkKvm(device) and Sandbox.create(guest, { kvmDevice: device }) both fail with `expected`, and no VM is left. */
function deviceRejected(device: string, expected: string | RegExp): void {
  expectKvmError(() => checkKvm(device), expected);
  const before = liveSandboxCount();
  const guest = buildTestGuest('types');
  const options = { kvmDevice: device } as SandboxOptions;
  expectKvmError(() => Sandbox.create(guest, options), expected); // by path: a KVM error is not about the guest, no prefix
  expectKvmError(() => Sandbox.create(fs.readFileSync(guest), options), expected);
  assert.equal(liveSandboxCount(), before, 'a VM was left behind');
}

// ---------------------------------------------------------------------------------------------
// The real device

test('checkKvm() on the real /dev/kvm returns API version 12', { skip: needsKvm }, () => {
  for (const result of [checkKvm(), checkKvm(KVM)]) {
    assert.equal(result.apiVersion, 12);
    assert.equal(typeof result.guestDebug, 'boolean');
  }
});

test('the kvmDevice option is honoured: /dev/kvm given explicitly runs a guest', { skip: needsKvm }, () => {
  const sandbox = Sandbox.create(buildTestGuest('types'), { kvmDevice: KVM } as SandboxOptions);
  try {
    assert.equal(sandbox.callSync('EchoI32', 12).value, 12);
  } finally {
    sandbox.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// Devices that are not KVM

describe('devices that are not KVM', () => {
  test('a missing device says it does not exist and how to enable KVM', () => {
    deviceRejected('/nonexistent/kvm', `/nonexistent/kvm ${NOT_AVAILABLE}`);
    const missing = path.join(scratch, 'no-such-kvm');
    deviceRejected(missing, `${missing} ${NOT_AVAILABLE}`);
  });

  test('/dev/null (and other non-KVM files) say they are not a KVM device', () => {
    const notKvm = (device: string) =>
      new RegExp(`^${device.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a KVM device: KVM_GET_API_VERSION failed: .+ \\(errno 25\\)$`);
    deviceRejected('/dev/null', notKvm('/dev/null'));
    deviceRejected('/dev/zero', notKvm('/dev/zero'));
    const regular = path.join(scratch, 'regular-file');
    fs.writeFileSync(regular, 'not a device');
    deviceRejected(regular, notKvm(regular));
  });

  test('a directory cannot be opened, and says why', () => {
    deviceRejected(scratch, new RegExp(`^cannot open ${scratch}: .+ \\(errno 21\\)$`));
  });

  test('an invalid guest is reported before the device is looked at', () => {
    const before = liveSandboxCount();
    assert.throws(
      () => Sandbox.create(new Uint8Array(10), { kvmDevice: '/nonexistent/kvm' } as SandboxOptions),
      (error: unknown) => error instanceof MicroVmError && error.code === 'ELF_INVALID',
    );
    assert.equal(liveSandboxCount(), before);
  });
});

// ---------------------------------------------------------------------------------------------
// Permission denied, as an unprivileged user

/** Whether user nobody (not owner, not in the group) can reach `file`: every directory above it searchable, it readable/executable. */
function othersCan(file: string, bits: number): boolean {
  const resolved = fs.realpathSync(file);
  for (let dir = path.dirname(resolved); ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
    if (path.dirname(dir) === dir) break;
  }
  const stat = fs.statSync(resolved);
  if (!stat.isDirectory()) return (stat.mode & bits) === bits;
  if ((stat.mode & 0o005) !== 0o005) return false;
  return fs.readdirSync(resolved).every((entry) => othersCan(path.join(resolved, entry), 0o004));
}

/** Which tool switches to nobody, or why the child cannot run. */
function dropPrivilegesCommand(): { argv: string[] } | { reason: string } {
  if (process.getuid?.() !== 0) return { reason: `running as uid ${process.getuid?.()}, not root: cannot switch to user nobody` };
  if (!othersCan(process.execPath, 0o005)) return { reason: `${process.execPath} is not executable by user nobody` };
  const has = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
  if (has('setpriv')) return { argv: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] };
  if (has('runuser')) return { argv: ['runuser', '-u', 'nobody', '--'] };
  return { reason: 'neither setpriv nor runuser is installed' };
}

/** The compiled library and the addon as nobody can load them: in place if the repository is readable, else a copy. */
function libraryForNobody(): { index: string; env: NodeJS.ProcessEnv } {
  const lib = path.join(__dirname, '..', 'native', 'lib');
  const addon = addonPath();
  if (othersCan(lib, 0o004) && othersCan(addon, 0o004)) return { index: path.join(lib, 'index.js'), env: {} };
  const copy = path.join(scratch, 'lib');
  fs.cpSync(lib, copy, { recursive: true });
  fs.copyFileSync(addon, path.join(scratch, 'microvm_native.node'));
  for (const entry of [copy, ...fs.readdirSync(copy, { recursive: true }).map((e) => path.join(copy, String(e)))]) {
    fs.chmodSync(entry, fs.statSync(entry).isDirectory() ? 0o755 : 0o644);
  }
  fs.chmodSync(path.join(scratch, 'microvm_native.node'), 0o755);
  return { index: path.join(copy, 'index.js'), env: { MICROVM_NATIVE_ADDON: path.join(scratch, 'microvm_native.node') } };
}

type Outcome = { ok: unknown } | { code: string; message: string };

/** Runs `body` (JavaScript with `lib` and `capture` in scope) as user nobody; returns what it printed as JSON. */
function runAsNobody(argv: string[], body: string): Record<string, unknown> {
  const { index, env } = libraryForNobody();
  const script = `
    const lib = require(${JSON.stringify(index)});
    const capture = (fn) => { try { return { ok: fn() }; } catch (e) { return { code: e.code, message: e.message }; } };
    const out = { uid: process.getuid(), gid: process.getgid(), groups: process.getgroups() };
    ${body}
    console.log(JSON.stringify(out));`;
  const [tool, ...args] = argv;
  const child = spawnSync(tool, [...args, process.execPath, '-e', script], {
    cwd: scratch,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  assert.equal(child.error, undefined, String(child.error));
  assert.equal(child.status, 0, `the child failed (${child.signal ?? child.status}): ${child.stderr}`);
  const out = JSON.parse(child.stdout) as Record<string, unknown>;
  assert.equal(out.uid, NOBODY, 'the child did not run as nobody');
  assert.equal(out.gid, NOBODY);
  assert.ok((out.groups as number[]).every((g) => g === NOBODY), `the child kept other groups: ${String(out.groups)}`);
  return out;
}

function skipReason(reason: string | false): string | false {
  if (reason) console.log(`skipped: ${reason}`);
  return reason;
}

const dropper = dropPrivilegesCommand();
const childSkip = skipReason('reason' in dropper ? dropper.reason : false);

function kvmDeniedSkip(): string | false {
  if (childSkip) return childSkip;
  if (!fs.existsSync(KVM)) return skipReason(`${KVM} does not exist on this machine`);
  const stat = fs.statSync(KVM);
  if ((stat.mode & 0o006) !== 0 || stat.uid === NOBODY || stat.gid === NOBODY) {
    return skipReason(`${KVM} (mode ${(stat.mode & 0o777).toString(8)}, uid ${stat.uid}, gid ${stat.gid}) is open to user nobody here`);
  }
  return false;
}

describe('permission denied, as user nobody', () => {
  test('checkKvm() and Sandbox.create() on /dev/kvm say permission denied and name `usermod -aG kvm`', { skip: kvmDeniedSkip() }, () => {
    const guest = path.join(scratch, 'types.elf');
    fs.copyFileSync(buildTestGuest('types'), guest);
    fs.chmodSync(guest, 0o644);
    const out = runAsNobody(
      (dropper as { argv: string[] }).argv,
      `out.implicit = capture(() => lib.checkKvm());
       out.explicit = capture(() => lib.checkKvm('/dev/kvm'));
       out.again = capture(() => lib.checkKvm()); // a failed open is not remembered as a success
       out.sandbox = capture(() => { lib.Sandbox.create(${JSON.stringify(guest)}).dispose(); return 'created'; });
       out.live = lib.liveSandboxCount();`,
    );
    const expected = { code: 'KVM_UNAVAILABLE', message: permissionDenied(KVM) };
    for (const key of ['implicit', 'explicit', 'again', 'sandbox']) assert.deepEqual(out[key] as Outcome, expected, key);
    assert.match(expected.message, /usermod -aG kvm/);
    assert.equal(out.live, 0);
  });

  test('a device path nobody may not open: the advice names that path', { skip: childSkip }, () => {
    const device = path.join(scratch, 'private-device');
    fs.writeFileSync(device, '');
    fs.chmodSync(device, 0o600);
    const out = runAsNobody(
      (dropper as { argv: string[] }).argv,
      `out.check = capture(() => lib.checkKvm(${JSON.stringify(device)}));`,
    );
    assert.deepEqual(out.check as Outcome, { code: 'KVM_UNAVAILABLE', message: permissionDenied(device) });
  });
});
