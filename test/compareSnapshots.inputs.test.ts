import { Decimal, Float16, Float64, Table, makeData, makeVector, vectorFromArray } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { close, decisionTree, fromRows, kmeans, pipeline, SegmentModel } from '../src/index.node.js';
import { compareSnapshots } from '../src/workflow/compareSnapshots.js';
import { readIds } from '../src/workflow/snapshotColumns.js';
import { readArrow } from '../src/data/readArrow.js';
import { writeArrow } from '../src/data/writeArrow.js';
import { failure } from './helpers.js';
import { driftTableHtml } from '../src/report/changesReport.js';

afterAll(() => close());

// two groups far apart; after, 6 of the 40 returning customers (from the low group) sit in the high one: 15%
const before = Array.from({ length: 40 }, (_, i) => ({ id: i, x: (i < 20 ? 0 : 10) + (i % 5) / 10 }));
const after = before.map((r) => (r.id < 6 ? { ...r, x: 10 + r.x } : r));

describe('compareSnapshots thresholds', async () => {
  const model = await kmeans(fromRows(before.map((r) => [r.x]), { names: ['x'] }), { k: 2, seed: 0 });

  it('a share or a significance level given in percent is refused, naming the threshold', async () => {
    for (const [key, v] of [['ksAlpha', 5], ['movedShare', 25], ['missingRise', 10], ['ksStatistic', 1.5]] as const) {
      const e = await failure(() => compareSnapshots(model, before, after, { id: 'id', thresholds: { [key]: v } }));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain(`thresholds.${key}`);
      expect(e.message).toContain('from 0 to 1');
    }
  });

  it('shares up to 1 and PSI or distance thresholds above 1 are taken, and change the recommendation', async () => {
    const moved = 'of returning customers changed segment';
    const r = await compareSnapshots(model, before, after, { id: 'id', thresholds: { psiModerate: 5, psiSignificant: 6, distanceRise: 2 } });
    expect(r.migration.moved).toBe(6);
    expect(r.migration.returning).toBe(40);
    // 15% moved: below the default 25%
    expect(r.recommendation.reasons.some((s) => s.includes(moved))).toBe(false);
    const low = await compareSnapshots(model, before, after, { id: 'id', thresholds: { psiModerate: 5, psiSignificant: 6, distanceRise: 2, movedShare: 0.15 } });
    expect(low.thresholds.movedShare).toBe(0.15);
    expect(low.recommendation.reasons).toContain(`15.0% ${moved}`);
    const all = await compareSnapshots(model, before, after, { id: 'id', thresholds: { movedShare: 1, ksAlpha: 1, ksStatistic: 1, missingRise: 1 } });
    expect(all.recommendation.reasons.some((s) => s.includes(moved))).toBe(false);
  });

  it('a rise of exactly distanceRise counts in every segment, whatever float32 makes of the distances', async () => {
    // two segments whose rows sit 3 from their centres before and 3.3 after: +10% each, the default threshold; in
    // float32 segment 0's rise is 0.0999999841 and segment 1's 0.1000010173
    const rows = (w: number) => Array.from({ length: 40 }, (_, i) => ({ id: i, x: (i < 20 ? 0 : 100) + (i % 2 ? w : -w) }));
    const m = await kmeans(fromRows(rows(3).map((r) => [r.x]), { names: ['x'] }), { k: 2, seed: 0 });
    const r = await compareSnapshots(m, rows(3), rows(3.3), { id: 'id', thresholds: { psiModerate: 50, psiSignificant: 60 } });
    expect(r.segments.map((s) => Math.round((s.distanceAfter / s.distanceBefore - 1) * 1e4))).toEqual([1000, 1000]);
    expect(r.recommendation.reasons).toEqual(['customers sit farther from their centres in segment 0 (+10.0%), segment 1 (+10.0%): the centres no longer describe them']);
    // a rise clearly below the threshold still does not count
    const below = await compareSnapshots(m, rows(3), rows(3.29), { id: 'id', thresholds: { psiModerate: 50, psiSignificant: 60 } });
    expect(below.recommendation.reasons).toEqual([]);
  });

  it('thresholds of 0 flag any change, never none: a snapshot compared with itself keeps the model', async () => {
    const zero = { psiModerate: 0, psiSignificant: 0, distanceRise: 0, movedShare: 0, missingRise: 0 };
    const same = await compareSnapshots(model, before, before, { id: 'id', thresholds: zero });
    expect(same.migration.moved).toBe(0);
    expect(same.drift[0].psi!.value).toBe(0);
    expect(same.segments.map((s) => s.distanceAfter)).toEqual(same.segments.map((s) => s.distanceBefore));
    // these were "shifted past the significant-shift convention (PSI >= 0)", "customers sit farther from their
    // centres in segment 0 (+0.0%)" and "0.0% of returning customers changed segment": a refit advised for no change
    expect(same.drift[0].level).toBe('stable');
    expect(same.recommendation.reasons).toEqual([]);
    expect(same.recommendation.action).toBe('keep');
    expect(same.conventions[1]).toBe('PSI below 0 is read as stable, 0 to 0 as a moderate shift, 0 and above as a significant shift (a PSI of 0, no shift, as stable): industry conventions, not statistical tests.');
    // a real change still passes thresholds of 0
    const moved = await compareSnapshots(model, before, after, { id: 'id', thresholds: zero });
    expect(moved.drift[0].level).toBe('significant');
    expect(moved.recommendation.reasons).toContain('15.0% of returning customers changed segment');
    expect(moved.recommendation.action).toBe('refit');
  });
});

describe('a PSI just below a threshold', async () => {
  // before: 1..1000, 100 customers in each decile bin; after: these counts per bin, so PSI is known by hand
  const spread = (counts: number[], from: number) => counts.flatMap((c, b) => Array.from({ length: c }, (_, q) => ({ id: from++, spend: 100 * b + 1 + (q % 100) })));
  const psiOf = (counts: number[]) => counts.reduce((a, c) => a + (c / 1000 - 0.1) * Math.log(c / 1000 / 0.1), 0);
  const base = spread(new Array(10).fill(100), 0);
  const model = await kmeans(fromRows(base.map((r) => [r.spend]), { names: ['spend'] }), { k: 1 });

  it('is printed with the digits that keep it below, never rounded up to the threshold beside a lower level', async () => {
    for (const [counts, level, shown] of [
      [[18, 73, 73, 73, 73, 127, 127, 127, 127, 182], 'moderate', '0.2495'],
      [[36, 94, 94, 94, 94, 106, 106, 106, 106, 164], 'stable', '0.0999'],
    ] as const) {
      const r = await compareSnapshots(model, base, spread([...counts], 1000), { id: 'id' });
      const f = r.drift[0];
      expect(f.psi!.countsAfter).toEqual(counts);
      expect(Math.abs(f.psi!.value - psiOf([...counts]))).toBeLessThan(1e-12);
      // 0.24952 and 0.09993: three decimals would read 0.250 and 0.100, the thresholds of the next level
      expect(f.psi!.value.toFixed(3)).toBe(level === 'moderate' ? '0.250' : '0.100');
      expect(f.level).toBe(level);
      expect(driftTableHtml(r)).toContain(`<td class="num">${shown}</td>`);
      if (level === 'moderate') expect(r.recommendation.reasons).toContain(`spend (PSI ${shown}) shifted moderately (PSI 0.1 to 0.25)`);
    }
    // at or past a threshold, and away from one, three decimals as before
    const sig = await compareSnapshots(model, base, spread([10, 60, 60, 60, 60, 140, 140, 140, 140, 190], 1000), { id: 'id' });
    expect(sig.drift[0].level).toBe('significant');
    expect(driftTableHtml(sig)).toContain(`<td class="num">${sig.drift[0].psi!.value.toFixed(3)}</td>`);
  });
});

describe('an Arrow half-float id column', async () => {
  const model = await kmeans(fromRows(before.map((r) => [r.x]), { names: ['x'] }), { k: 2, seed: 0 });
  const halfIds = (ids: (number | null)[], x: number[]) => new Table({ id: vectorFromArray(ids, new Float16()), x: vectorFromArray(x, new Float64()) });

  it('is read as its values, not as the bits its buffer holds (1 is 15360)', () => {
    expect(readIds(halfIds([1, 2, 3.5, -0, 2048], [0, 0, 0, 0, 0]), 'id', 'before')).toEqual({ kind: 'number', values: Float64Array.from([1, 2, 3.5, -0, 2048]) });
    expect(() => readIds(halfIds([1, null, 3], [0, 0, 0]), 'id', 'before')).toThrow('snapshot "before", row 1: the id column "id" is empty');
  });

  it('matches the same customers held as numbers in the other snapshot, and names the movers by their ids', async () => {
    const half = halfIds(before.map((r) => r.id), before.map((r) => r.x));
    const r = await compareSnapshots(model, half, after, { id: 'id' });
    expect(r.migration.returning).toBe(40);
    expect(r.migration.new).toEqual([0, 0]);
    expect(r.migration.gone).toEqual([0, 0]);
    expect(r.migration.moved).toBe(6);
    expect([...r.movers.id].sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 4, 5]);
    // and the other way round: the movers' ids are read from the half-float column after
    const back = await compareSnapshots(model, before, halfIds(after.map((r) => r.id), after.map((r) => r.x)), { id: 'id' });
    expect([...back.movers.id].sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('an Arrow decimal id column', async () => {
  const model = await kmeans(fromRows(before.map((r) => [r.x]), { names: ['x'] }), { k: 2, seed: 0 });
  /** Decimal ids of `scale` fraction digits: the buffer holds each unscaled value (id x 10^scale) in four words. */
  const decimalIds = (ids: (number | null)[], x: number[], scale: number, precision: number) => {
    const words = new Uint32Array(4 * ids.length);
    const valid = new Uint8Array(Math.ceil(ids.length / 8));
    ids.forEach((id, i) => {
      if (id === null) return;
      valid[i >> 3] |= 1 << (i & 7);
      const u = BigInt.asUintN(128, BigInt(Math.round(id * 10 ** scale)));
      for (let w = 0; w < 4; w++) words[4 * i + w] = Number((u >> BigInt(32 * w)) & 0xffffffffn);
    });
    const nulls = ids.filter((id) => id === null).length;
    const id = makeVector(makeData({ type: new Decimal(scale, precision, 128), length: ids.length, nullCount: nulls, nullBitmap: nulls ? valid : undefined, data: words }));
    return new Table({ id, x: vectorFromArray(x, new Float64()) });
  };

  it('is read as its values (101.00 is 101), as numbers up to 15 digits and as the text of the value wider', () => {
    expect(readIds(decimalIds([101, 102.5, -3], [0, 0, 0], 2, 10), 'id', 'before')).toEqual({ kind: 'number', values: Float64Array.from([101, 102.5, -3]) });
    // decimal(38, 2) and decimal(38, 3) alike: the value's text ("101", as the number 101 prints), not 101.00 or 101.000
    for (const scale of [2, 3]) expect(readIds(decimalIds([101, 102.5, -3], [0, 0, 0], scale, 38), 'id', 'before')).toEqual({ kind: 'string', values: ['101', '102.5', '-3'] });
    expect(readIds(decimalIds([101, 102, -3], [0, 0, 0], 0, 38), 'id', 'before')).toEqual({ kind: 'string', values: ['101', '102', '-3'] });
    // past 15 significant digits the exact digits (a float64 would round 12345678901234567 to ...68)
    const big = makeVector(makeData({ type: new Decimal(2, 38, 128), length: 1, nullCount: 0, data: Uint32Array.from([0x2f366c84, 0xb14e9f81, 0x6, 0]) }));
    expect(readIds(new Table({ id: big }), 'id', 'before')).toEqual({ kind: 'string', values: ['1234567890123456789.8'] });
    expect(() => readIds(decimalIds([1, null, 3], [0, 0, 0], 2, 10), 'id', 'before')).toThrow('snapshot "before", row 1: the id column "id" is empty');
    expect(() => readIds(decimalIds([1, null, 3], [0, 0, 0], 2, 38), 'id', 'before')).toThrow('snapshot "before", row 1: the id column "id" is empty');
    expect(() => readIds(decimalIds([1, null, 3], [0, 0, 0], 0, 38), 'id', 'before')).toThrow('snapshot "before", row 1: the id column "id" is empty');
  });

  it('matches the same customers held as numbers, at another scale, or (without fraction digits) as text in the other snapshot', async () => {
    const dec = decimalIds(before.map((r) => r.id), before.map((r) => r.x), 2, 10);
    const r = await compareSnapshots(model, dec, after, { id: 'id' });
    expect(r.migration.returning).toBe(40);
    expect(r.migration.gone).toEqual([0, 0]);
    expect(r.migration.moved).toBe(6);
    expect([...r.movers.id].sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 4, 5]);
    // a wide decimal with fraction digits matches the number ids, the same ids at another scale, and itself read
    // back from an Arrow file
    const wide = decimalIds(before.map((r) => r.id), before.map((r) => r.x), 2, 38);
    const afterIds = after.map((r) => r.id), afterX = after.map((r) => r.x);
    for (const other of [after, decimalIds(afterIds, afterX, 3, 38), await readArrow(await writeArrow(decimalIds(afterIds, afterX, 2, 38)))]) {
      const w = await compareSnapshots(model, wide, other, { id: 'id' });
      expect([w.migration.returning, w.migration.moved, w.migration.gone]).toEqual([40, 6, [0, 0]]);
    }
    // a wide decimal without fraction digits (an account number) is exact text, which matches the same ids as text
    // or as numbers
    const account = decimalIds(before.map((r) => r.id), before.map((r) => r.x), 0, 38);
    for (const other of [after, after.map((row) => ({ ...row, id: `${row.id}` }))]) {
      const w = await compareSnapshots(model, account, other, { id: 'id' });
      expect([w.migration.returning, w.migration.moved]).toEqual([40, 6]);
    }
  });
});

describe('a classifier fitted on text labels', () => {
  it('names the segments by its class names, in the migration and the segment changes', async () => {
    const rows = before.map((r) => [r.x]);
    const tree = await decisionTree(fromRows(rows, { names: ['x'] }), before.map((r) => (r.x < 5 ? 'low' : 'high')));
    expect(tree.classNames).toEqual(['high', 'low']);
    const r = await compareSnapshots(tree, before, after, { id: 'id' });
    expect(r.migration.segments).toEqual(['high', 'low']);
    expect(r.segments.map((s) => s.name)).toEqual(['high', 'low']);
    // the 6 customers who moved went from "low" (segment 1) to "high" (segment 0)
    expect(r.migration.counts).toEqual([[20, 0], [6, 14]]);
    // integer labels keep the ids as names
    const byId = await decisionTree(fromRows(rows, { names: ['x'] }), before.map((r) => (r.x < 5 ? 1 : 0)));
    expect((await compareSnapshots(byId, before, after, { id: 'id' })).migration.segments).toEqual(['segment 0', 'segment 1']);
  });

  it('says nothing of distances to centres when nothing is kept, for a model without centres', async () => {
    const rows = before.map((r) => [r.x]);
    const tree = await decisionTree(fromRows(rows, { names: ['x'] }), before.map((r) => (r.x < 5 ? 'low' : 'high')));
    const same = await compareSnapshots(tree, before, before, { id: 'id' });
    expect(same.segments.every((s) => Number.isNaN(s.distanceBefore))).toBe(true);
    expect(same.recommendation).toEqual({ action: 'keep', reasons: [], text: 'Keep the model: no feature moved past PSI 0.1.' });
    // a k-means model measured them
    const model = await kmeans(fromRows(rows, { names: ['x'] }), { k: 2, seed: 0 });
    expect((await compareSnapshots(model, before, before, { id: 'id' })).recommendation.text)
      .toBe('Keep the model: no feature moved past PSI 0.1, and customers sit as close to their centres as before.');
  });
});

describe('a SegmentModel of one-hot encoded categories only (no numeric feature)', async () => {
  const plans = ['free', 'gold', 'silver'], regions = ['north', 'south'];
  const rows = (from: number, to: number, shift: number) => Array.from({ length: to - from }, (_, q) => {
    const id = from + q;
    return { id, plan: plans[(id * 7 + shift) % 3], region: regions[(id * 5 + (id >> 3) + shift) % 2], revenue: (id % 11) + 0.25 };
  });
  const before = rows(0, 120, 0), after = rows(40, 170, 1);
  const prep = pipeline({ encode: ['plan', 'region'] });
  const { dataset } = await prep.fitTransform(before.map(({ plan, region }) => ({ plan, region })));
  const model = await kmeans(dataset, { k: 3, seed: 0 });
  const segments = [0, 1, 2].map((id) => {
    const rowsOf = Array.from(model.labels.keys()).filter((i) => model.labels[i] === id);
    const means = Object.fromEntries(dataset.names.map((name, j) => [name, rowsOf.reduce((t, i) => t + dataset.columns[j][i], 0) / rowsOf.length]));
    return { id, name: `segment ${id}`, size: rowsOf.length, share: rowsOf.length / before.length, means };
  });
  const sm = new SegmentModel({ pipeline: prep, model, segments });

  it('counts the migration, growth and value per segment as its predict labels the rows; the drift list is empty', async () => {
    const r = await compareSnapshots(sm, before, after, { id: 'id', value: 'revenue' });
    const lb = await sm.predict(before), la = await sm.predict(after);
    const counts = [0, 1, 2].map(() => [0, 0, 0]), fresh = [0, 0, 0], gone = [0, 0, 0];
    const valueBefore = [0, 0, 0], valueAfter = [0, 0, 0];
    const byId = new Map(before.map((row, i) => [row.id, lb[i]]));
    after.forEach((row, j) => {
      valueAfter[la[j]] += row.revenue;
      const from = byId.get(row.id);
      if (from === undefined) fresh[la[j]]++;
      else counts[from][la[j]]++;
    });
    const afterIds = new Set(after.map((row) => row.id));
    before.forEach((row, i) => {
      valueBefore[lb[i]] += row.revenue;
      if (!afterIds.has(row.id)) gone[lb[i]]++;
    });
    expect(r.migration.counts).toEqual(counts);
    expect(r.migration.new).toEqual(fresh);
    expect(r.migration.gone).toEqual(gone);
    expect(r.migration.returning).toBe(80);
    expect(r.segments.map((s) => [s.before, s.after])).toEqual([0, 1, 2].map((c) => [lb.filter((l) => l === c).length, la.filter((l) => l === c).length]));
    r.segments.forEach((s, c) => {
      expect(s.valueBefore).toBeCloseTo(valueBefore[c], 9);
      expect(s.valueAfter).toBeCloseTo(valueAfter[c], 9);
    });
    expect(r.drift).toEqual([]);
    // nothing moved: the keep says why no drift is measured rather than that no feature moved
    const same = await compareSnapshots(sm, before, before, { id: 'id' });
    expect(same.migration.moved).toBe(0);
    expect(same.recommendation.action).toBe('keep');
    expect(same.recommendation.text).toMatch(/^Keep the model: the model has no numeric feature to measure drift on/);
  });

  it('an empty snapshot is refused naming it, as for a model of numeric features, never read as every customer lost', async () => {
    const none = new Table({ id: vectorFromArray([], new Float64()), plan: vectorFromArray([] as string[]), region: vectorFromArray([] as string[]), revenue: vectorFromArray([], new Float64()) });
    // it gave shares of 0 / 0 (NaN) and "Refit the model: segment 0, segment 1, segment 2 lost every customer"
    for (const [b, a, label] of [[before, none, 'after'], [none, after, 'before']] as const) {
      const e = await failure(() => compareSnapshots(sm, b, a, { id: 'id' }));
      expect(e.code).toBe('E_EMPTY_DATA');
      expect(e.message).toBe(`snapshot "${label}": there are no rows to load`);
    }
    // as a model of a numeric feature refuses one
    const numeric = await kmeans(fromRows(before.map((r) => [r.revenue]), { names: ['revenue'] }), { k: 2, seed: 0 });
    const e = await failure(() => compareSnapshots(numeric, before, none, { id: 'id' }));
    expect(e.code).toBe('E_EMPTY_DATA');
    expect(e.message).toMatch(/^snapshot "after": /);
  });
});
