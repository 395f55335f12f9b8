// The guest ELF validator (native/src/guest_image.cc) and the sandbox options: every defect class is
// rejected before any VM exists, by Sandbox.create and inspectGuest alike, with code ELF_INVALID (or
// INVALID_OPTIONS) and a message naming the field and its file offset.
//
// Each defect is made by patching a copy of a real guest (test/guests/types.c); every offset and
// size in an expected message is read from that file, so the tests survive SDK changes. Guests
// linked differently (at 0x40000, at 0x400000, as static-pie) are really built: the SDK is vendored
// into a temporary project, built with -fpie, and its objects relinked with an adapted microvm.ld.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MicroVmError, Sandbox, inspectGuest, liveSandboxCount, type SandboxOptions } from '../native/lib';
import { buildGuest, newGuestProject } from '../guest-templates/toolchain';
import { buildTestGuest, testGuestSource } from './guests/build-guests';
import { needsKvm } from './support/kvm';
import { hex } from './support/oracles';

// ---------------------------------------------------------------------------------------------
// Constants of the ABI and the host

const IMAGE_BASE = 0x100000;
const MAX_MEMORY = 256 * 1024 * 1024;
const PAGE = 4096;
const ENTRY_SIZE = 96;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_TLS = 7;
const SHT_NOBITS = 8;
const DT_NEEDED = 1;
const DT_RELA = 7;
const DT_RELASZ = 8;
const DT_RELAENT = 9;
const DT_REL = 17;
const DT_JMPREL = 23;

const alignUp = (value: number, alignment: number): number => Math.ceil(value / alignment) * alignment;

// ---------------------------------------------------------------------------------------------
// A small ELF64 reader over the fields the tests patch

interface Phdr {
  index: number;
  at: number; // file offset of the program header
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  filesz: number;
  memsz: number;
  align: number;
}

interface Shdr {
  index: number;
  at: number; // file offset of the section header
  name: string;
  nameOffset: number;
  type: number;
  offset: number;
  size: number;
}

interface Elf {
  size: number;
  type: number;
  entry: bigint;
  phoff: number;
  phnum: number;
  shoff: number;
  shnum: number;
  shstrndx: number;
  phdrs: Phdr[];
  sections: Shdr[];
}

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function parseElf(bytes: Uint8Array): Elf {
  const dv = view(bytes);
  const phoff = Number(dv.getBigUint64(32, true));
  const shoff = Number(dv.getBigUint64(40, true));
  const phnum = dv.getUint16(56, true);
  const shnum = dv.getUint16(60, true);
  const shstrndx = dv.getUint16(62, true);
  const phdrs: Phdr[] = [];
  for (let index = 0; index < phnum; index++) {
    const at = phoff + index * 56;
    phdrs.push({
      index,
      at,
      type: dv.getUint32(at, true),
      flags: dv.getUint32(at + 4, true),
      offset: Number(dv.getBigUint64(at + 8, true)),
      vaddr: dv.getBigUint64(at + 16, true),
      filesz: Number(dv.getBigUint64(at + 32, true)),
      memsz: Number(dv.getBigUint64(at + 40, true)),
      align: Number(dv.getBigUint64(at + 48, true)),
    });
  }
  const strtabOffset = Number(dv.getBigUint64(shoff + shstrndx * 64 + 24, true));
  const sections: Shdr[] = [];
  for (let index = 0; index < shnum; index++) {
    const at = shoff + index * 64;
    const nameOffset = dv.getUint32(at, true);
    const start = strtabOffset + nameOffset;
    const name = Buffer.from(bytes.subarray(start, bytes.indexOf(0, start))).toString('latin1');
    sections.push({
      index,
      at,
      name,
      nameOffset,
      type: dv.getUint32(at + 4, true),
      offset: Number(dv.getBigUint64(at + 24, true)),
      size: Number(dv.getBigUint64(at + 32, true)),
    });
  }
  return { size: bytes.length, type: dv.getUint16(16, true), entry: dv.getBigUint64(24, true), phoff, phnum, shoff, shnum, shstrndx, phdrs, sections };
}

function sectionNamed(elf: Elf, name: string): Shdr {
  const section = elf.sections.find((s) => s.name === name);
  assert.ok(section, `the guest has no ${name} section`);
  return section;
}

/** The non-empty PT_LOAD segments, in file order. */
const loads = (elf: Elf): Phdr[] => elf.phdrs.filter((ph) => ph.type === PT_LOAD && ph.memsz > 0);

function loadWithFlags(elf: Elf, flags: number): Phdr {
  const ph = loads(elf).find((p) => p.flags === flags);
  assert.ok(ph, `the guest has no PT_LOAD segment with p_flags ${flags}`);
  return ph;
}

/** "program header 1 (PT_LOAD at file offset 0x78)", as checkLoadSegment names a segment. */
const loadName = (ph: Phdr): string => `program header ${ph.index} (PT_LOAD at file offset ${hex(ph.at)})`;

/** A patched copy of `base`. */
function patched(base: Uint8Array, edit: (dv: DataView, bytes: Uint8Array) => void): Uint8Array {
  const copy = new Uint8Array(base);
  edit(view(copy), copy);
  return copy;
}

/** Where the image ends (page aligned) and how much memory the default layout then needs. */
function neededMemory(elf: Elf, bias = 0n): { imageEnd: number; needed: number } {
  const end = Math.max(...loads(elf).map((ph) => Number(ph.vaddr + bias) + ph.memsz));
  const imageEnd = alignUp(end, PAGE);
  const heap = imageEnd + PAGE + 64 * 1024 + 64 * 1024; // PEB, input, output
  return { imageEnd, needed: heap + 16 * 1024 + PAGE + 64 * 1024 }; // 16 KiB heap, guard, stack
}

// ---------------------------------------------------------------------------------------------
// Assertions

function errorChecker(code: string, expected: string | RegExp): (error: unknown) => true {
  return (error: unknown) => {
    assert.ok(error instanceof MicroVmError, `expected a MicroVmError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (typeof expected === 'string') assert.equal(error.message, expected);
    else assert.match(error.message, expected);
    return true;
  };
}

/**
 * `bytes` is rejected with ELF_INVALID and `expected` by Sandbox.create (without creating a VM: the
 * live count is unchanged, and the same error comes back when the KVM device does not even exist,
 * so the ELF was judged before KVM was opened) and by inspectGuest.
 */
function rejects(bytes: Uint8Array, expected: string | RegExp): void {
  const check = errorChecker('ELF_INVALID', expected);
  const before = liveSandboxCount();
  assert.throws(() => Sandbox.create(bytes), check);
  assert.throws(() => Sandbox.create(bytes, { kvmDevice: '/nonexistent/kvm' } as SandboxOptions), check);
  assert.equal(liveSandboxCount(), before, 'a VM was created for an invalid guest');
  assert.throws(() => inspectGuest(bytes), check);
}

function rejectsOptions(bytes: Uint8Array | string, options: SandboxOptions, expected: string | RegExp): void {
  const before = liveSandboxCount();
  assert.throws(() => Sandbox.create(bytes, options), errorChecker('INVALID_OPTIONS', expected));
  assert.equal(liveSandboxCount(), before, 'a VM was left behind by invalid options');
}

// ---------------------------------------------------------------------------------------------
// The guests

let goodCache: { path: string; bytes: Uint8Array; elf: Elf } | undefined;

/** The types test guest: an ET_EXEC linked at 0x100000 by the SDK. */
function good(): { path: string; bytes: Uint8Array; elf: Elf } {
  if (!goodCache) {
    const elfPath = buildTestGuest('types');
    const bytes = new Uint8Array(fs.readFileSync(elfPath));
    goodCache = { path: elfPath, bytes, elf: parseElf(bytes) };
  }
  return goodCache;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'microvm-elf-validation-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface Variants {
  /** ET_EXEC linked at 0x40000, below the image area. */
  low: Uint8Array;
  /** ET_EXEC linked at 0x400000 (above 1 MiB: allowed). */
  high: Uint8Array;
  /** static-pie ET_DYN linked at 0 with R_X86_64_RELATIVE relocations. */
  pie: Uint8Array;
}

let variantsCache: Variants | undefined;

/** Replaces `pattern` in the SDK linker script, failing clearly when the script has changed. */
function edit(script: string, pattern: string | RegExp, replacement: string): string {
  const next = script.replace(pattern, replacement);
  assert.notEqual(next, script, `microvm.ld changed: cannot find ${String(pattern)} to adapt it`);
  return next;
}

function adaptLinkerScript(sdkScript: string, base: number, pie: boolean): string {
  let script = edit(sdkScript, /^(\s*)\. = 0x100000;/m, `$1. = ${hex(base)};`);
  script = edit(script, /^ASSERT\(_start >= 0x100000.*\n/m, '');
  if (!pie) return script;
  // static-pie: keep the dynamic section, its symbol tables and the RELA table, with a PT_DYNAMIC.
  script = edit(script, /^\s*\*\(\.dynamic \.dynsym \.dynstr \.hash \.gnu\.hash\)\n/m, '');
  script = edit(script, /^(\s*stack\s+PT_GNU_STACK FLAGS\(6\);.*)$/m, '$1\n  dynamic  PT_DYNAMIC FLAGS(6);');
  script = edit(
    script,
    /^(\s*)\.eh_frame_hdr :/m,
    '$1.dynsym : { *(.dynsym) } :rodata\n$1.dynstr : { *(.dynstr) } :rodata\n$1.hash : { *(.hash) } :rodata\n' +
      '$1.gnu.hash : { *(.gnu.hash) } :rodata\n$1.rela.dyn : { *(.rela.*) } :rodata\n$1.eh_frame_hdr :',
  );
  script = edit(script, /^(\s*)\.bss : ALIGN\(16\)/m, '$1.dynamic : { *(.dynamic) } :data :dynamic\n$1.bss : ALIGN(16)');
  return script;
}

/** Builds types.c with the SDK's own flags plus -fpie, then relinks it three ways. */
function variants(): Variants {
  if (variantsCache) return variantsCache;
  const dir = path.join(scratch, 'types-project');
  newGuestProject('c-hello', dir);
  fs.copyFileSync(testGuestSource('types'), path.join(dir, 'types.c'));
  fs.writeFileSync(path.join(dir, 'microvm.json'), JSON.stringify({ name: 'types', language: 'c', sources: ['types.c'], cflags: ['-fpie'] }));
  const link = buildGuest(dir).commands.at(-1)!;
  assert.doesNotMatch(link, /'/, `the link command needs shell unquoting: ${link}`);
  const [cc, ...args] = link.split(' ');
  const sdkScript = path.join(dir, 'microvm-sdk', 'microvm.ld');
  const scriptAt = args.indexOf('-T') + 1;
  const outAt = args.indexOf('-o') + 1;
  assert.equal(args[scriptAt], sdkScript, `the SDK links with -T microvm.ld: ${link}`);
  assert.ok(outAt > 0, `no -o in ${link}`);

  const relink = (name: string, base: number, pie: boolean): Uint8Array => {
    const script = path.join(dir, `${name}.ld`);
    fs.writeFileSync(script, adaptLinkerScript(fs.readFileSync(sdkScript, 'utf8'), base, pie));
    const out = path.join(dir, `${name}.elf`);
    let linkArgs = [...args];
    linkArgs[scriptAt] = script;
    linkArgs[outAt] = out;
    if (pie) linkArgs = ['-static-pie', ...linkArgs.filter((a) => a !== '-static' && a !== '-no-pie')];
    execFileSync(cc, linkArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Uint8Array(fs.readFileSync(out));
  };
  variantsCache = { low: relink('low', 0x40000, false), high: relink('high', 0x400000, false), pie: relink('pie', 0, true) };
  return variantsCache;
}

// ---------------------------------------------------------------------------------------------
// The good guest itself

test('the unpatched types guest passes validation (the baseline every defect below starts from)', () => {
  const { bytes, elf } = good();
  const info = inspectGuest(bytes);
  assert.equal(info.positionIndependent, false);
  assert.equal(info.entry, elf.entry);
  assert.ok(info.functions.some((fn) => fn.name === 'EchoI32'));
  // The shape the patches below rely on: R X, R and R W segments, a function table, section names.
  loadWithFlags(elf, 5);
  loadWithFlags(elf, 4);
  loadWithFlags(elf, 6);
  assert.equal(sectionNamed(elf, '.microvm.functions').size % ENTRY_SIZE, 0);
  assert.ok(sectionNamed(elf, '.microvm.functions').index > 1, 'sections 0 and 1 come before the function table');
});

// ---------------------------------------------------------------------------------------------
// ELF header

describe('ELF header', () => {
  test('an empty file', () => {
    rejects(new Uint8Array(0), 'file is 0 bytes, shorter than the 64-byte ELF64 header');
  });

  test('a file shorter than the 64-byte header', () => {
    rejects(good().bytes.slice(0, 63), 'file is 63 bytes, shorter than the 64-byte ELF64 header');
    rejects(good().bytes.slice(0, 4), 'file is 4 bytes, shorter than the 64-byte ELF64 header');
  });

  test('bad magic, in each of its four bytes', () => {
    for (let i = 0; i < 4; i++) {
      rejects(patched(good().bytes, (_, b) => (b[i] ^= 0x20)), 'e_ident[0..3] at offset 0x0 is not the ELF magic \\x7fELF');
    }
  });

  test('ELFCLASS32 and ELFCLASSNONE', () => {
    rejects(patched(good().bytes, (dv) => dv.setUint8(4, 1)), 'e_ident[EI_CLASS] at offset 0x4 is 1 (ELFCLASS32); guests must be ELFCLASS64 (2)');
    rejects(patched(good().bytes, (dv) => dv.setUint8(4, 0)), 'e_ident[EI_CLASS] at offset 0x4 is 0; guests must be ELFCLASS64 (2)');
  });

  test('big-endian', () => {
    rejects(patched(good().bytes, (dv) => dv.setUint8(5, 2)), 'e_ident[EI_DATA] at offset 0x5 is 2 (big-endian); guests must be little-endian (1)');
  });

  test('bad EI_VERSION', () => {
    rejects(patched(good().bytes, (dv) => dv.setUint8(6, 0)), 'e_ident[EI_VERSION] at offset 0x6 is 0; expected 1');
    rejects(patched(good().bytes, (dv) => dv.setUint8(6, 2)), 'e_ident[EI_VERSION] at offset 0x6 is 2; expected 1');
  });

  test('wrong e_type: ET_REL, ET_CORE, ET_NONE', () => {
    for (const type of [1, 4, 0]) {
      rejects(
        patched(good().bytes, (dv) => dv.setUint16(16, type, true)),
        `e_type at offset 0x10 is ${type}; guests must be ET_EXEC (2) or static-pie ET_DYN (3)`,
      );
    }
  });

  test('wrong e_machine: EM_386 and EM_AARCH64', () => {
    for (const machine of [3, 183]) {
      rejects(patched(good().bytes, (dv) => dv.setUint16(18, machine, true)), `e_machine at offset 0x12 is ${machine}; guests must be EM_X86_64 (62)`);
    }
  });

  test('bad e_version', () => {
    rejects(patched(good().bytes, (dv) => dv.setUint32(20, 0, true)), 'e_version at offset 0x14 is 0; expected 1');
    rejects(patched(good().bytes, (dv) => dv.setUint32(20, 2, true)), 'e_version at offset 0x14 is 2; expected 1');
  });

  test('bad e_ehsize', () => {
    rejects(patched(good().bytes, (dv) => dv.setUint16(52, 52, true)), 'e_ehsize at offset 0x34 is 52; expected 64');
  });

  test('e_phnum 0 and PN_XNUM', () => {
    rejects(patched(good().bytes, (dv) => dv.setUint16(56, 0, true)), 'e_phnum at offset 0x38 is 0: the file has no program headers to load');
    rejects(patched(good().bytes, (dv) => dv.setUint16(56, 0xffff, true)), 'e_phnum at offset 0x38 is PN_XNUM (0xffff): too many program headers');
  });

  test('wrong e_phentsize', () => {
    rejects(patched(good().bytes, (dv) => dv.setUint16(54, 32, true)), 'e_phentsize at offset 0x36 is 32; expected 56');
    rejects(patched(good().bytes, (dv) => dv.setUint16(54, 64, true)), 'e_phentsize at offset 0x36 is 64; expected 56');
  });

  test('program header table past the end of the file', () => {
    const { bytes, elf } = good();
    const phoff = elf.size - elf.phnum * 56 + 1; // the last byte of the table is one past EOF
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(32, BigInt(phoff), true)),
      `program header table (e_phoff=${hex(phoff)}, ${elf.phnum} entries) extends past the end of the file (${elf.size} bytes)`,
    );
    // An offset so large that offset + size would wrap around.
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(32, 0xfffffffffffffff0n, true)),
      `program header table (e_phoff=0xfffffffffffffff0, ${elf.phnum} entries) extends past the end of the file (${elf.size} bytes)`,
    );
    // A file cut inside its program header table.
    const cut = elf.phoff + elf.phnum * 56 - 1;
    rejects(
      bytes.slice(0, cut),
      `program header table (e_phoff=${hex(elf.phoff)}, ${elf.phnum} entries) extends past the end of the file (${cut} bytes)`,
    );
  });

  test('wrong e_shentsize', () => {
    rejects(patched(good().bytes, (dv) => dv.setUint16(58, 40, true)), 'e_shentsize at offset 0x3a is 40; expected 64');
  });

  test('section header table past the end of the file', () => {
    const { bytes, elf } = good();
    assert.equal(elf.shoff + elf.shnum * 64, elf.size, 'the section header table ends the file');
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(40, BigInt(elf.shoff + 1), true)),
      `section header table (e_shoff=${hex(elf.shoff + 1)}, ${elf.shnum} entries) extends past the end of the file (${elf.size} bytes)`,
    );
    rejects(
      bytes.slice(0, elf.size - 1),
      `section header table (e_shoff=${hex(elf.shoff)}, ${elf.shnum} entries) extends past the end of the file (${elf.size - 1} bytes)`,
    );
    rejects(
      patched(bytes, (dv) => dv.setUint16(60, elf.shnum + 1, true)),
      `section header table (e_shoff=${hex(elf.shoff)}, ${elf.shnum + 1} entries) extends past the end of the file (${elf.size} bytes)`,
    );
  });

  test('e_shstrndx out of range', () => {
    const { bytes, elf } = good();
    rejects(
      patched(bytes, (dv) => dv.setUint16(62, elf.shnum, true)),
      `e_shstrndx at offset 0x3e is ${elf.shnum} but there are only ${elf.shnum} sections`,
    );
    rejects(
      patched(bytes, (dv) => dv.setUint16(62, 0xffff, true)), // SHN_XINDEX, which the host does not follow
      `e_shstrndx at offset 0x3e is 65535 but there are only ${elf.shnum} sections`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Section headers

describe('section headers', () => {
  test('section name table past the end of the file', () => {
    const { bytes, elf } = good();
    const strtab = elf.sections[elf.shstrndx];
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(strtab.at + 24, BigInt(elf.size), true)),
      `section name table (section ${elf.shstrndx}, sh_offset=${hex(elf.size)}) extends past the end of the file`,
    );
  });

  test('a section name offset outside the section name table', () => {
    const { bytes, elf } = good();
    const strtab = elf.sections[elf.shstrndx];
    for (const nameOffset of [strtab.size, 0xffffffff]) {
      rejects(
        patched(bytes, (dv) => dv.setUint32(elf.sections[1].at, nameOffset, true)),
        `section 1: sh_name ${hex(nameOffset)} lies outside the section name table (${strtab.size} bytes)`,
      );
    }
  });

  test('a section name that runs off the end of the section name table', () => {
    const { bytes, elf } = good();
    const strtab = elf.sections[elf.shstrndx];
    const last = strtab.size - 1; // the table's final NUL
    rejects(
      patched(bytes, (dv, b) => {
        b[strtab.offset + last] = 0x78; // 'x': no NUL before the end of the table
        dv.setUint32(elf.sections[1].at, last, true);
      }),
      `section 1: its name at sh_name ${hex(last)} is not NUL-terminated`,
    );
  });

  test(
    'a bad sh_name in a section after .microvm.functions is rejected too',
    
    () => {
      const { bytes, elf } = good();
      const strtab = elf.sections[elf.shstrndx];
      const later = sectionNamed(elf, '.microvm.functions').index + 1;
      rejects(
        patched(bytes, (dv) => dv.setUint32(elf.sections[later].at, strtab.size, true)),
        `section ${later}: sh_name ${hex(strtab.size)} lies outside the section name table (${strtab.size} bytes)`,
      );
    },
  );

  test(
    'a SHT_NOBITS section name table outside the file is rejected, not read (host process crash)',
    
    () => {
      // In a child process: today this kills the process with SIGSEGV.
      const { bytes, elf } = good();
      const strtab = elf.sections[elf.shstrndx];
      const file = path.join(scratch, 'nobits-shstrtab.elf');
      fs.writeFileSync(
        file,
        patched(bytes, (dv) => {
          dv.setUint32(strtab.at + 4, SHT_NOBITS, true);
          dv.setBigUint64(strtab.at + 24, 0x40000000n, true); // sh_offset 1 GiB, far outside the file
          dv.setBigUint64(strtab.at + 32, 0x100000n, true);
        }),
      );
      const lib = path.join(__dirname, '..', 'native', 'lib', 'index.js');
      const script = `const { inspectGuest } = require(${JSON.stringify(lib)});
        try { inspectGuest(require('fs').readFileSync(${JSON.stringify(file)})); console.log(JSON.stringify({ accepted: true })); }
        catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
      const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      assert.equal(child.signal, null, `the validator killed the process with ${child.signal}`);
      assert.equal(child.status, 0, child.stderr);
      const result = JSON.parse(child.stdout) as { code?: string; message?: string };
      assert.equal(result.code, 'ELF_INVALID');
      assert.match(result.message ?? '', new RegExp(`section name table \\(section ${elf.shstrndx}\\b`));
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Program headers

describe('program headers', () => {
  test('PT_LOAD with p_filesz > p_memsz', () => {
    const { bytes, elf } = good();
    const ph = loadWithFlags(elf, 4);
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(ph.at + 32, BigInt(ph.memsz + 1), true)),
      `${loadName(ph)}: p_filesz ${hex(ph.memsz + 1)} is larger than p_memsz ${hex(ph.memsz)}`,
    );
  });

  test(
    'PT_LOAD with p_memsz 0 and p_filesz > 0 is rejected too',
    
    () => {
      // Today a p_memsz-0 PT_LOAD with p_filesz 16 MiB is accepted (it loads nothing).
      const { bytes, elf } = good();
      const spare = elf.phdrs.find((ph) => ph.type !== PT_LOAD)!;
      const empty: Phdr = { ...spare, type: PT_LOAD };
      rejects(
        patched(bytes, (dv) => {
          dv.setUint32(spare.at, PT_LOAD, true);
          dv.setUint32(spare.at + 4, 4, true);
          dv.setBigUint64(spare.at + 8, 0n, true);
          dv.setBigUint64(spare.at + 32, 0x1000000n, true);
          dv.setBigUint64(spare.at + 40, 0n, true);
        }),
        `${loadName(empty)}: p_filesz 0x1000000 is larger than p_memsz 0x0`,
      );
    },
  );

  test('PT_LOAD whose file range is past the end of the file', () => {
    const { bytes, elf } = good();
    const ph = loadWithFlags(elf, 4);
    const offset = elf.size - ph.filesz + 1;
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(ph.at + 8, BigInt(offset), true)),
      `${loadName(ph)}: file range p_offset=${hex(offset)} + p_filesz=${hex(ph.filesz)} extends past the end of the file (${elf.size} bytes)`,
    );
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(ph.at + 8, 0xfffffffffffff000n, true)), // offset + size wraps
      `${loadName(ph)}: file range p_offset=0xfffffffffffff000 + p_filesz=${hex(ph.filesz)} extends past the end of the file (${elf.size} bytes)`,
    );
  });

  test('p_vaddr + p_memsz overflows', () => {
    const { bytes, elf } = good();
    const ph = loadWithFlags(elf, 4);
    const vaddr = 0xfffffffffffff000n + (ph.vaddr & 0xfffn);
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(ph.at + 16, vaddr, true)),
      `${loadName(ph)}: p_vaddr ${hex(vaddr)} + p_memsz ${hex(ph.memsz)} overflows`,
    );
  });

  test('p_align not a power of two', () => {
    const { bytes, elf } = good();
    const ph = loadWithFlags(elf, 4);
    for (const align of [0x1800, 3]) {
      rejects(patched(bytes, (dv) => dv.setBigUint64(ph.at + 48, BigInt(align), true)), `${loadName(ph)}: p_align ${hex(align)} is not a power of two`);
    }
  });

  test('p_vaddr and p_offset not congruent modulo p_align', () => {
    const { bytes, elf } = good();
    const ph = loadWithFlags(elf, 4);
    const vaddr = ph.vaddr + 0x800n;
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(ph.at + 16, vaddr, true)),
      `${loadName(ph)}: p_vaddr ${hex(vaddr)} and p_offset ${hex(ph.offset)} are not congruent modulo p_align ${hex(ph.align)}`,
    );
  });

  test('a writable and executable segment', () => {
    const { bytes, elf } = good();
    const text = loadWithFlags(elf, 5);
    rejects(
      patched(bytes, (dv) => dv.setUint32(text.at + 4, 7, true)),
      `${loadName(text)} at ${hex(text.vaddr)} is writable and executable (p_flags=0x7); guest code must stay read-only`,
    );
    const data = loadWithFlags(elf, 6);
    rejects(
      patched(bytes, (dv) => dv.setUint32(data.at + 4, 3, true)), // W X without R
      `${loadName(data)} at ${hex(data.vaddr)} is writable and executable (p_flags=0x3); guest code must stay read-only`,
    );
  });

  test('a writable segment sharing a page with an executable one', () => {
    const { bytes, elf } = good();
    const text = loadWithFlags(elf, 5);
    const next = elf.phdrs[text.index + 1];
    assert.equal(next.type, PT_LOAD);
    const textEnd = Number(text.vaddr) + text.memsz;
    const lastPage = (textEnd - 1) & ~(PAGE - 1);
    const start = alignUp(textEnd, 8);
    assert.equal(start & ~(PAGE - 1), lastPage, 'the text segment does not end on a page boundary');
    assert.equal((start - next.offset) % 8, 0);
    rejects(
      patched(bytes, (dv) => {
        dv.setBigUint64(next.at + 16, BigInt(start), true); // right after the code, in its last page
        dv.setBigUint64(next.at + 48, 8n, true);
        dv.setUint32(next.at + 4, 6, true); // R W
      }),
      `program header ${next.index} and program header ${text.index} share the page at ${hex(lastPage)}, which would be writable and executable`,
    );
  });

  test('two overlapping segments', () => {
    const { bytes, elf } = good();
    const text = loadWithFlags(elf, 5);
    const next = elf.phdrs[text.index + 1];
    const textEnd = text.vaddr + BigInt(text.memsz);
    const start = (textEnd - 1n) & ~0xfffn; // congruent with its page-aligned p_offset, inside the code
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(next.at + 16, start, true)),
      `program header ${next.index} (PT_LOAD) at ${hex(start)} overlaps or precedes the previous segment, which ends at ${hex(textEnd)} (PT_LOAD segments must be sorted and disjoint)`,
    );
  });

  test('segments out of address order are reported as overlapping', () => {
    const { bytes, elf } = good();
    const data = loadWithFlags(elf, 6);
    const text = loadWithFlags(elf, 5);
    const dataEnd = BigInt(Number(data.vaddr) + data.memsz);
    // Move the code above the data: the data segment now follows a segment that ends above it.
    const moved = alignUp(Number(dataEnd), PAGE) + (text.offset % PAGE);
    const entry = elf.entry - text.vaddr + BigInt(moved);
    rejects(
      patched(bytes, (dv) => {
        dv.setBigUint64(text.at + 16, BigInt(moved), true);
        dv.setBigUint64(24, entry, true);
      }),
      new RegExp(`^program header ${text.index + 1} \\(PT_LOAD\\) at 0x[0-9a-f]+ overlaps or precedes the previous segment, which ends at ${hex(moved + text.memsz)} \\(PT_LOAD segments must be sorted and disjoint\\)$`),
    );
  });

  test('a segment linked below 0x100000 (a guest really linked at 0x40000)', () => {
    const low = variants().low;
    const elf = parseElf(low);
    const first = loads(elf)[0];
    assert.equal(first.vaddr, 0x40000n);
    rejects(
      low,
      `program header ${first.index} (PT_LOAD) spans 0x40000-${hex(0x40000 + first.memsz)}, outside the guest image area ` +
        '0x100000-0x10000000; link guests at 0x100000 or above',
    );
  });

  test('a segment ending beyond the image area (256 MiB)', () => {
    const { bytes, elf } = good();
    const data = loadWithFlags(elf, 6);
    // Starts in the last page below 256 MiB and runs a page past it.
    const start = MAX_MEMORY - PAGE + (data.offset % PAGE);
    const memsz = data.memsz + PAGE;
    rejects(
      patched(bytes, (dv) => {
        dv.setBigUint64(data.at + 16, BigInt(start), true);
        dv.setBigUint64(data.at + 40, BigInt(memsz), true);
      }),
      `program header ${data.index} (PT_LOAD) spans ${hex(start)}-${hex(start + memsz)}, outside the guest image area ` +
        '0x100000-0x10000000',
    );
    // Ending exactly at 256 MiB is fine.
    const fits = MAX_MEMORY - data.memsz;
    const aligned = fits - ((fits - data.offset) % PAGE);
    inspectGuest(patched(bytes, (dv) => dv.setBigUint64(data.at + 16, BigInt(aligned), true)));
  });

  test('PT_INTERP present', () => {
    const { bytes, elf } = good();
    const other = elf.phdrs.find((ph) => ph.type !== PT_LOAD)!;
    rejects(
      patched(bytes, (dv) => dv.setUint32(other.at, PT_INTERP, true)),
      `program header ${other.index} is PT_INTERP: the guest asks for a dynamic loader; link it statically`,
    );
  });

  test('PT_TLS present', () => {
    const { bytes, elf } = good();
    const other = elf.phdrs.find((ph) => ph.type !== PT_LOAD)!;
    rejects(
      patched(bytes, (dv) => dv.setUint32(other.at, PT_TLS, true)),
      `program header ${other.index} is PT_TLS: thread-local storage is not supported in guests`,
    );
  });

  test('no non-empty PT_LOAD segment', () => {
    const { bytes, elf } = good();
    rejects(
      patched(bytes, (dv) => {
        for (const ph of loads(elf)) dv.setUint32(ph.at, 0, true); // PT_NULL
      }),
      'the file has no non-empty PT_LOAD segment',
    );
  });

  test('entry point outside the executable segments', () => {
    const { bytes, elf } = good();
    const text = loadWithFlags(elf, 5);
    const rodata = loadWithFlags(elf, 4);
    const textEnd = text.vaddr + BigInt(text.memsz);
    for (const entry of [rodata.vaddr, textEnd, text.vaddr - 1n, 0n]) {
      rejects(
        patched(bytes, (dv) => dv.setBigUint64(24, entry, true)),
        `e_entry at offset 0x18 is ${hex(entry)}, which is not inside an executable PT_LOAD segment`,
      );
    }
    inspectGuest(patched(bytes, (dv) => dv.setBigUint64(24, textEnd - 1n, true))); // the last code byte is fine
  });

  test('an ET_EXEC guest linked at 0x400000 (above 1 MiB) is accepted', () => {
    const high = variants().high;
    const elf = parseElf(high);
    assert.equal(loads(elf)[0].vaddr, 0x400000n);
    const info = inspectGuest(high);
    assert.equal(info.positionIndependent, false);
    assert.equal(info.entry, elf.entry);
    assert.deepEqual(info.functions, inspectGuest(good().bytes).functions);
  });

  test('the 0x400000 guest loads and runs given enough memory', { skip: needsKvm }, () => {
    const high = variants().high;
    const sandbox = Sandbox.create(high, { memorySize: 8 * 1024 * 1024 });
    try {
      assert.equal(sandbox.callSync('EchoI32', 42).value, 42);
      assert.equal(sandbox.layout.imageEnd, BigInt(neededMemory(parseElf(high)).imageEnd));
    } finally {
      sandbox.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The function table (.microvm.functions)

describe('function table', () => {
  const table = () => {
    const section = sectionNamed(good().elf, '.microvm.functions');
    const entry = (i: number) => section.offset + i * ENTRY_SIZE;
    const nameOf = (i: number) => {
      const b = good().bytes;
      return Buffer.from(b.subarray(entry(i) + 24, b.indexOf(0, entry(i) + 24))).toString('latin1');
    };
    return { section, entry, nameOf, count: section.size / ENTRY_SIZE };
  };
  const where = (i: number) => `function table entry ${i} at file offset ${hex(table().entry(i))}`;

  test('section size not a multiple of 96', () => {
    const { section } = table();
    for (const size of [section.size - 1, section.size + 8, 95]) {
      rejects(
        patched(good().bytes, (dv) => dv.setBigUint64(section.at + 32, BigInt(size), true)),
        `section .microvm.functions (file offset ${hex(section.offset)}) is ${size} bytes, not a multiple of the 96-byte entry size`,
      );
    }
  });

  test('section of the wrong type, or past the end of the file', () => {
    const { section } = table();
    rejects(
      patched(good().bytes, (dv) => dv.setUint32(section.at + 4, SHT_NOBITS, true)),
      `section .microvm.functions (file offset ${hex(section.offset)}) has sh_type 8; expected SHT_PROGBITS`,
    );
    const size = good().elf.size;
    rejects(
      patched(good().bytes, (dv) => dv.setBigUint64(section.at + 24, BigInt(size - ENTRY_SIZE + 1), true)),
      `section ${section.index} (.microvm.functions): sh_offset ${hex(size - ENTRY_SIZE + 1)} + sh_size ${hex(section.size)} extends past the end of the file`,
    );
  });

  test('entry with a bad magic', () => {
    const { entry } = table();
    rejects(patched(good().bytes, (dv) => dv.setUint32(entry(2), 0x4e46564e, true)), `${where(2)}: magic is 0x4e46564e, expected 0x4e46564d ("MVFN")`);
    rejects(patched(good().bytes, (dv) => dv.setUint32(entry(0), 0, true)), `${where(0)}: magic is 0x0, expected 0x4e46564d ("MVFN")`);
  });

  test('entry with a bad ABI version', () => {
    const { entry, count } = table();
    for (const version of [0, 2]) {
      rejects(
        patched(good().bytes, (dv) => dv.setUint8(entry(count - 1) + 4, version)),
        `${where(count - 1)}: ABI version is ${version}, this host speaks version 1`,
      );
    }
  });

  test('entry with a bad return type tag', () => {
    const { entry } = table();
    for (const tag of [10, 255]) {
      rejects(patched(good().bytes, (dv) => dv.setUint8(entry(1) + 5, tag)), `${where(1)}: return type tag ${tag} is not a known type`);
    }
  });

  test('a void parameter, and an unknown parameter tag', () => {
    const { entry } = table();
    rejects(
      patched(good().bytes, (dv) => {
        dv.setUint8(entry(0) + 6, 2);
        dv.setUint8(entry(0) + 8, 1);
        dv.setUint8(entry(0) + 9, 0); // void
      }),
      `${where(0)}: parameter 1 has type tag 0, which is not a parameter type`,
    );
    rejects(
      patched(good().bytes, (dv) => {
        dv.setUint8(entry(0) + 6, 1);
        dv.setUint8(entry(0) + 8, 10);
      }),
      `${where(0)}: parameter 0 has type tag 10, which is not a parameter type`,
    );
  });

  test('parameter count 17', () => {
    const { entry } = table();
    rejects(patched(good().bytes, (dv) => dv.setUint8(entry(0) + 6, 17)), `${where(0)}: parameter count 17 exceeds 16`);
  });

  test('name not NUL-terminated within its 64 bytes', () => {
    const { entry } = table();
    rejects(patched(good().bytes, (_, b) => b.fill(0x41, entry(3) + 24, entry(3) + 88)), `${where(3)}: name is not NUL-terminated within its 64 bytes`);
  });

  test('a 63-character name is accepted', () => {
    const { entry } = table();
    const name = `N${'a'.repeat(62)}`;
    const info = inspectGuest(
      patched(good().bytes, (_, b) => {
        b.fill(0, entry(3) + 24, entry(3) + 88);
        b.set(Buffer.from(name), entry(3) + 24);
      }),
    );
    assert.ok(info.functions.some((fn) => fn.name === name));
  });

  test('name not an identifier', () => {
    const { entry } = table();
    for (const name of ['9lives', 'has-dash', 'sp ace', 'a.b', '']) {
      const encoded = Buffer.from(name, 'latin1');
      rejects(
        patched(good().bytes, (_, b) => {
          b.fill(0, entry(4) + 24, entry(4) + 88);
          b.set(encoded, entry(4) + 24);
        }),
        `${where(4)}: name "${name}" is not an identifier [A-Za-z_][A-Za-z0-9_]*`,
      );
    }
  });

  test(
    'a non-identifier name with control or non-UTF-8 bytes is escaped in the message',
    
    () => {
      const { entry } = table();
      for (const raw of [[0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x72, 0x65, 0x64], [0x63, 0x61, 0x66, 0xe9], [0x61, 0x0a, 0x62]]) {
        const bytes = patched(good().bytes, (_, b) => {
          b.fill(0, entry(4) + 24, entry(4) + 88);
          b.set(raw, entry(4) + 24);
        });
        assert.throws(() => inspectGuest(bytes), (error: unknown) => {
          assert.ok(error instanceof MicroVmError);
          assert.equal(error.code, 'ELF_INVALID');
          assert.match(error.message, new RegExp(`^${where(4)}: name ".*" is not an identifier`));
          assert.doesNotMatch(error.message, /[\x00-\x1f\x7f\ufffd]/, 'raw bytes of the guest in the message');
          return true;
        });
      }
    },
  );

  test('duplicate names', () => {
    const { entry, nameOf } = table();
    const first = nameOf(0);
    rejects(
      patched(good().bytes, (_, b) => b.copyWithin(entry(5) + 24, entry(0) + 24, entry(0) + 88)),
      `${where(5)}: duplicate function name "${first}"`,
    );
  });

  test('too many registers: 7 i32, 3 bytes + 1 i32, 9 f64', () => {
    const { entry, nameOf } = table();
    const withParams = (tags: number[]) =>
      patched(good().bytes, (dv, b) => {
        dv.setUint8(entry(0) + 6, tags.length);
        b.fill(0, entry(0) + 8, entry(0) + 24);
        b.set(tags, entry(0) + 8);
      });
    const name = nameOf(0);
    const message = (general: number, vector: number) =>
      `${where(0)} (${name}): its parameters need ${general} general and ${vector} vector registers; at most 6 and 8 are supported`;
    rejects(withParams([1, 1, 1, 1, 1, 1, 1]), message(7, 0));
    rejects(withParams([9, 9, 9, 1]), message(7, 0));
    rejects(withParams([6, 6, 6, 6, 6, 6, 6, 6, 6]), message(0, 9));
    // Exactly 6 general (one bytes = 2) and 8 vector registers is the limit and is accepted.
    const info = inspectGuest(withParams([9, 1, 3, 4, 8, 6, 5, 6, 5, 6, 5, 6, 5]));
    assert.deepEqual(info.functions.find((fn) => fn.name === name)?.paramTypes, [
      'bytes', 'i32', 'i64', 'u64', 'string', 'f64', 'f32', 'f64', 'f32', 'f64', 'f32', 'f64', 'f32',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// File size

describe('file size', () => {
  test('a file over 256 MiB is rejected; exactly 256 MiB is accepted', () => {
    const big = new Uint8Array(MAX_MEMORY + 1);
    big.set(good().bytes);
    rejects(big, `file is ${MAX_MEMORY + 1} bytes; guests may be at most ${MAX_MEMORY} bytes`);
    const info = inspectGuest(big.subarray(0, MAX_MEMORY));
    assert.equal(info.entry, good().elf.entry);
  });
});

// ---------------------------------------------------------------------------------------------
// static-pie

describe('static-pie guests', () => {
  const pie = () => {
    const bytes = variants().pie;
    const elf = parseElf(bytes);
    const dynamic = elf.phdrs.find((ph) => ph.type === PT_DYNAMIC);
    assert.ok(dynamic, 'the static-pie guest has a PT_DYNAMIC');
    const rela = sectionNamed(elf, '.rela.dyn');
    const dyn = (tag: number) => {
      for (let at = dynamic.offset; at < dynamic.offset + dynamic.filesz; at += 16) {
        if (view(bytes).getBigInt64(at, true) === BigInt(tag)) return at;
      }
      assert.fail(`no dynamic entry with tag ${tag}`);
    };
    return { bytes, elf, dynamic, rela, dyn };
  };

  test('a real static-pie build loads at 0x100000 (inspectGuest)', () => {
    const { bytes, elf, rela } = pie();
    assert.equal(elf.type, 3);
    assert.equal(loads(elf)[0].vaddr, 0n);
    assert.ok(rela.size >= 24 * inspectGuest(good().bytes).functions.length, 'each function table entry has a relocation');
    const info = inspectGuest(bytes);
    assert.equal(info.positionIndependent, true);
    assert.equal(info.entry, BigInt(IMAGE_BASE) + elf.entry);
    assert.deepEqual(info.functions, inspectGuest(good().bytes).functions);
  });

  test('a real static-pie build runs: relocations applied, EchoI32 answers', { skip: needsKvm }, () => {
    const { bytes, elf } = pie();
    const before = liveSandboxCount();
    const sandbox = Sandbox.create(bytes);
    try {
      assert.equal(liveSandboxCount(), before + 1);
      assert.equal(sandbox.entry, BigInt(IMAGE_BASE) + elf.entry);
      assert.equal(sandbox.callSync('EchoI32', -7).value, -7);
      assert.equal(sandbox.callSync('EchoI32', 2147483647).value, 2147483647);
      assert.equal(sandbox.callSync('EchoString', 'h\u00e9llo').value, 'h\u00e9llo');
    } finally {
      sandbox.dispose();
    }
    assert.equal(liveSandboxCount(), before);
  });

  test('an R_X86_64_64 (or any non-RELATIVE) relocation is rejected, naming its type', () => {
    const { bytes, rela } = pie();
    for (const [index, type] of [[0, 1], [3, 6], [1, 7]] as const) {
      const at = rela.offset + index * 24;
      rejects(
        patched(bytes, (dv) => dv.setBigUint64(at + 8, BigInt(type), true)),
        `relocation at file offset ${hex(at)} has type ${type}; only R_X86_64_RELATIVE (8) is supported`,
      );
    }
  });

  test('a relocation targeting outside every segment', () => {
    const { bytes, rela } = pie();
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(rela.offset, 0x10000000n, true)),
      `R_X86_64_RELATIVE relocation targets ${hex(IMAGE_BASE + 0x10000000)}, outside every loaded segment`,
    );
  });

  test('dynamic entries a static guest must not have', () => {
    const { bytes, dynamic } = pie();
    const first = dynamic.offset; // the first entry (not DT_RELA/RELASZ/RELAENT here)
    const firstTag = Number(view(bytes).getBigInt64(first, true));
    assert.ok(![DT_RELA, DT_RELASZ, DT_RELAENT].includes(firstTag));
    rejects(
      patched(bytes, (dv) => dv.setBigInt64(first, BigInt(DT_NEEDED), true)),
      `dynamic entry at offset ${hex(first)} is DT_NEEDED: guests must be static, not linked against shared libraries`,
    );
    rejects(
      patched(bytes, (dv) => dv.setBigInt64(first, BigInt(DT_REL), true)),
      `dynamic entry at offset ${hex(first)} is DT_REL: only DT_RELA relocations are supported`,
    );
    rejects(
      patched(bytes, (dv) => {
        dv.setBigInt64(first, BigInt(DT_JMPREL), true);
        dv.setBigUint64(first + 8, 0x1000n, true);
      }),
      `dynamic entry at offset ${hex(first)} declares PLT relocations; guests must be static`,
    );
  });

  test('a bad DT_RELAENT, a DT_RELA outside the file data, a PT_DYNAMIC past the end of the file', () => {
    const { bytes, elf, dynamic, dyn, rela } = pie();
    rejects(patched(bytes, (dv) => dv.setBigUint64(dyn(DT_RELAENT) + 8, 16n, true)), 'DT_RELAENT is 16; expected 24');
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(dyn(DT_RELA) + 8, 0x10000000n, true)),
      `DT_RELA table at 0x10000000 (${rela.size} bytes) is not inside a loaded segment's file data`,
    );
    rejects(
      patched(bytes, (dv) => dv.setBigUint64(dynamic.at + 8, BigInt(elf.size), true)),
      `PT_DYNAMIC segment (p_offset=${hex(elf.size)}) extends past the end of the file`,
    );
  });

  test('PT_INTERP in a PIE is rejected', () => {
    const { bytes, elf } = pie();
    const stack = elf.phdrs.find((ph) => ph.type !== PT_LOAD && ph.type !== PT_DYNAMIC)!;
    rejects(
      patched(bytes, (dv) => dv.setUint32(stack.at, PT_INTERP, true)),
      `program header ${stack.index} is PT_INTERP: the guest asks for a dynamic loader; link it statically`,
    );
  });

  test(
    'a PIE segment whose relocated end wraps past 2^64 is rejected',
    
    () => {
      // Lowest segment at 0, so the bias is +0x100000; a segment at 2^64 - 2 MiB of 1.5 MiB then
      // spans 0xfffffffffff00000 and "ends" at 0x80000 once relocated. Today inspectGuest accepts
      // it (imageEnd 0x80000 < imageStart) and Sandbox.create fails with INTERNAL in loadImage.
      const { bytes, elf } = pie();
      const spare = elf.phdrs.find((ph) => ph.type !== PT_LOAD && ph.type !== PT_DYNAMIC)!;
      const wrapped = patched(bytes, (dv) => {
        dv.setUint32(spare.at, PT_LOAD, true);
        dv.setUint32(spare.at + 4, 4, true); // R
        dv.setBigUint64(spare.at + 8, 0n, true);
        dv.setBigUint64(spare.at + 16, 2n ** 64n - 0x200000n, true);
        dv.setBigUint64(spare.at + 24, 2n ** 64n - 0x200000n, true);
        dv.setBigUint64(spare.at + 32, 0n, true);
        dv.setBigUint64(spare.at + 40, 0x180000n, true);
        dv.setBigUint64(spare.at + 48, 0x1000n, true);
      });
      rejects(wrapped, new RegExp(`^program header ${spare.index} \\(PT_LOAD\\b.*(overflows|outside the guest image area)`));
    },
  );

  test(
    'a relocation whose target wraps past 2^64 is rejected',
    
    () => {
      // r_offset = 2^64 - 4 - bias: the relocated target 0xfffffffffffffffc passes "target + 8 <= end".
      // Today inspectGuest accepts it and Sandbox.create fails with INTERNAL in write64.
      const { bytes, rela } = pie();
      rejects(
        patched(bytes, (dv) => dv.setBigUint64(rela.offset, 2n ** 64n - 4n - BigInt(IMAGE_BASE), true)),
        'R_X86_64_RELATIVE relocation targets 0xfffffffffffffffc, outside every loaded segment',
      );
    },
  );

  test(
    'a DT_RELASZ that wraps the table bounds is rejected',
    
    () => {
      // Once accepted with every relocation silently skipped. The size is made a multiple of 24 so
      // that the bounds check, not the entry-size check, is what refuses it.
      const { bytes, dyn, elf } = pie();
      const relaAddress = view(bytes).getBigUint64(dyn(DT_RELA) + 8, true);
      const holder = loads(elf).find((ph) => relaAddress >= ph.vaddr && relaAddress < ph.vaddr + BigInt(ph.filesz))!;
      const wrap = 2n ** 64n - (relaAddress - holder.vaddr);
      const size = wrap - (wrap % 24n) + 24n;
      rejects(
        patched(bytes, (dv) => dv.setBigUint64(dyn(DT_RELASZ) + 8, size, true)),
        `DT_RELA table at ${hex(relaAddress)} (${size} bytes) is not inside a loaded segment's file data`,
      );
    },
  );

  test(
    'a DT_RELASZ that is not a multiple of 24 is rejected',
    
    () => {
      const { bytes, dyn, rela } = pie();
      rejects(patched(bytes, (dv) => dv.setBigUint64(dyn(DT_RELASZ) + 8, BigInt(rela.size - 12), true)), /DT_RELASZ/);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Options

describe('sandbox options', () => {
  test('non-number, negative and fractional sizes', () => {
    const { bytes } = good();
    rejectsOptions(bytes, { memorySize: -4096 }, 'memorySize must be a positive multiple of 4096 bytes, got -4096');
    rejectsOptions(bytes, { memorySize: 1.5 }, 'memorySize must be a positive multiple of 4096 bytes, got 1.5');
    rejectsOptions(bytes, { memorySize: Number.NaN }, 'memorySize must be a positive multiple of 4096 bytes, got NaN');
    rejectsOptions(bytes, { memorySize: '2M' as unknown as number }, 'memorySize must be a positive multiple of 4096 bytes, got string');
    rejectsOptions(bytes, { stackSize: -1 }, 'stackSize must be a positive multiple of 4096 bytes, got -1');
  });

  test('timeoutMs 0, negative, fractional', () => {
    const { bytes } = good();
    for (const timeoutMs of [0, -1, 1.5, 2 ** 31 + 1]) {
      rejectsOptions(bytes, { timeoutMs }, `timeoutMs must be a positive integer of milliseconds, got ${timeoutMs}`);
    }
  });

  describe('sizes the layout refuses', { skip: needsKvm }, () => {
    test('memorySize not a multiple of 4096, or zero', () => {
      const { bytes } = good();
      rejectsOptions(bytes, { memorySize: 4097 }, 'memorySize must be a positive multiple of 4096 bytes, got 4097');
      rejectsOptions(bytes, { memorySize: 2 * 1024 * 1024 + 1 }, 'memorySize must be a positive multiple of 4096 bytes, got 2097153');
      rejectsOptions(bytes, { memorySize: 0 }, 'memorySize must be a positive multiple of 4096 bytes, got 0');
      rejectsOptions(bytes, { stackSize: 1000 }, 'stackSize must be a positive multiple of 4096 bytes, got 1000');
      rejectsOptions(bytes, { inputBufferSize: 0 }, 'inputBufferSize must be a positive multiple of 4096 bytes, got 0');
      rejectsOptions(bytes, { outputBufferSize: 100 }, 'outputBufferSize must be a positive multiple of 4096 bytes, got 100');
    });

    test('memorySize over 256 MiB', () => {
      const { bytes } = good();
      for (const memorySize of [MAX_MEMORY + PAGE, 512 * 1024 * 1024]) {
        rejectsOptions(bytes, { memorySize }, `memorySize ${memorySize} exceeds the maximum of ${MAX_MEMORY} bytes`);
      }
    });

    test('a memory size too small for the image, to the page', () => {
      const { bytes, elf } = good();
      const { imageEnd, needed } = neededMemory(elf);
      const message = (memorySize: number) =>
        `memorySize ${memorySize} is too small for this guest: the image ends at ${hex(imageEnd)} and buffers, ` +
        `a 16 KiB heap, the guard page and the stack need ${needed} bytes in all`;
      rejectsOptions(bytes, { memorySize: 1024 * 1024 }, message(1024 * 1024));
      rejectsOptions(bytes, { memorySize: needed - PAGE }, message(needed - PAGE));
      const sandbox = Sandbox.create(bytes, { memorySize: needed });
      try {
        assert.equal(sandbox.layout.heapSize, 16 * 1024);
        assert.equal(sandbox.callSync('EchoI32', 5).value, 5);
      } finally {
        sandbox.dispose();
      }
    });

    test('the default 2 MiB is too small for a guest linked at 0x400000', () => {
      const high = variants().high;
      const { imageEnd, needed } = neededMemory(parseElf(high));
      rejectsOptions(
        high,
        {},
        `memorySize 2097152 is too small for this guest: the image ends at ${hex(imageEnd)} and buffers, ` +
          `a 16 KiB heap, the guard page and the stack need ${needed} bytes in all`,
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Guests given by path

describe('guests given by path', () => {
  const badMagic = () => patched(good().bytes, (_, b) => (b[1] = 0x58));

  test('the message is prefixed with the absolute guest path', () => {
    const file = path.join(scratch, 'bad-magic.elf');
    fs.writeFileSync(file, badMagic());
    const expected = `${file}: e_ident[0..3] at offset 0x0 is not the ELF magic \\x7fELF`;
    const relative = path.relative(process.cwd(), file);
    for (const given of [file, relative]) {
      const before = liveSandboxCount();
      assert.throws(() => Sandbox.create(given), errorChecker('ELF_INVALID', expected));
      assert.equal(liveSandboxCount(), before);
      assert.throws(() => inspectGuest(given), errorChecker('ELF_INVALID', expected));
    }
    // Given as bytes, the same defect carries no prefix.
    assert.throws(() => Sandbox.create(badMagic()), errorChecker('ELF_INVALID', 'e_ident[0..3] at offset 0x0 is not the ELF magic \\x7fELF'));
  });

  test('a defect deep in the file carries the prefix too', () => {
    const file = path.join(scratch, 'bad-phnum.elf');
    fs.writeFileSync(file, patched(good().bytes, (dv) => dv.setUint16(56, 0, true)));
    const expected = `${file}: e_phnum at offset 0x38 is 0: the file has no program headers to load`;
    assert.throws(() => Sandbox.create(file), errorChecker('ELF_INVALID', expected));
    assert.throws(() => inspectGuest(file), errorChecker('ELF_INVALID', expected));
  });

  test('a missing or unreadable guest file', () => {
    const missing = path.join(scratch, 'missing.elf');
    const expected = `guest ${missing} cannot be read: ENOENT: no such file or directory, open '${missing}'`;
    assert.throws(() => Sandbox.create(missing), errorChecker('ELF_INVALID', expected));
    assert.throws(() => inspectGuest(missing), errorChecker('ELF_INVALID', expected));
    assert.throws(() => Sandbox.create(scratch), errorChecker('ELF_INVALID', `guest ${scratch} is a directory, not a regular file`));
  });
});
