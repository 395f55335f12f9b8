// Values and expressions against gdb: the Linux builds of the DWARF test program run under gdb to
// a few breakpoints; at each stop gdb prints a list of expressions (`print <expr>`: variables,
// members, subscripts, pointers, casts, arithmetic, comparisons, sizeof, registers, strings, and
// errors) and writes a core (gcore). The evaluator then evaluates the same expressions on the
// core (registers from NT_PRSTATUS/NT_FPREGSET, memory from its segments, load bias from
// AT_ENTRY) and must print the same text or fail with the same message. Children (members,
// elements, pointees) are checked against gdb's `print` of each child's expression on the core.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readCoreStatus } from '../native/lib/coredump';
import { ElfFile } from '../native/lib/elf';
import { DebugInfo } from '../debug-adapter/engine/dwarf';
import { coreLoadBias, physicalFrames } from '../debug-adapter/engine/postmortem';
import { ElfSegmentMemory, LayeredMemory } from '../debug-adapter/engine/unwind';
import { evaluate, EvaluationError, frameScope, machineRegisterReader, type EvaluationScope, type Value } from '../debug-adapter/engine/values';
import { buildFixture, CORE_BUILDS, type FixtureBuild } from './fixtures/dwarf/builds';
import { gdbScriptAsync, requireTools, scratch } from './support/oracles';

requireTools(['gcc', 'clang', 'gdb']);

// gdb's side: `run` to each breakpoint in turn (execution order), print every expression, gcore.
// With VALUES_CORE set, prints the expressions of the single plan entry on that core instead.
const DRIVER = String.raw`
import gdb, json, os, re
gdb.execute("set pagination off")
gdb.execute("set width 0")
gdb.execute("set confirm off")
plan = json.load(open(os.environ["VALUES_PLAN"]))
def prints(expressions):
    out = {}
    for e in expressions:
        try:
            text = gdb.execute("print " + e, to_string=True)
            m = re.search(r"^\$\d+ = (.*?)\n?\Z", text, re.S | re.M)
            out[e] = {"text": m.group(1) if m else text}
        except gdb.error as err:
            out[e] = {"error": str(err)}
    return out
results = []
if os.environ.get("VALUES_CORE"):
    results.append({"prints": prints(plan[0]["expressions"])})
else:
    for i, entry in enumerate(plan):
        gdb.execute("tbreak " + entry["breakpoint"])
        try:
            gdb.execute("run" if i == 0 else "continue", to_string=True)
        except gdb.error:
            break
        if not gdb.selected_inferior().pid:
            break
        core = os.path.join(os.environ["VALUES_DIR"], "stop%d.core" % i)
        p = prints(entry["expressions"])
        gdb.execute("gcore " + core, to_string=True)
        results.append({"breakpoint": entry["breakpoint"], "core": core, "prints": p})
json.dump(results, open(os.environ["VALUES_OUT"], "w"))
`;

interface Printed {
  readonly text?: string;
  readonly error?: string;
}

interface PlanEntry {
  readonly breakpoint: string;
  readonly expressions: readonly string[];
}

async function runGdb(dir: string, program: string, plan: readonly PlanEntry[], core?: string): Promise<Array<{ breakpoint?: string; core?: string; prints: Record<string, Printed> }>> {
  const driver = path.join(dir, 'values-driver.py');
  const planFile = path.join(dir, `plan-${process.hrtime.bigint()}.json`);
  const out = `${planFile}.out`;
  fs.writeFileSync(driver, DRIVER);
  fs.writeFileSync(planFile, JSON.stringify(plan));
  const result = await gdbScriptAsync(driver, [program, ...(core ? [core] : [])], {
    env: { VALUES_PLAN: planFile, VALUES_OUT: out, VALUES_DIR: dir, VALUES_CORE: core ?? '' },
  });
  if (!fs.existsSync(out)) throw new Error(`gdb wrote no results (status ${result.status}):\n${result.output}`);
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

/** The scope of the innermost frame of a core, read-only. */
function coreScope(program: ElfFile, corePath: string): EvaluationScope {
  const core = ElfFile.fromFile(corePath);
  const status = readCoreStatus(core);
  const loadBias = coreLoadBias(program, core);
  const info = new DebugInfo(program, { loadBias });
  const memory = new LayeredMemory([new ElfSegmentMemory(core), new ElfSegmentMemory(program, loadBias)]);
  const [frame, caller] = physicalFrames(info, status.registers, memory, 2);
  return frameScope(info, frame, memory, 0, { caller, machineRegisters: machineRegisterReader(status.registers), readOnlyReason: 'the core file is read-only' });
}

function ours(expression: string, scope: EvaluationScope): Printed {
  try {
    return { text: evaluate(expression, scope).text };
  } catch (error) {
    if (error instanceof EvaluationError) return { error: error.message };
    throw error;
  }
}

/** Expressions whose syntax gdb rejects with its own wording ("A syntax error in expression, near ..."). */
const SYNTAX_ERRORS = new Set(['1 +', '(1', 'score +* ', 'numbers[1', 's->']);

// Globals, registers, literals and operators: printed at the first stop only.
const GLOBAL_EXPRESSIONS = [
  // registers
  '$rip', '$pc', '$sp', '$rsp', '$rbp', '$rsp + 8', '$pc + 4', '$rax', '$eax', '$ax', '$al', '$r8d', '$r15w', '$sil', '$ah', '$eflags',
  '$eflags & 0x200', '$cs', '$ss', '$fs_base', '$xmm0', '$xmm1', '$xmm0.v4_float[1]', '$xmm1.v2_int64', '$xmm1.uint128', 'sizeof($xmm0)', '$mxcsr', '$st0',
  '$foo', '*(long *)$sp', '$rsp - $rbp', '(char *)$rsp - (char *)$rbp', '$sp[0]', '*$sp', '*$pc',
  // literals and arithmetic
  '42', '10/3', '-5 % 3', '10 / 0', 'global_counter % 0', '10.0 / 0', '-1.0 / 0', '0.0 / 0', '1.0 / 3', '1.5f', '2.5f * 2', '3.0f / 7', '1e3', '.5', '1.', '0x10',
  '017', '08', '0x', '1ul', '1LL', '4294967295', '2147483648', '0x80000000', '10000000000000000000', '0xffffffffffffffff', '99999999999999999999',
  '-1U', '1 - 2U', '-1 >> 1', '-1U >> 1', '1 << 31', '1 << 40', '2147483647 + 1', '5 / -2', '(unsigned long)-1 / 2', "'a'", "'\\n'", "'\\x41'",
  "'\\101'", "'ab'", "'a' + 1", "'a' == 97", '"abc"', 'sizeof("abc")', '"abc"[1]', '"a\\tb"', '1, 2', '1 ? 2 : 3.0', '!5', '~5', '~1.5', '1.5 % 2',
  '-(unsigned char)5', '5 > 3 && 2', '0 || 0', '3 >= 3', '2 != 2', '1 > 0.5', '(3 + 4) * 2 - 1', '7 & 3 | 8 ^ 1', '1e308 * 10', '1 << 2L', '1L << 40',
  '-8 >> 1U', '1 << -1', '1.5 << 1',
  // long double arithmetic is x87's, to the last of its 21 digits
  'ldoubles[0] * 2', '(long double)1/3', 'ldoubles[3] + 1', '-ldoubles[0]', 'ldoubles[2] / 7', 'ldoubles[0] < 0.1', 'ldoubles[1] * 10', '(double)ldoubles[0]',
  '(long)ldoubles[2]', 'ldoubles[0] == 0.1L', '0.1L', '1.5L * 3', 'ldoubles[1] / 0', '-ldoubles[1] > 0', 'ldoubles[3] * 3 == 1', '(float)ldoubles[3]',
  // infinities, NaNs (payloads kept) and gdb's negation as 0 - x
  'specials[2] + 1', '-specials[2]', 'fspecials[1] * 2', '(float)specials[2]', '(double)fspecials[1]', 'specials[0] - specials[0]', 'specials[2] == specials[2]',
  '(int)specials[2]', '(long)specials[0]', '-0.0', '-floats[1]', '+floats[1]', '-fspecials[1]', '-(long double)0', '-specials[0]',
  // gdb's artificial arrays
  '*numbers@3', 'numbers[1]@2+1', '*numbers@0', '1@2', 'global_shapes[0].corners[0]@2', 'greeting[7]@5',
  // casts
  '(char)65', '(unsigned char)300', '(unsigned char)-1', '(signed char)200', '(short)70000', '(_Bool)2', '(_Bool)0.5', '(int)3.99', '(int)-3.99',
  '(unsigned)-1', '(long)1e20', '(float)1/3', '(double)1/3', '(size_type)-1', '(binary_op)0', '(enum color)6', '(enum permissions)3',
  '(enum permissions)8', '(struct point *)&nested_value', '*(struct point *)&nested_value', '(const char *)greeting', '(struct point)1',
  '(struct nosuch *)0', '(foo)1', '(unsigned char *)byte_pointer', '(int (*)(int, int))single_function', '(int (*)[12])numbers', '(char)s',
  // sizeof
  'sizeof(int)', 'sizeof(struct shape)', 'sizeof(shape_t)', 'sizeof(long double)', 'sizeof(char *)', 'sizeof(shape_t *)', 'sizeof greeting',
  'sizeof(greeting)', 'sizeof(*null_pointer)', 'sizeof(struct nosuch)', 'sizeof nested_value.arr', 'sizeof(int [3][4])', 'sizeof(union number)',
  // globals
  'global_counter', 'scale', 'sink', '&sink', 'answer', '&answer', 'volatile_value', 'greeting', '*greeting', 'greeting[4]', 'global_shapes',
  'global_shapes[1].name', '&global_shapes[1]', 'global_shapes[1].next->name', 'global_shapes[0].next', '*global_shapes[1].next', 'shape_pointer',
  'shape_pointer - &global_shapes[0]', '(long)&global_shapes[1] - (long)&global_shapes[0]', 'shape_pointer->corners[2]', 'shape_pointer->weight',
  'shape_pointer->weight.bytes[2]', 'shape_pointer->flags', 'shape_pointer->flags.level', 'shape_pointer->big', 'shape_pointer->area * 2',
  'numbers', 'numbers + 1', '*numbers', '&numbers', '&numbers[1]', 'numbers[11]', 'numbers[100]', 'grid', 'grid[1]', 'grid[1][2]', '*grid[1]',
  'matrix', 'matrix[1]', 'eleven_a', 'text_escapes', 'blob', 'negative_chars', 'repeated', 'long_text', 'not_terminated', 'shorts', 'shorts[0] * shorts[2]',
  'ushorts', 'ulls', 'ulls[0] + 1', 'lls[0] - 1', 'longs[0] / 0', 'ulongs[0] - 5', 'floats', 'floats[0] * 3', 'floats[0] + 1', 'doubles', 'doubles[0] * 3',
  'ldoubles', 'ldoubles[0]', 'specials', 'fspecials', 'bools', 'bools[1]', '!bools[1]', 'bools[0] + 1', 'colors', 'colors[1]', 'colors[4]', 'colors[1] + 1',
  'colors[3] - 10', 'perms', 'perms[3]', 'perms[0] - 2', 'RED', 'BLUE + 1', 'NEGATIVE', 'RED == 0', 'PERM_WRITE | PERM_EXEC', 'flag_values', 'flag_values[0]',
  'flag_values[0].mode', 'flag_values[0].level', 'flag_values[1].level + 1', '&flag_values[0].mode', 'nested_value', 'nested_value.p', 'nested_value.c',
  'nested_value.as_float', 'nested_value.inner', 'nested_value.inner.b', 'nested_value.arr[1]', 'nested_value.label', 'nested_value.label[6]', 'nested_value.op',
  'nested_value.vp', 'nested_value.self->self->p.y', 'nested_value.fl', 'nested_value.col', 'nested_value.zz', 'string_pointers', 'string_pointers[1]',
  'string_pointers[2]', '*string_pointers[2]', 'const_string', 'mutable_string', 'mutable_string + 5', '*mutable_string',
  'byte_pointer', 'int_pointer', 'int_pointer[1]', '*int_pointer + 1', 'int_pointer == &numbers[3]', 'int_pointer < &numbers[1]', 'int_pointer - numbers',
  'null_pointer', '*null_pointer', 'null_pointer->x', '&*null_pointer', '&null_pointer[2]', 'null_pointer == 0', '!null_pointer', 'function_table',
  'function_table[1]', '*function_table[1]', 'single_function', 'void_pointer', 'code_pointer', 'plus', '&plus', '*plus', 'plus + 1', 'main', 'factorial',
  'apply', 'typedef_shape', 'typedef_shape.name', 'typedef_shape.corners[1].y', 'foo', '1 +', '(1', 'numbers[1', 's->', '&1', '&global_counter + 1',
  'void_pointer + 1', '*void_pointer', 'void_pointer[0]',
  // casts through typedefs, tags and function pointers; pointers compared with arrays and functions
  '(shape_t *)shape_pointer', '*(shape_t *)shape_pointer', '((shape_t *)shape_pointer)->name', '(union number *)&nested_value.n', '*(enum color *)colors',
  'sizeof(size_type)', '(const char *)0', '(char)0', 'greeting == string_pointers[0]', '&string_pointers[1]', '*&string_pointers[1]', 'function_table[0] == plus',
  'main == &main', '&main', '*main', 'sizeof(main)', 'sizeof main', '(long)plus', 'grid[0] + 1', '&grid[1]', '*&grid', 'matrix[0][1]', 'text_escapes + 3',
  'negative_chars[1] * 2', 'ushorts[0] + ushorts[1]', 'ushorts[0] * ushorts[0]', 'ulongs[0] * -1', "'\\0'", '"abc"[0] == \'a\'', 'sizeof(struct flags)',
  'sizeof(enum color)', '((struct flags *)&flag_values[1])->level', 'flag_values[0].level * 2', '-flag_values[0].mode', 'flag_values[0].tag + 1',
  'nested_value.self == &nested_value', 'nested_value.label + 6', '*nested_value.label@5', 'nested_value.op == plus', 'nested_value.arr[1][2] * nested_value.p.y',
  // register views and arithmetic on them
  '$xmm1.v16_int8[0]', '$xmm1.v2_double[1] * 2', '$xmm1.v8_half[3]', '$xmm1.v8_bfloat16', '$xmm1.v4_int32[1] + 1', '$st0 + 1', '$eflags | 1', '$cs + 1',
  '$fs_base != 0', '$sp + 8 == $rsp + 8', '&$rax', '$rip - $pc', '*(int *)$sp', '(char)$rax', '$ax + $al',
];

// The locals of each stop (and a few expressions on them), in execution order.
const PLAN: readonly PlanEntry[] = [
  {
    breakpoint: 'shapes.c:66',
    expressions: [
      's', '*s', 's->name', 's->corners[1]', '&s->corners[1]', 's->flags', 's->flags.level', 's->next', '*s->next', 's->next->name[0]', 'score',
      'corners_sum', '&corners_sum', 'corners_sum.x + corners_sum.y', 'sizeof(corners_sum)', 'sizeof corners_sum', 'score.x', 'score[1]', '*score',
      '&score', 'score * 2 + 1', 's + 1', 's - 1', 's < s->next', 's == s', 's + s', 's * 2', '-s', '!s', 's && 1', 's->visible', 's->visible + 1',
      's->color == BLUE', '(int)s->color', 's->corners', '*s->corners', 's->corners + 1', '&s->corners', '&s->name', '&s->name[1]', 's->name + 1',
      '*&s', '**&s', '&*s', 's[0]', 's[1].name', 's->zz', 'score +* ', '1 ? s : 0', 's->weight.f * 2',
      ...GLOBAL_EXPRESSIONS,
    ],
  },
  {
    breakpoint: 'numeric.c:56',
    expressions: ['values', 'values[2] + values[3]', '&values[4] - &values[1]', 'p', '&p', 'p.x', 'p.y * -1', 'seed', 'seed % 6 + 1', 'total', 'total > 100', '(char)values[0]', 'values + 2', '*(values + 2)'],
  },
  {
    breakpoint: 'strings.c:30',
    expressions: ['buffer', 's', '*s', 's[1]', 's + 2', 'n', 'vowels', 'buffer[0]', '&buffer[3]', 'sizeof buffer', 'buffer + 1', '(long)n * 3', 'n == 8 && vowels > 0', 'i'],
  },
  {
    breakpoint: 'shapes.c:51',
    expressions: ['n', 'n.bytes', 'n.f', 'n.i', 'f', 'f * 2', 'n.bytes[3]', '&n', '&f', 'sizeof n'],
  },
];

/** Roots whose children (and grandchildren) are compared with gdb's print of each child's expression. */
const CHILD_ROOTS = ['s', '*s', 'corners_sum', 'global_shapes', 'nested_value', 'grid', 'string_pointers', 'const_string', 'flag_values', 'numbers', '$xmm1', 'function_table', 'null_pointer', 'void_pointer'];

function walkChildren(value: Value, depth: number, out: Array<{ name: string; expression: string | undefined; text: string }>): void {
  const count = value.childCount;
  const children = value.children(0, count);
  assert.equal(children.length, count, `${value.expression}: childCount matches the children`);
  for (const child of children) {
    out.push({ name: child.name, expression: child.value.expression, text: child.value.text });
    if (depth > 1) walkChildren(child.value, depth - 1, out);
  }
}

interface Outcome {
  compared: number;
  mismatches: string[];
}

async function compareBuild(build: FixtureBuild): Promise<Outcome> {
  const elfPath = buildFixture(build);
  const dir = scratch('values');
  const program = ElfFile.fromFile(elfPath);
  const stops = await runGdb(dir, elfPath, PLAN);
  assert.ok(stops.length >= 3, `${build.name}: gdb stopped ${stops.length} times`);
  const mismatches: string[] = [];
  let compared = 0;
  for (const stop of stops) {
    const scope = coreScope(program, stop.core!);
    for (const [expression, printed] of Object.entries(stop.prints)) {
      // On an AVX machine gdb names DWARF's xmm registers by their ymm pseudo registers.
      const expected = printed.error ? { error: printed.error.replace(/\$ymm(\d+)/g, '$$xmm$1') } : printed;
      const actual = ours(expression, scope);
      compared++;
      const same =
        expected.text !== undefined
          ? actual.text === expected.text
          : actual.error !== undefined && (SYNTAX_ERRORS.has(expression) || expected.error?.startsWith('A syntax error') || actual.error === expected.error);
      if (!same) mismatches.push(`${build.name} ${stop.breakpoint}: print ${expression}\n    gdb:  ${JSON.stringify(expected)}\n    ours: ${JSON.stringify(actual)}`);
    }
  }
  // Children at the first stop: every child's text equals gdb's print of the child's expression.
  const first = stops[0];
  const scope = coreScope(program, first.core!);
  const children: Array<{ name: string; expression: string | undefined; text: string }> = [];
  for (const root of CHILD_ROOTS) walkChildren(evaluate(root, scope), 2, children);
  const withExpressions = children.filter((c): c is { name: string; expression: string; text: string } => c.expression !== undefined);
  const [gdbChildren] = await runGdb(dir, elfPath, [{ breakpoint: '', expressions: withExpressions.map((c) => c.expression) }], first.core);
  for (const child of withExpressions) {
    const expected = gdbChildren.prints[child.expression];
    compared++;
    const gdbText = expected.text ?? `<error: ${expected.error}>`;
    if (gdbText !== child.text) mismatches.push(`${build.name}: child ${child.name} (${child.expression})\n    gdb:  ${gdbText}\n    ours: ${child.text}`);
  }
  return { compared, mismatches };
}

// The builds run side by side: most of the time is gdb's.
describe('expressions print what gdb prints, on the same state', { concurrency: true }, () => {
  for (const build of CORE_BUILDS.filter((b) => b.kind === 'linux')) {
    test(build.name, async (t) => {
      const { compared, mismatches } = await compareBuild(build);
      t.diagnostic(`${compared} expressions and children compared`);
      assert.ok(compared > 300, `compared ${compared}`);
      assert.deepEqual(mismatches, [], `${mismatches.length} mismatches:\n${mismatches.join('\n')}`);
    });
  }
});
