// segkitColumns: the columns of a table segkit wrote, which the command line and the app never take as features.
import { Float64, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { segkitColumns } from '../src/index.js';

const ints = (v: (number | null)[]) => vectorFromArray(v, new Int32());
const text = (v: (string | null)[]) => vectorFromArray(v, new Utf8());
const floats = (v: number[]) => vectorFromArray(v, new Float64());

describe('segkitColumns', () => {
  it('names the default output columns, their probabilities, and a segment column written under another name, with unassigned rows', () => {
    const table = new Table({
      spend: floats([10, 20, 30, 40]),
      segment: ints([0, 1, 1, 0]),
      segment_name: text(['low', 'high', 'high', 'low']),
      segment_proba_0: floats([0.9, 0.1, 0.2, 0.8]),
      // an earlier --segment-column cluster with an unassigned row (-1, no name)
      cluster: ints([2, -1, 0, 2]),
      cluster_name: text(['vip', null, 'new', 'vip']),
      cluster_proba_1: floats([0, 0, 0, 0]),
      // one id named two ways: no segment column
      grp: ints([0, 0, 1, 1]),
      grp_name: text(['a', 'b', 'c', 'c']),
      // a name missing for an assigned row: no segment column either
      team: ints([0, 1, 1, 0]),
      team_name: text(['x', null, 'y', 'x']),
      r_score: ints([1, 2, 3, 4]),
    });
    expect(segkitColumns(table)).toEqual(['segment', 'segment_name', 'segment_proba_0', 'cluster', 'cluster_name', 'cluster_proba_1', 'r_score']);
  });

  it('names nothing in a table segkit did not write, and nothing in one without rows', () => {
    expect(segkitColumns(new Table({ spend: floats([1, 2]), visits: ints([3, 4]) }))).toEqual([]);
    expect(segkitColumns(new Table({ cluster: ints([]), cluster_name: text([]) }))).toEqual([]);
  });
});
