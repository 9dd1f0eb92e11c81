#!/usr/bin/python3
"""The anchor for bench/compare.bench.mjs: the same statistics with NumPy, SciPy and pandas on the same bytes.

Per feature: np.quantile deciles, PSI by np.searchsorted/np.bincount, scipy.stats.ks_2samp (auto: asymp above
10,000 rows); the migration by a pandas merge on the id. Segment labels are not recomputed (k-means predict is
benchmarked elsewhere). Prints one JSON line: seconds, per-feature KS statistics and PSI.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats

folder, d = sys.argv[1], int(sys.argv[2])
data = {}
for tag in ("before", "after"):
    ids = np.fromfile(f"{folder}/{tag}.ids", dtype=np.int32)
    X = np.fromfile(f"{folder}/{tag}.f32", dtype=np.float32).reshape(d, ids.size)
    data[tag] = (ids, X)
t = time.perf_counter()
ks, psi = [], []
(ib, Xb), (ia, Xa) = data["before"], data["after"]
for j in range(d):
    b, a = Xb[j], Xa[j]
    edges = np.quantile(b, np.arange(1, 10) / 10.0)
    cb = np.bincount(np.searchsorted(edges, b, side="left"), minlength=10)
    ca = np.bincount(np.searchsorted(edges, a, side="left"), minlength=10)
    pb = np.where(cb == 0, 1e-4, cb / b.size)
    pa = np.where(ca == 0, 1e-4, ca / a.size)
    psi.append(float(((pa - pb) * np.log(pa / pb)).sum()))
    ks.append(float(stats.ks_2samp(b, a).statistic))
merged = pd.merge(pd.DataFrame({"id": ib, "row_b": np.arange(ib.size)}), pd.DataFrame({"id": ia, "row_a": np.arange(ia.size)}), on="id", how="outer")
seconds = time.perf_counter() - t
print(json.dumps({"what": "numpy quantile + searchsorted PSI, scipy ks_2samp, pandas merge on id", "seconds": seconds, "ks": ks, "psi": psi, "matched": int(merged.dropna().shape[0])}))
