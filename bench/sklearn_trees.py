#!/usr/bin/python3
"""scikit-learn's DecisionTreeClassifier / RandomForestClassifier on a data file written by bench/treeData.mjs.

Usage: /usr/bin/python3 bench/sklearn_trees.py tree|forest FILE [--depth D] [--trees N] [--jobs J]
Prints one JSON line: {"workload", "seconds", "accuracy", "peakMB"}.
"""
import argparse, json, os, resource, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("workload")
ap.add_argument("file")
ap.add_argument("--depth", type=int, default=None)
ap.add_argument("--trees", type=int, default=100)
ap.add_argument("--jobs", type=int, default=2)
a = ap.parse_args()
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[v] = "1"

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

raw = np.fromfile(a.file, dtype=np.uint8)
n, test, d = np.frombuffer(raw[:12].tobytes(), dtype=np.int32)
rows = n + test
X = np.frombuffer(raw[12:12 + rows * d * 4].tobytes(), dtype=np.float32).reshape(rows, d)
y = np.frombuffer(raw[12 + rows * d * 4:12 + rows * d * 4 + rows * 4].tobytes(), dtype=np.int32)
if a.workload == "tree":
    m = DecisionTreeClassifier(max_depth=a.depth or 6, random_state=0)
else:
    m = RandomForestClassifier(n_estimators=a.trees, max_depth=a.depth, n_jobs=a.jobs, random_state=0)
t = time.perf_counter()
m.fit(X[:n], y[:n])
s = time.perf_counter() - t
acc = float((m.predict(X[n:]) == y[n:]).mean()) if test else None
print(json.dumps({"workload": a.workload, "seconds": s, "accuracy": acc,
                  "peakMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
