// Reading a file a user named (a guest ELF, a core file, a Wasm module). A FIFO, a device or a
// directory given where a file belongs must be refused, not read: reading a FIFO blocks until
// somebody writes to it, and /dev/zero never ends. Opening with O_NONBLOCK keeps even the open of
// a FIFO from waiting for a writer; fstat on that descriptor then says what it is, with no window
// for the path to change between the check and the read.
import fs from 'node:fs';

/** Larger than any guest ELF, Wasm module or core file (guest memory is at most 256 MiB). */
export const MAX_INPUT_FILE_BYTES = 512 * 1024 * 1024;

/** A file that cannot be read as an input; the message names the file and what is wrong. */
export class InputFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputFileError';
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Throws InputFileError unless `file` is a regular file of at most `maxBytes`; returns its size. */
function checkRegular(file: string, stat: fs.Stats, maxBytes: number): number {
  if (!stat.isFile()) throw new InputFileError(`${file} is ${kindOf(stat)}, not a regular file`);
  if (stat.size > maxBytes) throw new InputFileError(`${file} is ${stat.size} bytes, larger than the ${maxBytes} bytes any input file can be`);
  return stat.size;
}

/** The bytes of the regular file `file`; InputFileError (naming it) for anything else. */
export function readInputFile(file: string, maxBytes: number = MAX_INPUT_FILE_BYTES): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    throw new InputFileError(`${file} cannot be read: ${(error as Error).message}`);
  }
  try {
    checkRegular(file, fs.fstatSync(fd), maxBytes);
    return fs.readFileSync(fd);
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(`${file} cannot be read: ${(error as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Throws InputFileError unless `file` exists and is a regular file (for files read by others, e.g. require). */
export function checkInputFile(file: string, maxBytes: number = MAX_INPUT_FILE_BYTES): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputFileError(code === 'ENOENT' ? `${file} does not exist` : `${file} cannot be read: ${(error as Error).message}`);
  }
  checkRegular(file, stat, maxBytes);
}
