// The whole core file in memory.
import { CoreDumpInput } from './input';
import { layoutCore } from './layout';

export function buildCoreFile(input: CoreDumpInput): Uint8Array {
  const layout = layoutCore(input);
  const file = new Uint8Array(layout.size);
  file.set(layout.head, 0);
  for (const segment of layout.segments) file.set(segment.data, segment.offset);
  return file;
}
