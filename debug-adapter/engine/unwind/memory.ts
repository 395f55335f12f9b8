// How the unwinder reads target memory: a live VM, a core file, an ELF image or a test harness all
// provide `read`. An unreadable range gives undefined (never throws), and unwinding stops there.
import { ElfFile, elfConstants } from '../../../native/lib/elf';

export interface Memory {
  /** `len` bytes at `addr`, or undefined when any of them is not readable. */
  read(addr: bigint, len: number): Uint8Array | undefined;
}

/** A little-endian u64 at `addr`, or undefined. */
export function readU64(memory: Memory, addr: bigint): bigint | undefined {
  const bytes = memory.read(addr, 8);
  if (!bytes || bytes.length < 8) return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}

/** An unsigned little-endian value of 1–8 bytes at `addr`, or undefined. */
export function readUnsigned(memory: Memory, addr: bigint, size: number): bigint | undefined {
  const bytes = memory.read(addr, size);
  if (!bytes || bytes.length < size) return undefined;
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

interface Block {
  readonly start: bigint;
  readonly bytes: Uint8Array;
}

/** Memory made of byte blocks at fixed addresses (a stack dump in a test, registers' neighbourhood…). */
export class BlockMemory implements Memory {
  private readonly blocks: Block[] = [];

  add(start: bigint, bytes: Uint8Array): this {
    this.blocks.push({ start, bytes });
    return this;
  }

  read(addr: bigint, len: number): Uint8Array | undefined {
    for (const block of this.blocks) {
      if (addr < block.start) continue;
      const from = addr - block.start;
      if (from + BigInt(len) > BigInt(block.bytes.length)) continue;
      return block.bytes.subarray(Number(from), Number(from) + len);
    }
    return undefined;
  }
}

/**
 * The file-backed bytes of an ELF's PT_LOAD segments at their load addresses (vaddr + bias): the
 * memory of a core file (whose PT_LOADs are the dumped regions) or the read-only image of a module.
 * Zero-filled tails (p_memsz beyond p_filesz) read as zeros.
 */
export class ElfSegmentMemory implements Memory {
  private readonly loads;

  constructor(private readonly elf: ElfFile, private readonly bias: bigint = 0n) {
    this.loads = elf.programHeaders.filter((ph) => ph.type === elfConstants.PT_LOAD && ph.memsz !== 0n);
  }

  read(addr: bigint, len: number): Uint8Array | undefined {
    const size = BigInt(len);
    for (const ph of this.loads) {
      const start = ph.vaddr + this.bias;
      if (addr < start || addr + size > start + ph.memsz) continue;
      const delta = addr - start;
      if (delta + size <= ph.filesz) {
        const offset = Number(ph.offset + delta);
        return this.elf.bytes.subarray(offset, offset + len);
      }
      const out = new Uint8Array(len);
      if (delta < ph.filesz) {
        const offset = Number(ph.offset + delta);
        out.set(this.elf.bytes.subarray(offset, offset + Number(ph.filesz - delta)));
      }
      return out;
    }
    return undefined;
  }
}

/** Tries each memory in order: e.g. a core's dumped regions, then the executable's image. */
export class LayeredMemory implements Memory {
  constructor(private readonly layers: readonly Memory[]) {}

  read(addr: bigint, len: number): Uint8Array | undefined {
    for (const layer of this.layers) {
      const bytes = layer.read(addr, len);
      if (bytes) return bytes;
    }
    return undefined;
  }
}
