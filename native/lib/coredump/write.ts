// Writing a core file to disk: streamed segment by segment (guest memory can be 256 MiB) into a
// temporary file that is renamed into place, so a reader never sees half a core.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync, ftruncateSync } from 'node:fs';
import { dirname } from 'node:path';
import { CoreDumpInput } from './input';
import { layoutCore } from './layout';

function writeAll(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}

export function writeCoreFile(path: string, input: CoreDumpInput): void {
  const layout = layoutCore(input);
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeAll(fd, layout.head, 0);
    for (const segment of layout.segments) writeAll(fd, segment.data, segment.offset);
    ftruncateSync(fd, layout.size); // the gaps between segments are zero
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    try { closeSync(fd); } catch { /* already closed */ }
    try { unlinkSync(temporary); } catch { /* never created or already gone */ }
    throw error;
  }
}
