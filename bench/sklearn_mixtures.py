#!/usr/bin/python3
"""scikit-learn timings for the mixture, mini-batch and k-means|| benchmarks (Debian's python3-sklearn).

Usage: /usr/bin/python3 bench/sklearn_mixtures.py WORKLOAD [--n N] [--d D] [--k K] [--threads T] [--iters I] [--batch B]
WORKLOAD: gmm-full | gmm-diag   seconds per EM iteration: (fit with iters + 1 iterations - fit with 1) / iters,
                                both from the same cheap start (init_params='random'), tol 0
          minibatch             MiniBatchKMeans, batch B, max_iter 1 (n / B steps), no early stop, labels computed;
                                seconds per step (whole fit / steps) and the inertia
          kmeans-plusplus       sklearn.cluster.kmeans_plusplus: seconds
Prints one JSON line. Data: make_blobs(n, d, k centres in [-5, 5], std 2, random_state 0), float32.
"""
import argparse, json, os, time

ap = argparse.ArgumentParser()
ap.add_argument("workload")
ap.add_argument("--n", type=int, default=100_000)
ap.add_argument("--d", type=int, default=16)
ap.add_argument("--k", type=int, default=8)
ap.add_argument("--threads", type=int, default=os.cpu_count())
ap.add_argument("--iters", type=int, default=10)
ap.add_argument("--batch", type=int, default=1024)
a = ap.parse_args()
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[v] = str(a.threads)

import warnings
import numpy as np
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

warnings.filterwarnings("ignore")
X, _ = make_blobs(n_samples=a.n, n_features=a.d, centers=a.k, cluster_std=2.0, center_box=(-5, 5), random_state=0)
X = X.astype(np.float32)

with threadpool_limits(limits=a.threads):
    from sklearn import cluster, mixture
    w = a.workload
    if w in ("gmm-full", "gmm-diag"):
        ct = w.split("-")[1]
        def fit(iters):
            g = mixture.GaussianMixture(a.k, covariance_type=ct, init_params="random", max_iter=iters, tol=0, random_state=0)
            t = time.perf_counter(); g.fit(X); return time.perf_counter() - t, g.n_iter_
        fit(1)
        t1, _ = fit(1)
        tn, n_iter = fit(a.iters + 1)
        out = {"seconds": (tn - t1) / (n_iter - 1), "result": {"n_iter": int(n_iter)}}
    elif w == "minibatch":
        init = X[np.random.default_rng(0).choice(a.n, a.k, replace=False)]
        m = cluster.MiniBatchKMeans(a.k, init=init, n_init=1, batch_size=a.batch, max_iter=1, max_no_improvement=None,
                                    random_state=0, compute_labels=True, reassignment_ratio=0.01)
        t = time.perf_counter(); m.fit(X); s = time.perf_counter() - t
        out = {"seconds": s / m.n_steps_, "result": {"n_steps": int(m.n_steps_), "fit_seconds": s, "inertia": float(m.inertia_)}}
    elif w == "kmeans-plusplus":
        t = time.perf_counter(); cluster.kmeans_plusplus(X, a.k, random_state=0); s = time.perf_counter() - t
        out = {"seconds": s, "result": {}}
    else:
        raise SystemExit(f"unknown workload {w}")

print(json.dumps({"workload": a.workload, "n": a.n, "d": a.d, "k": a.k, "threads": a.threads, **out}))
