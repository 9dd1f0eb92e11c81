// Charts with many segments or groups give each its own colour: no two segments' flows, and no two groups' bars, alike.
import { describe, expect, it } from 'vitest';
import { migrationSankeySpec } from '../src/report/changesReport.js';
import { mixSpec } from '../src/report/explainSpecs.js';
import { SEGMENT_COLOURS_40 } from '../src/report/chartSpecs.js';
import type { CompareSnapshotsResult } from '../src/workflow/compareSnapshots.js';

/** A migration of k segments where every customer stays. */
function stays(k: number): CompareSnapshotsResult {
  const zeros = () => Array<number>(k).fill(0);
  return {
    migration: {
      segments: Array.from({ length: k }, (_, i) => `Segment ${i}`),
      counts: Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 10 : 0))),
      new: zeros(), gone: zeros(), toUnassigned: zeros(), fromUnassigned: zeros(),
    },
  } as unknown as CompareSnapshotsResult;
}

describe('colours of many segments and groups', () => {
  it('the migration chart colours up to 40 segments apart, the first ten as before', () => {
    for (const k of [4, 10, 11, 25, 40]) {
      const scale = (migrationSankeySpec(stays(k)).scales as { name: string; range: string[] }[]).find((s) => s.name === 'colour')!;
      const segments = scale.range.slice(0, k);
      expect(new Set(segments).size).toBe(k);
      // new, gone and unassigned keep their greys, after the segments
      expect(scale.range.slice(k)).toEqual(['#9aa5b1', '#cbd2d9', '#7b8794']);
    }
    const ten = (migrationSankeySpec(stays(10)).scales as { name: string; range: string[] }[])[0].range;
    expect(ten.slice(0, 3)).toEqual(['#4c78a8', '#f58518', '#54a24b']);
    const many = (migrationSankeySpec(stays(25)).scales as { name: string; range: string[] }[])[0].range;
    expect(many.slice(0, 25)).toEqual(SEGMENT_COLOURS_40.slice(0, 25));
  });

  it('a mix of more than 20 groups takes forty colours rather than repeating twenty', () => {
    const rows = Array.from({ length: 25 }, (_, g) => ({ segment: 'All customers', group: `g${g}`, share: 1 / 25 }));
    const colour = (spec: ReturnType<typeof mixSpec>) => (spec as unknown as { encoding: { color: { scale: { range?: string[]; scheme?: string } } } }).encoding.color.scale;
    expect(colour(mixSpec(rows, ['All customers'], 'city'))).toEqual({ range: [...SEGMENT_COLOURS_40] });
    expect(colour(mixSpec(rows.slice(0, 12), ['All customers'], 'city'))).toEqual({ scheme: 'tableau20' });
    expect(colour(mixSpec(rows.slice(0, 5), ['All customers'], 'city'))).toEqual({ scheme: 'set2' });
  });
});
