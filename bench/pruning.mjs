// How much each bound scheme prunes, per Lloyd iteration, on blobs and on the skewed customer-like set: the measurement
// behind the assignment kernel's design. Exact float64 Lloyd from the same random rows as the benchmarks; counts, not
// times. Centres are computed in SIMD units of 4 (a row that needs one centre of a unit computes all four).
// Bounds: one lower bound (Hamerly 2010), one per group of 4 centres (Yinyang, Ding et al. 2015), one per centre
// (Elkan 2003); moved every iteration, or kept from the iteration they were computed and moved by each centre's
// whole displacement since ("ns", Newling & Fleuret 2016), which leaves settled rows unwritten.
// Usage: node bench/pruning.mjs [--n 200000] [--d 16] [--k 8] [--data blobs|skewed]
import { parseArgs } from 'node:util';
import { createRandom } from '../dist/index.js';
import { blobs } from './blobs.mjs';
import { skewed } from './skewed.mjs';

const { values } = parseArgs({ options: { n: { type: 'string', default: '200000' }, d: { type: 'string', default: '16' }, k: { type: 'string', default: '8' }, data: { type: 'string', default: 'blobs' }, maxIter: { type: 'string', default: '300' } } });
const n = Number(values.n), d = Number(values.d), k = Number(values.k);
const data = values.data === 'skewed' ? skewed(n, d, 0) : blobs(n, d, k, 0);
const X = new Float64Array(n * d);
for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) X[i * d + j] = data.columns[j][i];
const pick = createRandom(0);
const chosen = new Set();
while (chosen.size < k) chosen.add(pick.int(n));
const init = new Float64Array(k * d);
[...chosen].forEach((r, t) => { for (let j = 0; j < d; j++) init[t * d + j] = X[r * d + j]; });
let varSum = 0;
for (let j = 0; j < d; j++) { let s = 0, q = 0; for (let i = 0; i < n; i++) { s += X[i * d + j]; q += X[i * d + j] ** 2; } varSum += q / n - (s / n) ** 2; }
const tolAbs = 1e-4 * varSum / d;

const dist = (i, C, c) => { let s = 0; for (let j = 0; j < d; j++) { const v = X[i * d + j] - C[c * d + j]; s += v * v; } return Math.sqrt(s); };
const cdist = (A, a, B, b) => { let s = 0; for (let j = 0; j < d; j++) { const v = A[a * d + j] - B[b * d + j]; s += v * v; } return Math.sqrt(s); };

// units of 4 centres: each takes an unused centre and its 3 nearest unused ones (initial centres)
function unitsOf(C) {
  const used = new Set(), out = [];
  for (let c = 0; c < k; c++) {
    if (used.has(c)) continue;
    const rest = [];
    for (let o = 0; o < k; o++) if (!used.has(o) && o !== c) rest.push(o);
    rest.sort((a, b) => cdist(C, c, C, a) - cdist(C, c, C, b));
    const g = [c, ...rest.slice(0, 3)];
    g.forEach((x) => used.add(x));
    out.push(g);
  }
  return out;
}

function recenter(labels) {
  const S = new Float64Array(k * d), W = new Float64Array(k);
  for (let i = 0; i < n; i++) { const a = labels[i]; W[a]++; for (let j = 0; j < d; j++) S[a * d + j] += X[i * d + j]; }
  const C = new Float64Array(k * d);
  for (let t = 0; t < k; t++) for (let j = 0; j < d; j++) C[t * d + j] = W[t] ? S[t * d + j] / W[t] : 0;
  return C;
}

// bound: 'hamerly' | 'groups' | 'elkan'
function run(bound, ns) {
  let C = Float64Array.from(init);
  const units = unitsOf(C);
  const U = units.length;
  const uOf = new Int32Array(k);
  units.forEach((g, q) => g.forEach((c) => (uOf[c] = q)));
  // bound sets: lists of centres sharing one lower bound
  const sets = bound === 'hamerly' ? [Array.from({ length: k }, (_, c) => c)] : bound === 'groups' ? units : Array.from({ length: k }, (_, c) => [c]);
  const t = sets.length;
  const labels = new Int32Array(n), tau = new Int32Array(n), u = new Float64Array(n), lb = new Float64Array(n * t);
  const hist = [Float64Array.from(C)];
  const touchedPct = [100], unitsPct = [100];
  const dd = new Float64Array(k);
  const setBounds = (i, a) => {
    for (let q = 0; q < t; q++) { let m = Infinity; for (const c of sets[q]) if (c !== a && !Number.isNaN(dd[c])) m = Math.min(m, dd[c]); lb[i * t + q] = m; }
  };
  for (let i = 0; i < n; i++) {
    let b = Infinity, a = 0;
    for (let c = 0; c < k; c++) { dd[c] = dist(i, C, c); if (dd[c] < b) { b = dd[c]; a = c; } }
    labels[i] = a; u[i] = b; setBounds(i, a);
  }
  let it;
  for (it = 1; it <= Number(values.maxIter); it++) {
    const next = recenter(labels);
    let shift = 0;
    for (let q = 0; q < k * d; q++) shift += (next[q] - C[q]) ** 2;
    const prev = C;
    C = next;
    hist.push(Float64Array.from(C));
    const P = ns ? hist.map((H) => Float64Array.from({ length: k }, (_, c) => cdist(C, c, H, c))) : null;
    const step = Float64Array.from({ length: k }, (_, c) => cdist(C, c, prev, c));
    const half = Float64Array.from({ length: k }, (_, c) => { let m = Infinity; for (let o = 0; o < k; o++) if (o !== c) m = Math.min(m, cdist(C, c, C, o)); return m / 2; });
    let touched = 0, unitsDone = 0, changed = 0;
    const ln = new Float64Array(t);
    const need = new Uint8Array(U);
    for (let i = 0; i < n; i++) {
      const a = labels[i];
      const disp = ns ? P[tau[i]] : step;
      let un = u[i] + disp[a];
      let lmin = Infinity;
      for (let q = 0; q < t; q++) { let m = 0; for (const c of sets[q]) if (c !== a && disp[c] > m) m = disp[c]; ln[q] = lb[i * t + q] - m; lmin = Math.min(lmin, ln[q]); }
      if (un < Math.max(half[a], lmin)) {
        if (!ns) { u[i] = un; lb.set(ln, i * t); }
        continue;
      }
      touched++;
      // the own unit first (the exact distance to the own centre), then units with a centre the exact bound does not clear
      dd.fill(NaN);
      need.fill(0);
      need[uOf[a]] = 1;
      for (const c of units[uOf[a]]) dd[c] = dist(i, C, c);
      un = dd[a];
      for (let q = 0; q < t; q++) if (ln[q] <= un) for (const c of sets[q]) need[uOf[c]] = 1;
      for (let g = 0; g < U; g++) if (need[g]) { unitsDone++; if (g !== uOf[a]) for (const c of units[g]) dd[c] = dist(i, C, c); }
      let b = Infinity, na = a;
      for (let c = 0; c < k; c++) if (dd[c] < b) { b = dd[c]; na = c; }
      if (na !== a) changed++;
      labels[i] = na; u[i] = b; tau[i] = it;
      // a set not computed keeps its moved bound (its centres were cleared, so it holds neither label)
      for (let q = 0; q < t; q++) {
        if (sets[q].some((c) => Number.isNaN(dd[c]))) { lb[i * t + q] = sets[q].every((c) => Number.isNaN(dd[c]) || c === na) ? ln[q] : Math.min(ln[q], ...sets[q].filter((c) => c !== na && !Number.isNaN(dd[c])).map((c) => dd[c])); }
        else { let m = Infinity; for (const c of sets[q]) if (c !== na) m = Math.min(m, dd[c]); lb[i * t + q] = m; }
      }
    }
    touchedPct.push(100 * touched / n);
    unitsPct.push(100 * unitsDone / (n * U));
    if (changed === 0 || shift <= tolAbs) break;
  }
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  const fmt = (a) => a.slice(0, 14).map((v) => v.toFixed(0)).join(' ');
  const name = `${bound}${ns ? ' ns' : ''} (${t} bound${t > 1 ? 's' : ''})`;
  console.log(`${name.padEnd(26)} ${String(it).padStart(3)} iters  rows touched ${mean(touchedPct).toFixed(1).padStart(5)}%  units ${mean(unitsPct).toFixed(1).padStart(5)}%  | per iteration, touched: ${fmt(touchedPct)}`);
  console.log(`${''.padEnd(74)}units:   ${fmt(unitsPct)}`);
}

console.log(`${values.data} ${n} x ${d}, k = ${k}, tol 1e-4, init = ${k} random rows; % of a plain Lloyd pass, mean over iterations`);
for (const ns of [false, true]) {
  run('hamerly', ns);
  if (k > 4) run('groups', ns);
  run('elkan', ns);
}
