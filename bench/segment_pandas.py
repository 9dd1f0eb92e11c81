"""The pandas + scikit-learn side of `segkit segment`: read_csv, median imputer, standard scaler, KMeans (n_init=1),
to_csv with the segment column. Saves the fitted pipeline (joblib) for score_pandas.py.
Usage: /usr/bin/python3 bench/segment_pandas.py IN.csv OUT.csv MODEL.joblib [k] [seed]"""
import json
import sys
import time

import joblib
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

src, out, model_path = sys.argv[1], sys.argv[2], sys.argv[3]
k = int(sys.argv[4]) if len(sys.argv) > 4 else 8
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
t0 = time.perf_counter()
df = pd.read_csv(src)
features = [c for c in df.columns if c != "customer_id" and pd.api.types.is_numeric_dtype(df[c])]
prep = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
X = prep.fit_transform(df[features])
km = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(X)
df["segment"] = km.labels_
df.to_csv(out, index=False)
joblib.dump({"features": features, "prep": prep, "kmeans": km}, model_path)
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": len(df), "features": len(features), "iterations": int(km.n_iter_), "inertia": float(km.inertia_)}))
