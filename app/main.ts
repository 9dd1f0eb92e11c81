// The segkit app: a static page that segments a customer file in the browser tab, as `segkit segment` does in
// Node (same defaults, same seed, same labels). Every byte of code is loaded with the page; nothing is fetched or
// sent afterwards.
import * as segkit from 'segkit/browser';
import type { ChooseKResult, Dataset, Executor, PipelineOptions, SegmentationModel, SegmentProfiles, SegmentSummary } from 'segkit/browser';
import type { Table } from 'apache-arrow';
import { appThreads } from './threads.js';

/** As `segkit segment`: k from 2 to 10 when chosen, the exact silhouette up to 20,000 rows, a seeded sample above. */
const K_RANGE = [2, 10] as const;
const EXACT_SILHOUETTE_ROWS = 20_000;
const ID_LIKE = (name: string) => /^id$/i.test(name) || /[_\-\s.]id$/i.test(name) || /[a-z0-9]I[dD]$/.test(name);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const say = (id: string, text: string, error = false) => {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('error', error);
};

// Threads: every core (or ?threads=N) when the page is cross-origin isolated (Web Workers share one memory), else
// this page alone.
const isolated = globalThis.crossOriginIsolated === true;
const wanted = appThreads(new URLSearchParams(location.search).get('threads'), navigator.hardwareConcurrency);
const threads = isolated ? wanted.threads : 1;
const executor: Executor & { start?: () => Promise<void> } = isolated ? segkit.webWorkerExecutor({ threads }) : segkit.inlineExecutor();

interface Loaded {
  name: string;
  table: Table;
}
let loaded: Loaded | undefined;
let outputs: { segments: Uint8Array; model: string; report: string; base: string } | undefined;
let defaults = { columns: [] as string[], id: '', left: [] as string[] };

async function start(): Promise<void> {
  const engine = $('engine');
  if (isolated) {
    await executor.start!();
    engine.textContent = `Running on ${threads} thread${threads > 1 ? 's' : ''}: ${threads} Web Worker${threads > 1 ? 's' : ''} sharing one memory (this page is cross-origin isolated).${wanted.note ? ` ${wanted.note}` : ''}`;
  } else {
    engine.textContent = 'Running on one thread: this page is not cross-origin isolated, so Web Workers cannot share memory with it. Serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp to use every core.';
    engine.classList.add('single');
  }
  engine.dataset.threads = String(threads);
  document.documentElement.dataset.state = 'ready';
}

async function readFile(file: File): Promise<Table> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const ext = file.name.toLowerCase().split('.').pop() ?? '';
  if (ext === 'parquet') return segkit.readParquet(bytes);
  if (['arrow', 'feather', 'ipc', 'arrows'].includes(ext)) return segkit.readArrow(bytes);
  // JSON as the command line reads it: an array of records (or columns), or one record a line
  if (ext === 'json') return segkit.readJson(bytes);
  if (ext === 'ndjson' || ext === 'jsonl') return segkit.readNdjson(bytes);
  return segkit.readCsv(bytes, ext === 'tsv' ? { delimiter: '\t' } : {});
}

async function pick(file: File): Promise<void> {
  say('loaded', `Reading ${file.name}…`);
  $('setup').hidden = true;
  $('result').hidden = true;
  try {
    const table = await readFile(file);
    loaded = { name: file.name, table };
    say('loaded', `${file.name}: ${table.numRows.toLocaleString('en-US')} rows, ${table.numCols} columns.${strays(table)}`);
    showColumns(table);
    $('setup').hidden = false;
  } catch (e) {
    say('loaded', problem(e), true);
  }
}

const isNumeric = (type: string) => /^(Int|Uint|Float|Bool)/.test(type);

/**
 * The columns of numbers a stray word made text, which `segkit segment` refuses naming the word's line: told here
 * too, since the page can only leave such a column out of the features.
 */
function strays(table: Table): string {
  const info = segkit.csvInfo(table);
  const found = [...(info?.textStats ?? [])].filter(([, s]) => s.numbers > s.texts);
  return found.map(([column, s]) => ` Column "${column}" is text, so no feature: line ${info!.line(s.row)} holds ${JSON.stringify(s.text)}, though ${s.numbers.toLocaleString('en-US')} of its ${(s.numbers + s.texts).toLocaleString('en-US')} values are numbers (correct the file to use it).`).join('');
}

function noValues(table: Table, name: string): boolean {
  const vec = table.getChild(name);
  if (!vec || table.numRows === 0) return false;
  if (vec.nullCount === table.numRows) return true;
  if (!String(vec.type).startsWith('Float')) return false;
  for (const v of vec) if (v !== null && v === v) return false;
  return true;
}

/**
 * One checkbox per column: numeric columns but the id are ticked, as `segkit segment` picks them: segkit's own
 * output columns and columns of empty cells alone (nothing to fit) are left out.
 */
function showColumns(table: Table): void {
  const fields = table.schema.fields;
  const id = fields.find((f) => ID_LIKE(f.name))?.name ?? '';
  const select = $<HTMLSelectElement>('id');
  select.replaceChildren(new Option('(none)', ''), ...fields.map((f) => new Option(f.name, f.name, false, f.name === id)));
  select.value = id;
  const box = $('columns');
  box.replaceChildren();
  const columns: string[] = [];
  const left: string[] = [];
  // segkit's output columns, and a segment column this page wrote under a free name (segment2 beside segment2_name)
  const own = new Set(segkit.segkitColumns(table));
  for (const f of fields) {
    const type = String(f.type);
    // no value in any row: nulls alone, or in a float column nulls and NaN (pyarrow's and Polars' missing value),
    // which `segkit segment` leaves out too
    const empty = noValues(table, f.name);
    // segkit's own output columns (a segmented file loaded again) and empty columns are never features by default, as
    // on the command line; the library's default would take them: they are excluded by name
    const out = own.has(f.name) || empty;
    const on = isNumeric(type) && f.name !== id && !out;
    if (on) columns.push(f.name);
    else if (out && isNumeric(type) && f.name !== id) left.push(f.name);
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = f.name;
    input.checked = on;
    input.disabled = !isNumeric(type);
    const type_ = document.createElement('span');
    type_.className = 'type';
    type_.textContent = type;
    label.append(input, ` ${f.name}`, type_);
    label.title = !isNumeric(type) ? `${f.name}: not numeric, never a feature here` : empty ? `${f.name}: empty cells only, no feature by default` : f.name;
    box.append(label);
  }
  defaults = { columns, id, left };
}

/** The pipeline options `segkit segment` uses by default, with the columns chosen here when they differ. */
function pipelineOptions(): PipelineOptions {
  const columns = Array.from($('columns').querySelectorAll<HTMLInputElement>('input:checked')).map((i) => i.value);
  const id = $<HTMLSelectElement>('id').value;
  // the ticked boxes are the features: named once they or the id differ from what the page chose (for another id,
  // the library's default would take every numeric column but that one, the first id's among them, ticked or not)
  const byName = columns.join('\u0000') !== defaults.columns.join('\u0000') || id !== defaults.id;
  return {
    ...(byName ? { columns } : defaults.left.length > 0 ? { exclude: defaults.left } : {}),
    ...(id !== defaults.id ? { id: id === '' ? null : id } : {}),
    scale: { method: 'standard' },
    impute: { strategy: 'median' },
    encode: false,
  };
}

type Fitted = SegmentationModel & { inertia?: number };

async function fit(data: Dataset, seed: number): Promise<{ model: Fitted; sweep?: ChooseKResult }> {
  const run = { executor, seed };
  const mode = (document.querySelector<HTMLInputElement>('input[name=kmode]:checked'))!.value;
  if (mode === 'auto') {
    const ks = Array.from({ length: K_RANGE[1] - K_RANGE[0] + 1 }, (_, i) => K_RANGE[0] + i).filter((k) => k < data.n);
    if (ks.length === 0) throw new Error(`k from ${K_RANGE[0]} to ${K_RANGE[1]} needs more rows than the ${data.n} there are`);
    const sweep = await segkit.chooseK(data, {
      ...run, kRange: ks, silhouetteSampleSize: EXACT_SILHOUETTE_ROWS, keepModels: true,
      onProgress: (p) => say('progress', `Choosing k: ${p.done} of ${ks.length} tried…`),
    });
    return { model: sweep.models!.get(sweep.recommendedK)! as Fitted, sweep };
  }
  const k = Number($<HTMLInputElement>('k').value);
  if (!Number.isInteger(k) || k < 2) throw new Error('k must be a whole number of at least 2');
  if (k >= data.n) throw new Error(`${k} segments need more than ${k} rows, the data has ${data.n}`);
  // the restarts `segkit segment --k` uses, so the labels are the same
  const model = await segkit.kmeans(data, { ...run, k, nInit: segkit.defaultRestarts(data.n), onProgress: (p) => say('progress', `Fitting k = ${k}: iteration ${p.iteration + 1}, inertia ${p.inertia.toPrecision(6)}…`) });
  return { model };
}

function summaries(profiles: SegmentProfiles): SegmentSummary[] {
  return profiles.segments.map((s) => ({
    id: s.id, name: s.name, size: s.size, share: s.share,
    means: Object.fromEntries(profiles.features.map((name, j) => [name, s.mean[j]])),
  }));
}

function freeName(table: Table, want: string): string {
  const taken = new Set(table.schema.fields.map((f) => f.name));
  let name = want;
  for (let i = 2; taken.has(name) || taken.has(`${name}_name`); i++) name = `${want}${i}`;
  return name;
}

async function segment(): Promise<void> {
  if (!loaded) return;
  const mine = loaded;
  const { table, name } = mine;
  // the last run's result and downloads go: a run that fails must not leave them beside its error
  $('result').hidden = true;
  outputs = undefined;
  const seed = Number($<HTMLInputElement>('seed').value);
  if (!Number.isSafeInteger(seed)) throw new Error('the seed must be a whole number');
  const started = performance.now();
  const run = { executor };
  say('progress', 'Preparing the features…');
  const options = pipelineOptions();
  const prep = segkit.pipeline(options);
  const { dataset, rowIndex } = await prep.fitTransform(table, run);
  // profiles describe segments in the customers' own units: the same selection and imputation, no scaling
  const profileData = (await segkit.pipeline({ ...options, scale: false }).fitTransform(table, run)).dataset;
  const { model, sweep } = await fit(dataset, seed);
  const { k, labels } = model;
  say('progress', 'Measuring how well the segments separate…');
  let silhouette: number;
  let samples: Float64Array | undefined;
  if (dataset.n > EXACT_SILHOUETTE_ROWS) silhouette = await segkit.silhouetteScore(dataset, labels, { ...run, sampleSize: EXACT_SILHOUETTE_ROWS, seed });
  else {
    samples = await segkit.silhouetteSamples(dataset, labels, run);
    silhouette = samples.reduce((a, b) => a + b, 0) / samples.length;
  }
  const row = sweep?.table.find((r) => r.k === k);
  const metrics = {
    silhouette,
    calinskiHarabasz: row?.calinskiHarabasz ?? (await segkit.calinskiHarabaszScore(dataset, labels, run)),
    daviesBouldin: row?.daviesBouldin ?? (await segkit.daviesBouldinScore(dataset, labels, run)),
    inertia: row?.inertia ?? model.inertia ?? (await segkit.inertia(dataset, labels, run)),
  };
  const profiles = segkit.profileSegments(profileData, labels, k);
  const segments = summaries(profiles);
  const names = segments.map((s) => s.name);

  say('progress', 'Drawing the report…');
  const full = new Int32Array(table.numRows).fill(-1);
  for (let i = 0; i < rowIndex.length; i++) full[rowIndex[i]] = labels[i];
  const column = freeName(table, 'segment');
  const out = segkit.withColumns(table, { [column]: full, [`${column}_name`]: Array.from(full, (l) => (l >= 0 ? names[l] : null)) });
  const saved = new segkit.SegmentModel({ pipeline: prep, model, segments });
  const report = await segkit.buildReport({
    title: 'Customer segments', data: profileData, labels, centroids: profiles.segments.map((s) => s.mean), k, profiles, metrics, seed,
    ...(sweep ? { kSweep: sweep.table, recommendation: sweep.reason } : {}),
    ...(samples ? { silhouetteSamples: samples } : {}),
  });
  // another file was picked while this one ran: its result would stand under that file's columns
  if (loaded !== mine) {
    say('progress', '');
    document.documentElement.dataset.state = 'ready';
    return;
  }
  outputs = { segments: new TextEncoder().encode(segkit.writeCsv(out)), model: `${JSON.stringify(saved.toJSON())}\n`, report, base: name.replace(/\.[^.]+$/, '') };

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say('progress', '');
  say('summary', `${dataset.n.toLocaleString('en-US')} customers, ${dataset.d} features (${dataset.names.join(', ')}): ${k} segments.${sweep ? ` Choosing k from ${sweep.table[0].k} to ${sweep.table[sweep.table.length - 1].k}: ${sweep.reason}` : ''} Silhouette ${silhouette.toFixed(3)}. ${seconds} s on ${threads} thread${threads > 1 ? 's' : ''}.`);
  showReport(report);
  $('result').hidden = false;
  document.documentElement.dataset.state = 'done';
}

/** The report's own styles and body, in a shadow root so they style nothing else on the page. */
function showReport(html: string): void {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const host = $('report');
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  root.replaceChildren(...[...Array.from(doc.head.querySelectorAll('style')), ...Array.from(doc.body.childNodes)].map((n) => document.importNode(n, true)));
}

function download(file: string, type: string, content: BlobPart): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** An error as the page shows it: a SegkitError's message ends with its hint already. */
function problem(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return `${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}`;
}

function wire(): void {
  const input = $<HTMLInputElement>('file');
  input.addEventListener('change', () => input.files?.[0] && pick(input.files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) void pick(file);
  });
  // a column picked as the id is no feature: its box is unticked (and can be ticked again)
  $<HTMLSelectElement>('id').addEventListener('change', (e) => {
    const name = (e.target as HTMLSelectElement).value;
    for (const box of Array.from($('columns').querySelectorAll<HTMLInputElement>('input'))) if (box.value === name) box.checked = false;
  });
  $('setup').addEventListener('submit', (e) => {
    e.preventDefault();
    const button = $<HTMLButtonElement>('run');
    button.disabled = true;
    document.documentElement.dataset.state = 'running';
    segment()
      .catch((err) => {
        say('progress', problem(err), true);
        document.documentElement.dataset.state = 'failed';
      })
      .finally(() => (button.disabled = false));
  });
  $('get-segments').addEventListener('click', () => outputs && download(`${outputs.base}-segments.csv`, 'text/csv', outputs.segments as Uint8Array<ArrayBuffer>));
  $('get-model').addEventListener('click', () => outputs && download(`${outputs.base}-model.json`, 'application/json', outputs.model));
  $('get-report').addEventListener('click', () => outputs && download(`${outputs.base}-report.html`, 'text/html', outputs.report));
}

wire();
start().catch((e) => {
  say('engine', `Could not start: ${problem(e)}`, true);
  document.documentElement.dataset.state = 'failed';
});
