// Virtual address → file offset translation through the PT_LOAD segments.
import { compareAddresses } from '../address-ranges';
import * as C from './constants';
import { ProgramHeader } from './program-headers';

export interface FileLocation {
  readonly segment: ProgramHeader;
  /** File offset of the address. */
  readonly offset: bigint;
  /** Bytes of file data from `offset` to the end of the segment's p_filesz. */
  readonly available: bigint;
}

export class AddressMap {
  private readonly loads: readonly ProgramHeader[];

  constructor(programHeaders: readonly ProgramHeader[]) {
    this.loads = programHeaders.filter((ph) => ph.type === C.PT_LOAD).sort((a, b) => compareAddresses(a.vaddr, b.vaddr));
  }

  /** The PT_LOAD whose memory image (p_vaddr .. p_vaddr + p_memsz) contains `address`. */
  segmentAt(address: bigint): ProgramHeader | undefined {
    return this.loads.find((ph) => address >= ph.vaddr && address - ph.vaddr < ph.memsz);
  }

  /**
   * Where `address` is stored in the file, or undefined when no PT_LOAD maps it or it falls in the
   * zero-filled tail (p_memsz beyond p_filesz, e.g. .bss), which has no file bytes.
   */
  locate(address: bigint): FileLocation | undefined {
    const segment = this.loads.find((ph) => address >= ph.vaddr && address - ph.vaddr < ph.filesz);
    if (!segment) return undefined;
    const delta = address - segment.vaddr;
    return { segment, offset: segment.offset + delta, available: segment.filesz - delta };
  }

  toOffset(address: bigint): bigint | undefined {
    return this.locate(address)?.offset;
  }
}
