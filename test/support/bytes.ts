// A little-endian byte assembler for hand-built DWARF and CFI sections in tests.
export class Bytes {
  readonly data: number[] = [];

  get length(): number {
    return this.data.length;
  }

  u8(...values: number[]): this {
    this.data.push(...values.map((v) => v & 0xff));
    return this;
  }

  u16(v: number): this {
    return this.u8(v, v >> 8);
  }

  u24(v: number): this {
    return this.u8(v, v >> 8, v >> 16);
  }

  u32(v: number): this {
    return this.u8(v, v >> 8, v >> 16, v >>> 24);
  }

  /** Two's complement for negative values. */
  u64(v: bigint): this {
    for (let i = 0n; i < 8n; i++) this.u8(Number((BigInt.asUintN(64, v) >> (8n * i)) & 0xffn));
    return this;
  }

  uleb(v: number | bigint): this {
    let x = BigInt(v);
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) byte |= 0x80;
      this.u8(byte);
    } while (x !== 0n);
    return this;
  }

  sleb(v: number | bigint): this {
    let x = BigInt(v);
    for (;;) {
      const byte = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && (byte & 0x40) === 0) || (x === -1n && (byte & 0x40) !== 0);
      this.u8(done ? byte : byte | 0x80);
      if (done) return this;
    }
  }

  /** A NUL-terminated UTF-8 string. */
  str(s: string): this {
    return this.u8(...Buffer.from(s, 'utf8'), 0);
  }

  append(bytes: ArrayLike<number>): this {
    this.data.push(...Array.from(bytes));
    return this;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.data);
  }
}
