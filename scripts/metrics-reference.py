#!/usr/bin/env python3
"""Writes Tests/EvaluationTests/Fixtures/metrics-reference.json: independent reference values for the
Evaluation module's metrics, computed with scikit-learn, numpy, scipy and PyTorch.

- ROC AUC (`roc_auc_score`) and ROC points (`roc_curve`, drop_intermediate=True) on cases with
  ties, constant scores, perfect and inverted rankings, logits, and classes with no positive or
  no negative image (scikit-learn refuses or returns NaN there: the fixture says "undefined");
- AUC with integer sample weights (what one bootstrap resample is);
- numpy's default (linear) percentiles;
- PyTorch's bilinear resize (align_corners=False) of a small heatmap;
- scipy's 8-connected component labelling (3x3 structure) with each region's bounding slice
  and pixel count.

Run from the repository root: python3 scripts/metrics-reference.py
The Swift tests read the committed JSON; they never run Python.
"""
import json
import os
import sys
import warnings

import numpy as np
import scipy.ndimage as ndimage
import sklearn
from sklearn.metrics import roc_auc_score, roc_curve
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "EvaluationTests", "Fixtures",
                   "metrics-reference.json")
rng = np.random.default_rng(20170520)


def auc_case(name, scores, labels):
    scores = [float(s) for s in scores]
    labels = [bool(l) for l in labels]
    case = {"name": name, "scores": scores, "labels": labels}
    y = np.array(labels, dtype=int)
    if y.min() == y.max():
        # Older scikit-learn raises ValueError here; 1.9 warns and returns NaN. Either way: undefined.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = roc_auc_score(y, scores)
                message = "; ".join(str(w.message) for w in caught)
                if not np.isnan(value):
                    raise SystemExit(f"{name}: expected no AUC from scikit-learn for one class, got {value}")
            except ValueError as error:
                message = str(error)
        case["auc"] = "undefined"
        case["sklearn_message"] = message
        return case
    case["auc"] = float(roc_auc_score(y, scores))
    fpr, tpr, thresholds = roc_curve(y, scores)
    assert np.isinf(thresholds[0])
    case["fpr"] = fpr.tolist()
    case["tpr"] = tpr.tolist()
    case["thresholds_after_infinity"] = thresholds[1:].tolist()
    return case


cases = []
n = 200
labels = rng.random(n) < 0.3
cases.append(auc_case("continuous", rng.normal(size=n) + labels * 0.8, labels))
n = 300
labels = rng.random(n) < 0.4
cases.append(auc_case("ties_one_decimal", np.round(rng.random(n) * 0.6 + labels * 0.3, 1), labels))
n = 2000
labels = rng.random(n) < 0.1
cases.append(auc_case("heavy_ties_five_values", rng.integers(0, 5, size=n) * 0.25 * (1 + 0.1 * labels) , labels))
labels = rng.random(50) < 0.5
labels[0], labels[1] = True, False
cases.append(auc_case("constant_scores", np.full(50, 0.5), labels))
cases.append(auc_case("perfect", [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [1, 1, 1, 0, 0, 0]))
cases.append(auc_case("inverted", [0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [0, 0, 0, 1, 1, 1]))
cases.append(auc_case("one_pair_tied", [0.5, 0.5], [1, 0]))
cases.append(auc_case("collinear_runs", [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], [1, 1, 1, 0, 0, 1, 1, 0, 0, 0]))
logits = rng.normal(size=120) * 3
labels = rng.random(120) < 1 / (1 + np.exp(-logits))
cases.append(auc_case("logits_negative_scores", logits, labels))
probabilities = (1 / (1 + np.exp(-logits))).astype(np.float32).astype(np.float64)
cases.append(auc_case("float32_probabilities", probabilities, labels))
cases.append(auc_case("no_positives", rng.random(30), np.zeros(30, dtype=bool)))
cases.append(auc_case("no_negatives", rng.random(30), np.ones(30, dtype=bool)))

weighted = []
for name, size in (("weighted_small", 40), ("weighted_ties", 400)):
    scores = rng.random(size)
    if name == "weighted_ties":
        scores = np.round(scores, 1)
    labels = rng.random(size) < 0.35
    weights = rng.multinomial(size, np.full(size, 1 / size))  # one bootstrap draw
    weighted.append({"name": name, "scores": scores.tolist(), "labels": labels.tolist(),
                     "weights": weights.tolist(),
                     "auc": float(roc_auc_score(labels.astype(int), scores, sample_weight=weights))})

samples = rng.normal(0.7, 0.02, size=997).tolist()
percentiles = {"values": samples,
               "fractions": [0.025, 0.5, 0.975, 0.0, 1.0],
               "percentiles": [float(np.percentile(samples, f * 100)) for f in (0.025, 0.5, 0.975, 0.0, 1.0)]}

heatmap = rng.normal(size=(7, 7)).astype(np.float32)
bilinear = []
for out_height, out_width in ((48, 64), (16, 16), (10, 3)):
    resized = F.interpolate(torch.from_numpy(heatmap)[None, None], size=(out_height, out_width),
                            mode="bilinear", align_corners=False)[0, 0].numpy()
    bilinear.append({"width": out_width, "height": out_height, "values": resized.reshape(-1).tolist()})
resize = {"width": 7, "height": 7, "values": heatmap.reshape(-1).tolist(), "outputs": bilinear}

components = []
smooth = F.interpolate(torch.from_numpy(rng.normal(size=(5, 6)).astype(np.float32))[None, None],
                       size=(30, 40), mode="bilinear", align_corners=False)[0, 0].numpy()
smooth += rng.normal(size=smooth.shape).astype(np.float32) * 0.3
normalized = (smooth - smooth.min()) / (smooth.max() - smooth.min()) * 255
masks = [("smooth_at_60", normalized >= 60), ("smooth_at_180", normalized >= 180),
         ("random_density_45", rng.random((40, 50)) < 0.45), ("random_density_20", rng.random((33, 21)) < 0.2)]
for name, mask in masks:
    labelled, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=int))
    regions = []
    for index, slices in enumerate(ndimage.find_objects(labelled)):
        rows, columns = slices
        regions.append({"minX": columns.start, "maxX": columns.stop - 1, "minY": rows.start, "maxY": rows.stop - 1,
                        "pixelCount": int((labelled == index + 1).sum())})
    components.append({"name": name, "width": mask.shape[1], "height": mask.shape[0],
                       "mask": mask.reshape(-1).astype(int).tolist(), "regions": regions})

fixture = {
    "generator": "scripts/metrics-reference.py",
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scikit-learn": sklearn.__version__,
                 "scipy": __import__("scipy").__version__, "torch": torch.__version__},
    "auc": cases, "weightedAUC": weighted, "percentile": percentiles, "bilinear": resize, "components": components,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as handle:
    json.dump(fixture, handle, separators=(",", ":"))
    handle.write("\n")
print(f"wrote {os.path.relpath(OUT)}: {len(cases)} AUC cases, {len(weighted)} weighted, "
      f"{len(bilinear)} resizes, {len(components)} masks")
