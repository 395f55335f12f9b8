// Value formatting: floats digit for digit as glibc's printf %.9g / %.17g / %.21Lg prints them
// (thousands of random IEEE single, double and x87 extended values, compiled and printed by C),
// and gdb's string rules (escapes, trailing NUL, <repeats N times>, the 200-element limit).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { escapeChar, formatCharArray, formatFloat, formatValue, type TypeInfo } from '../debug-adapter/engine/dwarf';
import { missingTools, run, scratch } from './support/oracles';

const dir = scratch('dwarf-format');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** xorshift64*: deterministic pseudo-random 64-bit values. */
function* random(seed: bigint): Generator<bigint> {
  let x = seed;
  for (;;) {
    x ^= x >> 12n;
    x ^= (x << 25n) & 0xffffffffffffffffn;
    x ^= x >> 27n;
    yield (x * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  }
}

function littleEndian(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

test('floats print exactly as C printf (%.9g, %.17g, %.21Lg) for random and edge values', () => {
  assert.deepEqual(missingTools(['gcc']), []);
  const rng = random(0x9e3779b97f4a7c15n);
  const next = (): bigint => rng.next().value as bigint;
  const f32: bigint[] = [0x00000001n, 0x007fffffn, 0x00800000n, 0x3f800000n, 0x3dcccccdn, 0x4b800000n, 0x7f7fffffn, 0x3eaaaaabn, 0x47c35000n];
  const f64: bigint[] = [1n, 0x000fffffffffffffn, 0x0010000000000000n, 0x3fb999999999999an, 0x7fefffffffffffffn, 0x3fd5555555555555n, 0x4341c37937e08000n, 0x3ff0000000000000n];
  const f80: Array<[bigint, number]> = [[0x8000000000000000n, 0x3fff], [0xcccccccccccccccdn, 0x3ffb], [0x0000000000000001n, 0x0000], [0xffffffffffffffffn, 0x7ffe], [0xaaaaaaaaaaaaaaabn, 0x3ffd]];
  while (f32.length < 1500) {
    const bits = next() & 0xffffffffn;
    if (((bits >> 23n) & 0xffn) !== 0xffn) f32.push(bits);
  }
  while (f64.length < 1500) {
    const bits = next();
    if (((bits >> 52n) & 0x7ffn) !== 0x7ffn) f64.push(bits);
  }
  while (f80.length < 1000) {
    const exponent = Number(next() % 0x7fffn) | (Number(next() & 1n) << 15);
    let mantissa = next();
    mantissa = (exponent & 0x7fff) === 0 ? mantissa & 0x7fffffffffffffffn : mantissa | 0x8000000000000000n;
    f80.push([mantissa, exponent]);
  }
  const source = path.join(dir, 'floats.c');
  fs.writeFileSync(
    source,
    [
      '#include <stdio.h>',
      '#include <string.h>',
      `static const unsigned int f32[] = {${f32.map((v) => `0x${v.toString(16)}u`).join(',')}};`,
      `static const unsigned long long f64[] = {${f64.map((v) => `0x${v.toString(16)}ull`).join(',')}};`,
      `static const struct { unsigned long long m; unsigned short e; } f80[] = {${f80.map(([m, e]) => `{0x${m.toString(16)}ull, 0x${e.toString(16)}}`).join(',')}};`,
      'int main(void) {',
      '  for (unsigned i = 0; i < sizeof f32 / sizeof f32[0]; i++) { float f; memcpy(&f, &f32[i], 4); printf("%.9g\\n", (double)f); }',
      '  for (unsigned i = 0; i < sizeof f64 / sizeof f64[0]; i++) { double d; memcpy(&d, &f64[i], 8); printf("%.17g\\n", d); }',
      '  for (unsigned i = 0; i < sizeof f80 / sizeof f80[0]; i++) { long double x = 0; memcpy(&x, &f80[i].m, 8); memcpy((char *)&x + 8, &f80[i].e, 2); printf("%.21Lg\\n", x); }',
      '  return 0;',
      '}',
    ].join('\n'),
  );
  const exe = path.join(dir, 'floats');
  run('gcc', ['-O0', source, '-o', exe]);
  const expected = run(exe, []).trimEnd().split('\n');
  const actual = [
    ...f32.map((v) => formatFloat(littleEndian(v, 4), 4)),
    ...f64.map((v) => formatFloat(littleEndian(v, 8), 8)),
    ...f80.map(([m, e]) => formatFloat(littleEndian(m | (BigInt(e) << 64n), 16), 16)),
  ];
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) assert.equal(actual[i], expected[i], `value ${i}`);
});

test('infinities and NaNs are spelled as gdb spells them', () => {
  assert.equal(formatFloat(littleEndian(0x7f800000n, 4), 4), 'inf');
  assert.equal(formatFloat(littleEndian(0xff800000n, 4), 4), '-inf');
  assert.equal(formatFloat(littleEndian(0x7ff8000000000000n, 8), 8), 'nan(0x8000000000000)');
  assert.equal(formatFloat(littleEndian(0xffc00123n, 4), 4), '-nan(0x400123)');
  assert.equal(formatFloat(littleEndian(0x8000000000000000n, 8), 8), '-0');
});

test("gdb's string rules: escapes, trailing NUL, repeats, element limit", () => {
  const bytes = (text: string): Uint8Array => Uint8Array.from([...text].map((c) => c.charCodeAt(0)));
  assert.equal(formatCharArray(bytes('abc\0'), 4), '"abc"');
  assert.equal(formatCharArray(bytes('abc\0\0'), 5), '"abc\\000"');
  assert.equal(formatCharArray(bytes('abcd'), 4), '"abcd"');
  assert.equal(formatCharArray(bytes('\0'), 1), '""');
  assert.equal(formatCharArray(new Uint8Array(12), 12), "'\\000' <repeats 11 times>");
  assert.equal(formatCharArray(bytes(`${'x'.repeat(11)}yz\0`), 14), `'x' <repeats 11 times>, "yz"`);
  assert.equal(formatCharArray(bytes(`ab${'x'.repeat(10)}\0`), 13), `"ab${'x'.repeat(10)}"`);
  assert.equal(formatCharArray(bytes('a"b\\c\n\t\x07\x1b\x7f\xff\0'), 11), '"a\\"b\\\\c\\n\\t\\a\\033\\177\\377"');
  assert.equal(formatCharArray(bytes('x'.repeat(250)), 250), "'x' <repeats 250 times>");
  assert.equal(formatCharArray(bytes('ab'.repeat(150)), 300), `"${'ab'.repeat(100)}"...`);
  assert.equal(escapeChar(39, "'"), "\\'");
  assert.equal(escapeChar(39, '"'), "'");
});

test('scalars of every base encoding', () => {
  const base = (name: string, encoding: number, byteSize: number): TypeInfo => ({ kind: 'base', name, encoding, byteSize });
  const show = (type: TypeInfo, value: bigint, size: number): string =>
    formatValue(type, { bytes: littleEndian(value, size), known: new Uint8Array(size).fill(0xff) }, { readMemory: () => undefined });
  assert.equal(show(base('int', 5, 4), 0xffffffffn, 4), '-1');
  assert.equal(show(base('unsigned int', 7, 4), 0xffffffffn, 4), '4294967295');
  assert.equal(show(base('char', 6, 1), 0x41n, 1), "65 'A'");
  assert.equal(show(base('char', 6, 1), 0xffn, 1), "-1 '\\377'");
  assert.equal(show(base('unsigned char', 8, 1), 0xffn, 1), "255 '\\377'");
  assert.equal(show(base('_Bool', 2, 1), 1n, 1), 'true');
  assert.equal(show(base('_Bool', 2, 1), 2n, 1), '2');
  assert.equal(show(base('__int128', 5, 16), (1n << 128n) - 5n, 16), '-5');
  const unknown = formatValue(base('int', 5, 4), { bytes: new Uint8Array(4), known: Uint8Array.from([255, 255, 0, 255]) }, { readMemory: () => undefined });
  assert.equal(unknown, '<optimized out>');
});
