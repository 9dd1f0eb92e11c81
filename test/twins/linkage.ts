// Scalar twins of the linkage kernels: SciPy's algorithms written plainly over a full distance matrix (float64,
// summed feature by feature), so merges can be compared exactly. For tests only.

function distances(X: number[][]): number[][] {
  return X.map((a) => X.map((b) => {
    let s = 0;
    for (let j = 0; j < a.length; j++) { const t = a[j] - b[j]; s += t * t; }
    return s;
  }));
}

/** SciPy's mst_single_linkage: (previous point, new point, distance) in Prim's order. */
export function primSingleTwin(X: number[][]): number[][] {
  const n = X.length, D = distances(X).map((r) => r.map(Math.sqrt));
  const merged = new Array<boolean>(n).fill(false), dmin = new Array<number>(n).fill(Infinity);
  const out: number[][] = [];
  let x = 0;
  for (let k = 0; k < n - 1; k++) {
    merged[x] = true;
    let best = Infinity, y = 0;
    for (let i = 0; i < n; i++) {
      if (merged[i]) continue;
      if (dmin[i] > D[x][i]) dmin[i] = D[x][i];
      if (dmin[i] < best) { best = dmin[i]; y = i; }
    }
    out.push([x, y, best]);
    x = y;
  }
  return out;
}

/** SciPy's nn_chain for Ward on the matrix of squared Ward distances (merging from centroids): slots, squared height. */
export function wardChainTwin(X: number[][]): number[][] {
  const n = X.length, d = X[0]?.length ?? 0;
  const cent = X.map((r) => [...r]), size = new Array<number>(n).fill(1);
  const ward = (a: number, b: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) { const t = cent[a][j] - cent[b][j]; s += t * t; }
    return ((2 * size[a] * size[b]) / (size[a] + size[b])) * s;
  };
  const chain: number[] = [];
  const out: number[][] = [];
  for (let k = 0; k < n - 1; k++) {
    if (chain.length === 0) chain.push(size.findIndex((s) => s > 0));
    let x = 0, y = 0, best = 0;
    for (;;) {
      x = chain[chain.length - 1];
      if (chain.length > 1) { y = chain[chain.length - 2]; best = ward(x, y); } else best = Infinity;
      for (let i = 0; i < n; i++) {
        if (size[i] === 0 || i === x) continue;
        const v = ward(x, i);
        if (v < best) { best = v; y = i; }
      }
      if (chain.length > 1 && y === chain[chain.length - 2]) break;
      chain.push(y);
    }
    chain.length -= 2;
    if (x > y) [x, y] = [y, x];
    out.push([x, y, best]);
    const tot = size[x] + size[y];
    for (let j = 0; j < d; j++) cent[y][j] = (size[x] * cent[x][j] + size[y] * cent[y][j]) / tot;
    size[y] = tot;
    size[x] = 0;
  }
  return out;
}
