// The segment columns added to an output table, as Arrow IPC writes and reads them back.
import { describe, expect, it } from 'vitest';
import { Float64, makeData, tableFromIPC, tableToIPC } from 'apache-arrow';
import { tableFromColumns } from '../src/data/arrowTable.js';
import { withSegments } from '../src/cli/withSegments.js';

describe('withSegments', () => {
  const n = 5_000;
  const table = tableFromColumns(['spend'], [makeData({ type: new Float64(), length: n, nullCount: 0, data: Float64Array.from({ length: n }, (_, i) => i / 4) })]);
  const labels = Int32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? -1 : i % 3));
  const names = ['Loyal', 'Bargain hunters', 'Lapsed'];

  it.each([false, true])('names as a dictionary (%s): an IPC stream and file read back row for row', (dictionary) => {
    const out = withSegments(table, labels, names, 'segment', undefined, { dictionary });
    for (const format of ['stream', 'file'] as const) {
      const back = tableFromIPC(tableToIPC(out, format));
      expect(back.numRows).toBe(n);
      expect(Array.from(back.getChild('segment')!.toArray() as Int32Array)).toEqual(Array.from(labels));
      expect(Array.from({ length: n }, (_, i) => back.getChild('segment_name')!.get(i))).toEqual(Array.from(labels, (l) => (l < 0 ? null : names[l])));
      expect(back.getChild('spend')!.get(n - 1)).toBe((n - 1) / 4);
    }
  });

  it('every row in a segment (no -1): the name codes do not share the id column\'s buffer', () => {
    const all = Int32Array.from({ length: n }, (_, i) => i % 3);
    const out = withSegments(table, all, names, 'segment', undefined, { dictionary: true });
    const back = tableFromIPC(tableToIPC(out, 'stream'));
    expect(Array.from({ length: n }, (_, i) => back.getChild('segment_name')!.get(i))).toEqual(Array.from(all, (l) => names[l]));
  });
});
