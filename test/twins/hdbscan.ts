// A plain O(n^2) HDBSCAN written from the papers' definitions (Campello, Moulavi & Sander 2013, with the
// conventions of McInnes, Healy & Astels 2017), sharing no code with src/: every pairwise distance, Prim's
// algorithm on the complete mutual-reachability graph, and the cluster tree found by deleting the tree's edges
// from the heaviest down. For tests only.

export interface TwinResult {
  labels: number[];
  probabilities: number[];
  outlierScores: number[];
  core: number[];
  /** Stability of each selected cluster, in label order. */
  stability: number[];
  /** The spanning tree's edges as [weight, lower row, higher row], in the strict edge order. */
  edges: [number, number, number][];
}

/** Edge order: weight, then lower row, then higher row (a strict order, so the spanning tree is unique). */
const before = (a: [number, number, number], b: [number, number, number]): boolean =>
  a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])));

export function hdbscanTwin(rows: number[][], minClusterSize: number, minSamples: number, method: 'eom' | 'leaf'): TwinResult {
  const n = rows.length;
  const X = rows.map((r) => r.map(Math.fround));
  const dist = (i: number, j: number): number => {
    let s = 0;
    for (let f = 0; f < X[i].length; f++) { const t = X[i][f] - X[j][f]; s += t * t; }
    return Math.sqrt(s);
  };
  // core distance: to the minSamples-th nearest row, the row itself included
  const core = X.map((_, i) => X.map((__, j) => dist(i, j)).sort((a, b) => a - b)[minSamples - 1]);
  const mrd = (i: number, j: number): number => Math.max(core[i], core[j], dist(i, j));

  // Prim on the complete graph
  const inTree = new Array<boolean>(n).fill(false);
  const link: ([number, number, number] | null)[] = new Array(n).fill(null);
  const edges: [number, number, number][] = [];
  inTree[0] = true;
  for (let j = 1; j < n; j++) link[j] = [mrd(0, j), 0, j];
  for (let step = 1; step < n; step++) {
    let pick = -1;
    for (let j = 0; j < n; j++) if (!inTree[j] && (pick < 0 || before(link[j]!, link[pick]!))) pick = j;
    edges.push(link[pick]!);
    inTree[pick] = true;
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const e: [number, number, number] = [mrd(pick, j), Math.min(pick, j), Math.max(pick, j)];
      if (before(e, link[j]!)) link[j] = e;
    }
  }

  // the cluster tree, top down: delete edges from the heaviest
  interface Cluster { birth: number; parent: number; children: number[]; rows: { lambda: number; size: number }[] }
  const clusters: Cluster[] = [{ birth: 0, parent: -1, children: [], rows: [] }];
  const live = new Array<boolean>(edges.length).fill(true);
  const owner = new Array<number>(n).fill(0); // the cluster each row is in, while it is in one
  const leftAt = new Array<number>(n).fill(NaN); // lambda at which the row left
  const leftFrom = new Array<number>(n).fill(-1);
  const order = edges.map((_, e) => e).sort((e, f) => (before(edges[e], edges[f]) ? 1 : -1));
  const side = (start: number): number[] => {
    const seen = new Set([start]);
    const queue = [start];
    for (let h = 0; h < queue.length; h++) {
      for (let e = 0; e < edges.length; e++) {
        if (!live[e]) continue;
        const [, a, b] = edges[e];
        const other = a === queue[h] ? b : b === queue[h] ? a : -1;
        if (other >= 0 && !seen.has(other)) { seen.add(other); queue.push(other); }
      }
    }
    return queue;
  };
  for (const e of order) {
    live[e] = false;
    const [w, a, b] = edges[e];
    const c = owner[a];
    if (c < 0) continue;
    const lambda = w > 0 ? 1 / w : Infinity;
    const A = side(a), B = side(b);
    const leave = (pts: number[]) => {
      for (const p of pts) { owner[p] = -1; leftAt[p] = lambda; leftFrom[p] = c; clusters[c].rows.push({ lambda, size: 1 }); }
    };
    const big = (s: number[]) => s.length >= minClusterSize;
    if (big(A) && big(B)) {
      for (const part of [A, B]) {
        const id = clusters.length;
        clusters.push({ birth: lambda, parent: c, children: [], rows: [] });
        clusters[c].children.push(id);
        clusters[c].rows.push({ lambda, size: part.length });
        for (const p of part) owner[p] = id;
      }
    } else if (!big(A) && !big(B)) {
      leave(A);
      leave(B);
    } else {
      leave(big(A) ? B : A);
    }
  }
  const stab = clusters.map((c) => c.rows.reduce((s, r) => s + (r.lambda - c.birth) * r.size, 0));

  // selection
  const chosen = new Set<number>();
  if (method === 'leaf') {
    clusters.forEach((c, id) => { if (id > 0 && c.children.length === 0) chosen.add(id); });
  } else {
    const best = (id: number): { value: number; pick: number[] } => {
      const kids = clusters[id].children.map(best);
      const sum = kids.reduce((s, k) => s + k.value, 0);
      if (id > 0 && !(sum > stab[id])) return { value: stab[id], pick: [id] };
      return { value: sum, pick: kids.flatMap((k) => k.pick) };
    };
    for (const id of best(0).pick) chosen.add(id);
  }
  const picked = [...chosen].sort((a, b) => a - b);
  const labelOf = new Map(picked.map((id, l) => [id, l]));

  const directMax = clusters.map((c) => c.rows.reduce((m, r) => Math.max(m, r.lambda), 0));
  const subtreeMax = (id: number): number => Math.max(directMax[id], ...clusters[id].children.map(subtreeMax));
  const labels: number[] = [], probabilities: number[] = [], outlierScores: number[] = [];
  for (let p = 0; p < n; p++) {
    let c = leftFrom[p];
    while (c >= 0 && !chosen.has(c)) c = clusters[c].parent;
    const l = c >= 0 ? labelOf.get(c)! : -1;
    labels.push(l);
    const lam = leftAt[p];
    if (l < 0) probabilities.push(0);
    else {
      const max = directMax[c];
      probabilities.push(max === 0 || !Number.isFinite(lam) ? 1 : Math.min(lam, max) / max);
    }
    const top = subtreeMax(leftFrom[p]);
    outlierScores.push(!Number.isFinite(lam) ? 0 : top === Infinity ? 1 : top === 0 ? 0 : (top - lam) / top);
  }
  const tree = [...edges].sort((e, f) => (before(e, f) ? -1 : 1));
  return { labels, probabilities, outlierScores, core, stability: picked.map((id) => stab[id]), edges: tree };
}
