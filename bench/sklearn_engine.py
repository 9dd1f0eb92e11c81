#!/usr/bin/python3
"""scikit-learn's side of bench/engine.bench.mjs: the same float32 bytes and the same initial centres as segkit.

Usage: /usr/bin/python3 sklearn_engine.py WORKLOAD --data X.f32 --n N --d D --k K [--centres C.f64] [--threads 2]
         [--repeats 3] [--labels OUT.i32] [--seed 0]
WORKLOAD: fit       KMeans(init=centres, n_init=1, tol=1e-4, algorithm='lloyd')
          fit-pp    KMeans(init='k-means++', n_init=1, tol=1e-4, random_state=seed, algorithm='lloyd')
          predict   predict on X with the model of `fit` (the data is already a float32 numpy array)
X.f32 is n x d float32, row-major; C.f64 is k x d float64. Prints one JSON line: median seconds of the repeats,
iterations, inertia, and the peak resident memory the first timed call added (MB).
"""
import argparse, json, os, resource, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("workload")
ap.add_argument("--data", required=True)
ap.add_argument("--n", type=int, required=True)
ap.add_argument("--d", type=int, required=True)
ap.add_argument("--k", type=int, required=True)
ap.add_argument("--centres")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--labels")
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[v] = str(a.threads)

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


X = np.fromfile(a.data, dtype=np.float32).reshape(a.n, a.d)
init = np.fromfile(a.centres, dtype=np.float64).reshape(a.k, a.d) if a.centres else None

with threadpool_limits(limits=a.threads):
    def make(kind):
        if kind == "pp":
            return KMeans(a.k, init="k-means++", n_init=1, tol=1e-4, random_state=a.seed, algorithm="lloyd")
        return KMeans(a.k, init=init, n_init=1, tol=1e-4, algorithm="lloyd")

    # warm-up: imports, thread pool, code paths
    KMeans(2, n_init=1, max_iter=2).fit(X[:1000])
    times, model, added = [], None, None
    if a.workload == "predict":
        model = make("fixed").fit(X)
    for r in range(a.repeats):
        base = rss_mb()
        t = time.perf_counter()
        if a.workload == "predict":
            labels = model.predict(X)
        else:
            model = make("pp" if a.workload == "fit-pp" else "fixed").fit(X)
        times.append(time.perf_counter() - t)
        if added is None:
            added = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
    if a.labels:
        (labels if a.workload == "predict" else model.labels_).astype(np.int32).tofile(a.labels)
    times.sort()
    out = {"workload": a.workload, "seconds": times[len(times) // 2], "all": times, "addedMB": added}
    if a.workload != "predict":
        out.update({"n_iter": int(model.n_iter_), "inertia": float(model.inertia_)})
    print(json.dumps(out))
