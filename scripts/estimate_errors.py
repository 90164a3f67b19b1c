#!/usr/bin/env python3
"""Measures how far keyface's first estimates lie from the truth, for training the refinement network.

    scripts/estimate_errors.py OUT.json [--photos VAL.csv PRED.jsonl] [--clip GT.jsonl PRED.jsonl ...]

--photos: a faces68-style table (image, source, identity, x0, y0 ... x67, y67) and the lines of
`keyface run --refine-patches off` on its images; --clip: a ground-truth file of make_motion_clip.py and the
lines of `keyface run --no-smooth --refine-patches off` on the clip (raw points, as the refinement stage sees
them). Each face's error (predicted minus true keypoints) is turned and scaled into 96-px crop units by the
similarity that takes Kaggle's mean layout onto its true keypoints; faces whose NME (mean error over the
outer-eye-corner distance) is above 0.10 are failures no refinement can mend and are left out. Writes the count,
the mean and the 30 x 30 covariance of the errors (keyface train --estimate-errors reads it) and prints a summary.
"""
import csv, json, os, sys
import numpy as np

NAMES = ["left_eye_center", "right_eye_center", "left_eye_inner_corner", "left_eye_outer_corner",
         "right_eye_inner_corner", "right_eye_outer_corner", "left_eyebrow_inner_end", "left_eyebrow_outer_end",
         "right_eyebrow_inner_end", "right_eyebrow_outer_end", "nose_tip", "mouth_left_corner",
         "mouth_right_corner", "mouth_center_top_lip", "mouth_center_bottom_lip"]
SOURCES = [list(range(42, 48)), list(range(36, 42)), [42], [45], [39], [36], [22], [26], [21], [17], [30], [54],
           [48], [51], [57]]
# KaggleLayout.meanPoints (Sources/KeyfaceNN/KaggleLayout.swift).
LAYOUT = np.array([[66.3591, 37.6498], [30.3116, 37.9797], [59.1607, 37.9397], [73.3301, 37.7110],
                   [36.6494, 37.9904], [22.3791, 38.0293], [56.0699, 29.3297], [79.4802, 29.7296],
                   [39.3201, 29.5005], [15.8700, 30.4303], [48.3696, 62.7202], [63.2900, 75.9702],
                   [32.8997, 76.1802], [47.9798, 72.9199], [48.5707, 78.9697]])


def linear_part(points):
    """a, b of the similarity p = [[a, -b], [b, a]] u + t taking LAYOUT onto points (least squares)."""
    u = LAYOUT - LAYOUT.mean(0)
    p = points - points.mean(0)
    spread = (u * u).sum()
    a = (u * p).sum() / spread
    b = (u[:, 0] * p[:, 1] - u[:, 1] * p[:, 0]).sum() / spread
    return a, b


def crop_errors(truth, pred):
    """(pred - truth) in crop units, and the NME."""
    a, b = linear_part(truth)
    k = a * a + b * b
    d = pred - truth
    e = np.stack([(a * d[:, 0] + b * d[:, 1]) / k, (-b * d[:, 0] + a * d[:, 1]) / k], 1)
    eye = np.linalg.norm(truth[3] - truth[5])
    return e, np.linalg.norm(d, axis=1).mean() / eye


def faces_of(line):
    return [np.array([f["keypoints"][n] for n in NAMES], dtype=float) for f in line.get("faces", [])]


def nearest(faces, truth):
    if not faces:
        return None
    c = truth.mean(0)
    return min(faces, key=lambda f: np.linalg.norm(f.mean(0) - c))


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out = args.pop(0)
    errors, nmes, kinds = [], [], []
    while args:
        kind = args.pop(0)
        if kind not in ("--photos", "--clip") or len(args) < 2:
            sys.exit(f"estimate_errors.py: expected --photos TABLE PRED or --clip GT PRED, got {kind}")
        first, second = args.pop(0), args.pop(0)
        if kind == "--photos":
            predicted = {}
            for line in open(second):
                d = json.loads(line)
                predicted[os.path.basename(d.get("image") or d["source"])] = faces_of(d)
            rows = list(csv.reader(open(first)))
            x0 = rows[0].index("x0")
            for r in rows[1:]:
                p68 = np.array(r[x0:x0 + 136], dtype=float).reshape(68, 2)
                truth = np.array([p68[s].mean(0) for s in SOURCES])
                pred = nearest(predicted.get(os.path.basename(r[0]), []), truth)
                if pred is not None:
                    e, nme = crop_errors(truth, pred)
                    errors.append(e); nmes.append(nme); kinds.append("photo")
        else:
            truths = {d["frame"]: faces_of(d) for d in map(json.loads, open(first))}
            for line in open(second):
                d = json.loads(line)
                truth = truths.get(d["frame"], [])
                if not truth:
                    continue
                pred = nearest(faces_of(d), truth[0])
                if pred is not None:
                    e, nme = crop_errors(truth[0], pred)
                    errors.append(e); nmes.append(nme); kinds.append("clip")
    nmes = np.array(nmes)
    keep = nmes <= 0.10
    e = np.array(errors)[keep].reshape(-1, 30)
    kinds = np.array(kinds)[keep]
    mean = e.mean(0)
    cov = np.cov(e, rowvar=False)
    json.dump({"count": int(len(e)),
               "source": f"keyface run, {int((kinds == 'photo').sum())} photos and {int((kinds == 'clip').sum())} "
                         f"clip frames (faces with NME <= 0.10)",
               "mean": [round(float(v), 5) for v in mean],
               "covariance": [[round(float(v), 6) for v in row] for row in cov]},
              open(out, "w"), indent=1)
    rms = np.sqrt((e ** 2).mean(0)).reshape(15, 2)
    print(f"{len(e)} faces ({int((~keep).sum())} failures left out); RMS error per keypoint (x, y, crop px):")
    for n, (x, y) in zip(NAMES, rms):
        print(f"  {n:26s} {x:5.2f} {y:5.2f}")
    print(f"overall RMS {np.sqrt((e ** 2).mean()):.3f} px; mean NME {nmes[keep].mean():.4f}")


main()
