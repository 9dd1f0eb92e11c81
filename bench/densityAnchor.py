#!/usr/bin/python3
"""The Python anchors of the density and hierarchy benchmarks, on the very rows segkit clusters.

Usage: /usr/bin/python3 bench/densityAnchor.py WORKLOAD FILE N D [PARAMS_JSON]
FILE holds N x D float32 values, row-major (written by the JavaScript side). WORKLOAD:
  dbscan           scikit-learn DBSCAN(eps, min_samples) (algorithm 'auto': a kd-tree below 16 features)
  ward | single    fastcluster.linkage_vector(X, method)
  scipy-ward       scipy.cluster.hierarchy.linkage(X, 'ward')
Prints one JSON line: seconds of the fit alone, peak RSS of the process (ru_maxrss) and the RSS before the fit, and
a digest of the result (cluster count and noise; or the sum of merge heights).
"""
import json, os, resource, sys, time

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(v, "1")
import numpy as np

workload, path, n, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
params = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
X = np.fromfile(path, dtype=np.float32).reshape(n, d).astype(np.float64)


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


before = rss_mb()
t = time.perf_counter()
c = time.process_time()
if workload == "dbscan":
    from sklearn.cluster import DBSCAN
    db = DBSCAN(eps=params["eps"], min_samples=params["min_samples"]).fit(X)
    seconds = time.perf_counter() - t
    lab = db.labels_
    result = {"clusters": int(lab.max() + 1), "noise": int((lab == -1).sum()), "core": int(len(db.core_sample_indices_))}
elif workload in ("ward", "single"):
    import fastcluster
    Z = fastcluster.linkage_vector(X, method=workload)
    seconds = time.perf_counter() - t
    result = {"heights_sum": float(Z[:, 2].sum()), "last_height": float(Z[-1, 2])}
elif workload == "scipy-ward":
    from scipy.cluster.hierarchy import linkage
    Z = linkage(X, "ward")
    seconds = time.perf_counter() - t
    result = {"heights_sum": float(Z[:, 2].sum()), "last_height": float(Z[-1, 2])}
else:
    sys.exit("unknown workload " + workload)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
cpu = time.process_time() - c
print(json.dumps({"workload": workload, "n": n, "d": d, "seconds": seconds, "cpuSeconds": cpu, "peakMB": peak, "beforeMB": before, "result": result}))
