"""The pandas + scikit-learn side of `segkit score`: read_csv, the saved imputer + scaler + KMeans predict, to_csv.
Usage: /usr/bin/python3 bench/score_pandas.py IN.csv MODEL.joblib OUT.csv"""
import json
import sys
import time

import joblib
import pandas as pd

src, model_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
m = joblib.load(model_path)
df = pd.read_csv(src)
df["segment"] = m["kmeans"].predict(m["prep"].transform(df[m["features"]]))
df.to_csv(out, index=False)
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": len(df)}))
