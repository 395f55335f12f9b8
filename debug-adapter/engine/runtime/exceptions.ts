// Guest exceptions as a debugger shows them: which filter an exception belongs to (the user picks
// which ones stop), and the exception in words with the source line it happened on.
import type { MicroVmError } from '../../../native/lib/errors';
import type { GuestFault } from '../../../native/lib/types';
import { hex } from '../../../native/lib/hex';

export interface ExceptionFilter {
  readonly id: string;
  readonly label: string;
  readonly description: string;
}

/** Every filter is on by default: a guest exception ends the call, so seeing it is the point. */
export const EXCEPTION_FILTERS: readonly ExceptionFilter[] = [
  { id: 'page-fault', label: 'Page faults and null dereferences', description: 'A read, write or fetch of memory the guest may not touch (#PF)' },
  { id: 'general-protection', label: 'General protection faults', description: 'A #GP, e.g. a privileged instruction in ring 3' },
  { id: 'invalid-opcode', label: 'Invalid opcodes', description: 'An instruction the CPU does not know (#UD), e.g. __builtin_trap()' },
  { id: 'divide-error', label: 'Divide errors', description: 'Integer division by zero or overflow (#DE)' },
  { id: 'stack-overflow', label: 'Stack overflows', description: 'The guest stack ran into its guard page' },
  { id: 'other-fault', label: 'Other CPU exceptions', description: 'Any other CPU exception, a double fault, or an exit the guest ABI does not allow' },
  { id: 'abort', label: 'Aborts and failed asserts', description: 'The guest called abort() or an assert failed' },
  { id: 'timeout', label: 'Timeouts', description: 'The call ran past its timeout' },
];

export const EXCEPTION_FILTER_IDS: ReadonlySet<string> = new Set(EXCEPTION_FILTERS.map((f) => f.id));

/** The filter an exception stop belongs to. */
export function exceptionFilterOf(error: MicroVmError): string {
  switch (error.code) {
    case 'GUEST_ABORT':
      return 'abort';
    case 'TIMEOUT':
      return 'timeout';
    case 'GUEST_FAULT':
      return faultFilter(error.fault);
    default:
      return 'other-fault';
  }
}

function faultFilter(fault: GuestFault | undefined): string {
  if (!fault) return 'other-fault';
  if (fault.stackOverflow) return 'stack-overflow';
  switch (fault.vector) {
    case 14:
      return 'page-fault';
    case 13:
      return 'general-protection';
    case 6:
      return 'invalid-opcode';
    case 0:
      return 'divide-error';
    default:
      return 'other-fault';
  }
}

export interface ExceptionWords {
  /** Short id, e.g. `#PF`, `abort`, `timeout`. */
  readonly id: string;
  /** One line: `null pointer dereference: read of address 0x0 in DerefNull (hello.c:39)`. */
  readonly description: string;
  /** Vector, error code, CR2 and the like, one `name: value` per line. */
  readonly details: string;
}

/** Where the exception happened in source terms, for the words. */
export interface ExceptionPlace {
  readonly functionName?: string;
  readonly file?: string;
  readonly line?: number;
}

/** `at RIP 0x… in F` becomes `in F (file.c:12)` where the source line is known. */
function withPlace(text: string, place: ExceptionPlace): string {
  const basename = place.file?.split('/').pop();
  if (!basename || place.line === undefined) return text;
  const where = `in ${place.functionName ?? '??'} (${basename}:${place.line})`;
  const replaced = text.replace(/ at RIP 0x[0-9a-f]+( in \S+)?$/, ` ${where}`);
  return replaced === text ? `${text} ${where}` : replaced;
}

export function exceptionWords(error: MicroVmError, place: ExceptionPlace): ExceptionWords {
  const fault = error.fault;
  if (fault) {
    const details = [
      `exception: ${fault.mnemonic} ${fault.exceptionName} (vector ${fault.vector})`,
      `error code: ${hex(BigInt(fault.errorCode))}`,
      ...(fault.faultAddress !== undefined ? [`CR2 (fault address): ${hex(fault.faultAddress)}${fault.access ? ` (${fault.access})` : ''}`] : []),
      `RIP: ${hex(fault.rip)}`,
      ...(error.crashDumpPath ? [`crash dump: ${error.crashDumpPath}`] : []),
    ];
    return { id: fault.mnemonic, description: withPlace(fault.description, place), details: details.join('\n') };
  }
  const id = error.code === 'GUEST_ABORT' ? 'abort' : error.code === 'TIMEOUT' ? 'timeout' : error.code;
  const where = place.file && place.line !== undefined ? ` (${place.file.split('/').pop()}:${place.line})` : '';
  return { id, description: `${error.message}${where}`, details: `${error.code}: ${error.message}` };
}

/** The words of a fault recorded in a core file's MICROVM note (post-mortem). */
export function noteExceptionWords(note: Record<string, unknown> | undefined, place: ExceptionPlace): ExceptionWords | undefined {
  if (!note || typeof note.description !== 'string') return undefined;
  const field = (name: string): string | undefined => (note[name] === undefined ? undefined : String(note[name]));
  const details = [
    field('vector') !== undefined ? `exception: ${field('mnemonic') ?? ''} ${field('exception') ?? ''} (vector ${field('vector')})`.replace(/\s+/g, ' ') : undefined,
    field('errorCode') !== undefined ? `error code: ${field('errorCode')}` : undefined,
    field('faultAddress') !== undefined || field('address') !== undefined ? `CR2 (fault address): ${field('faultAddress') ?? field('address')}` : undefined,
    field('rip') !== undefined ? `RIP: ${field('rip')}` : undefined,
    field('call') !== undefined ? `call: ${field('call')}` : undefined,
  ].filter((line): line is string => line !== undefined);
  return { id: field('mnemonic') ?? 'fault', description: withPlace(note.description, place), details: details.join('\n') };
}
