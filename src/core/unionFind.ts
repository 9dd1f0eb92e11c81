/**
 * Disjoint sets over 0..n-1 (Tarjan's union-find with path halving); a union makes the smaller root the parent,
 * so the sets and their roots never depend on the order in which edges of one set arrive.
 */
export class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n).fill(-1);
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] >= 0) {
      const up = p[x];
      if (p[up] >= 0) p[x] = p[up];
      x = up;
    }
    return x;
  }

  /** Joins the sets of a and b; true when they were apart. */
  union(a: number, b: number): boolean {
    const ra = this.find(a), rb = this.find(b);
    if (ra === rb) return false;
    if (ra < rb) this.parent[rb] = ra;
    else this.parent[ra] = rb;
    return true;
  }
}
