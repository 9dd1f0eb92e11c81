// writeJson writes a Float32 column's values as the shortest decimals that read back as them, as writeCsv does, so
// the JSON and CSV written from one Arrow table read back as the same numbers, and a one-hot model fitted on the
// Arrow table finds its categories in either.
import { Float32, Float64, Table, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { writeJson } from '../src/data/writeJson.js';
import { writeCsv } from '../src/data/writeCsv.js';
import { readJson } from '../src/data/readJson.js';
import { readNdjson } from '../src/data/readNdjson.js';
import { readCsv } from '../src/data/readCsv.js';
import { pipeline } from '../src/prep/pipeline.js';

const z = [0.1, 0.2, 0.1, 2.5, null, 16777216, 1e-7, 0.2, -0, 3.4028234663852886e38];
const t32 = new Table({ z: vectorFromArray(z, new Float32()), spend: vectorFromArray(z.map((_, i) => i + 1), new Float64()) });

describe('writeJson of Float32 columns', () => {
  it('writes the shortest decimals, which read back as writeCsv output does', async () => {
    const text = writeJson(t32);
    expect(text.split('\n')[0]).toBe('[{"z":0.1,"spend":1},');
    const fromJson = [...(await readJson(text)).getChild('z')!];
    // Math.fround of each is the stored float32; -0 keeps its sign, 3.4028235e38 (FLT_MAX) its exponent form
    expect(fromJson).toEqual([0.1, 0.2, 0.1, 2.5, null, 16777216, 1e-7, 0.2, -0, 3.4028235e38]);
    expect(Object.is(fromJson[8], -0)).toBe(true);
    expect(fromJson.map((v) => (v === null ? null : Math.fround(v)))).toEqual([...t32.getChild('z')!]);
    expect(fromJson).toEqual([...(await readCsv(writeCsv(t32))).getChild('z')!]);
    expect([...(await readNdjson(writeJson(t32, { format: 'ndjson' }))).getChild('z')!]).toEqual(fromJson);
  });

  it('gives a model fitted on the Arrow table the categories it was fitted on', async () => {
    const prep = await pipeline({ encode: ['z'], scale: false }).fit(t32);
    const own = prep.transform(t32).report.steps[0];
    expect(own).toEqual({ kind: 'oneHotEncoder', columns: [{ column: 'z', unknown: 0, missing: 1 }] });
    expect(prep.transform(await readJson(writeJson(t32))).report.steps[0]).toEqual(own);
  });
});
