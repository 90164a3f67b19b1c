#!/usr/bin/env python3
"""Measure the face detector on faces68 and calibrate the detector-box -> Kaggle-crop mapping.

Runs `keyface detect --timing` over faces68's images (the cascade was not trained on them, so all
images are used) and reports, per source (ytf / afw / helen):
  - recall: an annotated face is found when a detection has IoU >= 0.3 with the box of its 68 points
    or the detection's centre lies inside that box (one detection per face, greedy by IoU);
  - false boxes per image: detections matched to no annotated face (AFW and HELEN show people whose
    faces are not annotated, so some of these are real faces);
  - detector CPU milliseconds per image, and per 0.13 megapixel.
With --opencv (needs the cv2 module) OpenCV's own CascadeClassifier is measured the same way.

Calibration: every annotated face's Kaggle crop (centre and side of the 96x96 crop in frame pixels) is
recovered from its kaggle15 row: the least-squares scale + shift taking its 15 frame keypoints (from the
68, README table) onto the row's 96-px coordinates. For matched faces the script fits
    crop centre = (box.x + a * box.w, box.y + b * box.h),  crop side = c * box.w
(a, b: mean of the per-face ratios; c: geometric mean) and reports the residuals in 96-px crop units.
It also prints the mean 15-point layout of kaggle15 and recovers the layout the crops were actually
fitted onto (Kaggle's mean, for KaggleLayout.meanPoints): fitting onto it reproduces every row.

Needs python3 + numpy. Reads ../shared/data (never writes there). Example:
  swift build -c release && scripts/detector_eval.py --keyface .build/release/keyface
"""
import argparse
import csv
import gzip
import json
import math
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Kaggle's 15 keypoints from the 68 (README table), in Kaggle's column order.
FROM68 = [
    list(range(42, 48)), list(range(36, 42)), [42], [45], [39], [36], [22], [26], [21], [17], [30], [54], [48], [51],
    [57],
]


def keypoints15(points68):
    """(68, 2) -> (15, 2)."""
    return np.array([points68[idx].mean(axis=0) for idx in FROM68])


def fit_scale_shift(src, dst):
    """Least-squares s, t with s * src + t ~= dst (no rotation)."""
    sm, dm = src.mean(axis=0), dst.mean(axis=0)
    s = ((src - sm) * (dst - dm)).sum() / ((src - sm) ** 2).sum()
    return s, dm - s * sm


def framing_layout(faces, kaggle):
    """The layout the kaggle15 crops were fitted onto, recovered from the rows.

    Each row is K = s * P + t with s = sum(d . (M - mean M)) / sum(|d|^2), d = P - mean P, and its
    centroid equal to M's: linear in M, so least squares over all rows (centroid fixed) recovers M.
    """
    rows, rhs, centroids = [], [], []
    for face, k in zip(faces, kaggle):
        p = keypoints15(face["points"])
        s, _ = fit_scale_shift(p, k)
        d = p - p.mean(axis=0)
        rows.append(d.reshape(-1))
        rhs.append(s * (d ** 2).sum())
        centroids.append(k.mean(axis=0))
    a, b = np.array(rows), np.array(rhs)
    c = np.zeros((2, 30))
    c[0, 0::2] = 1
    c[1, 1::2] = 1
    system = np.block([[a.T @ a, c.T], [c, np.zeros((2, 2))]])
    target = np.concatenate([a.T @ b, 15 * np.mean(centroids, axis=0)])
    return np.linalg.lstsq(system, target, rcond=None)[0][:30].reshape(15, 2)


def load_faces(data):
    faces = []
    with open(os.path.join(data, "faces68", "landmarks68.csv")) as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            pts = np.array([float(v) for v in row[3:]]).reshape(68, 2)
            faces.append({"image": row[0], "source": row[1], "identity": row[2], "points": pts})
    return faces


def load_kaggle(data, count):
    rows = []
    with gzip.open(os.path.join(data, "kaggle15", "training.csv.gz"), "rt") as f:
        f.readline()
        for line in f:
            rows.append([float(v) for v in line.split(",", 30)[:30]])
            if len(rows) == count:
                break
    return np.array(rows).reshape(-1, 15, 2)


def iou(a, b):
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def matches(face_box, det):
    cx, cy = det[0] + det[2] / 2, det[1] + det[3] / 2
    inside = face_box[0] <= cx <= face_box[0] + face_box[2] and face_box[1] <= cy <= face_box[1] + face_box[3]
    return iou(face_box, det) >= 0.3 or inside


def run_keyface(binary, paths, extra):
    results = {}
    for start in range(0, len(paths), 400):
        chunk = paths[start:start + 400]
        out = subprocess.run([binary, "detect", "--timing", *extra, *chunk], check=True, capture_output=True, text=True)
        for line in out.stdout.splitlines():
            d = json.loads(line)
            results[os.path.basename(d["source"])] = {
                "boxes": [(f["box"], f["score"]) for f in d["faces"]], "ms": d["ms"], "size": (d["width"], d["height"])}
        print(f"  {min(start + 400, len(paths))}/{len(paths)} images", file=sys.stderr)
    return results


def run_opencv(paths, cascade, min_size):
    import time
    import cv2
    cv2.setNumThreads(1)
    classifier = cv2.CascadeClassifier(cascade)
    results = {}
    for p in paths:
        img = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
        t = time.process_time()
        rects, neighbours = classifier.detectMultiScale2(img, 1.1, 3, minSize=(min_size, min_size))
        ms = (time.process_time() - t) * 1000
        boxes = [([float(v) for v in r], float(n)) for r, n in zip(rects, neighbours)]
        results[os.path.basename(p)] = {"boxes": boxes, "ms": ms, "size": (img.shape[1], img.shape[0])}
    return results


def evaluate(faces, detections):
    """Greedy matching per image; returns per-source stats and (face index, box) matches."""
    by_image = {}
    for i, face in enumerate(faces):
        by_image.setdefault(face["image"], []).append(i)
    stats, pairs, scored = {}, [], []
    for image, idxs in by_image.items():
        det = detections[image]
        source = faces[idxs[0]]["source"]
        s = stats.setdefault(source, {"faces": 0, "found": 0, "images": 0, "false": 0, "ms": [], "ms013": []})
        s["images"] += 1
        s["faces"] += len(idxs)
        s["ms"].append(det["ms"])
        s["ms013"].append(det["ms"] * 0.13e6 / (det["size"][0] * det["size"][1]))
        candidates = []
        for fi in idxs:
            fb = faces[fi]["box"]
            for di, (box, _) in enumerate(det["boxes"]):
                if matches(fb, box):
                    candidates.append((iou(fb, box), fi, di))
        used_faces, used_dets = set(), set()
        for _, fi, di in sorted(candidates, reverse=True):
            if fi in used_faces or di in used_dets:
                continue
            used_faces.add(fi)
            used_dets.add(di)
            pairs.append((fi, det["boxes"][di][0]))
        s["found"] += len(used_faces)
        s["false"] += len(det["boxes"]) - len(used_dets)
        for di, (_, score) in enumerate(det["boxes"]):
            scored.append((source, score, di in used_dets))
    return stats, pairs, scored


def print_stats(title, stats):
    print(f"\n{title}")
    print(f"{'source':8} {'images':>6} {'faces':>6} {'recall':>7} {'false/img':>9} {'ms/img':>7} {'ms/0.13MP':>9}")
    total = {"faces": 0, "found": 0, "images": 0, "false": 0, "ms": [], "ms013": []}
    for source in sorted(stats) + ["all"]:
        s = stats.get(source, total)
        if source != "all":
            for k in ("faces", "found", "images", "false"):
                total[k] += s[k]
            total["ms"] += s["ms"]
            total["ms013"] += s["ms013"]
        print(f"{source:8} {s['images']:6d} {s['faces']:6d} {s['found'] / s['faces']:7.4f} {s['false'] / s['images']:9.3f}"
              f" {np.mean(s['ms']):7.1f} {np.mean(s['ms013']):9.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"), help="data folder (faces68, kaggle15)")
    parser.add_argument("--keyface", default=os.path.join(ROOT, ".build", "release", "keyface"), help="keyface binary")
    parser.add_argument("--min-size", type=int, default=40, help="smallest face width, pixels")
    parser.add_argument("--limit", type=int, default=0, help="use only every k-th image (0: all)")
    parser.add_argument("--opencv", action="store_true", help="also measure OpenCV's CascadeClassifier (needs cv2)")
    parser.add_argument("--json", help="write the numbers to this JSON file too")
    parser.add_argument("--save", help="write every image's detections to this JSON file (for offline analysis)")
    parser.add_argument("--detect-args", default="", help="extra arguments for keyface detect, e.g. '--min-neighbors 2'")
    args = parser.parse_args()

    faces = load_faces(args.data)
    kaggle = load_kaggle(args.data, len(faces))
    assert len(kaggle) == len(faces), "kaggle15 and landmarks68 must have the same rows"

    # Ground truth: the 68-point box, and the actual Kaggle crop of each face.
    layout_fit = []
    for face, k in zip(faces, kaggle):
        p = face["points"]
        lo, hi = p.min(axis=0), p.max(axis=0)
        face["box"] = (lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        p15 = keypoints15(p)
        s, t = fit_scale_shift(p15, k)
        face["crop"] = ((48 - t[0]) / s, (48 - t[1]) / s, 96 / s)
        layout_fit.append(np.abs(s * p15 + t - k).max())
    column_mean = kaggle.mean(axis=0)
    framing = framing_layout(faces, kaggle)
    print(f"kaggle15 rows reproduced from the 68 points by scale+shift: max error {max(layout_fit):.3f} crop px")
    # How well does fitting onto a layout reproduce each row's crop (what re-framing from keypoints does)?
    for name, layout in (("kaggle15 column means", column_mean), ("recovered framing layout", framing)):
        errs = []
        for face, k in zip(faces, kaggle):
            p15 = keypoints15(face["points"])
            s, t = fit_scale_shift(p15, layout)
            errs.append(np.abs(s * p15 + t - k).max())
        print(f"fitting onto the {name}: keypoints land {np.median(errs):.3f} crop px from the row's"
              f" (median of the per-face max; max {max(errs):.3f})")

    images = sorted({f["image"] for f in faces})
    if args.limit > 1:
        keep = set(images[::args.limit])
        faces = [f for f in faces if f["image"] in keep]
        images = sorted(keep)
    paths = [os.path.join(args.data, "faces68", "images", name) for name in images]
    summary = {}
    detectors = [("keyface", lambda: run_keyface(args.keyface, paths, ["--min-size", str(args.min_size), *args.detect_args.split()]))]
    if args.opencv:
        detectors.append(("opencv", lambda: run_opencv(paths, "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml", args.min_size)))
    for name, run in detectors:
        print(f"running {name} on {len(paths)} images", file=sys.stderr)
        detections = run()
        if args.save:
            with open(args.save.replace(".json", f"-{name}.json"), "w") as f:
                json.dump(detections, f)
        stats, pairs, scored = evaluate(faces, detections)
        print_stats(f"{name} (min size {args.min_size}; match: IoU >= 0.3 with the 68-point box or centre inside it)", stats)
        summary[name] = {k: {"recall": v["found"] / v["faces"], "false_per_image": v["false"] / v["images"],
                             "ms_per_image": float(np.mean(v["ms"])), "ms_per_013MP": float(np.mean(v["ms013"]))}
                         for k, v in stats.items()}
        if name != "keyface":
            continue

        # Score -> precision, on ytf (one annotated face per image and nobody else) and overall.
        print("\nscore bin   ytf: boxes precision   all: boxes precision")
        edges = [0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]
        for lo, hi in zip(edges, edges[1:]):
            y = [m for src, sc, m in scored if src == "ytf" and lo <= sc < hi]
            a = [m for src, sc, m in scored if lo <= sc < hi]
            fy = f"{len(y):6d} {np.mean(y):9.3f}" if y else f"{0:6d} {'-':>9}"
            fa = f"{len(a):6d} {np.mean(a):9.3f}" if a else f"{0:6d} {'-':>9}"
            print(f"{lo:.1f}-{min(hi, 1):.1f}   {fy}     {fa}")

        # Calibration: crop centre/side from the box.
        rows = []
        for fi, box in pairs:
            x, y, w, h = box
            cx, cy, side = faces[fi]["crop"]
            rows.append((faces[fi]["source"], x, y, w, h, cx, cy, side))
        src = np.array([r[0] for r in rows])
        x, y, w, h, cx, cy, side = (np.array([r[i] for r in rows]) for i in range(1, 8))
        ra, rb, rc = (cx - x) / w, (cy - y) / h, side / w
        a, b, c = ra.mean(), rb.mean(), math.exp(np.log(rc).mean())
        print(f"\ncalibration on {len(rows)} matched faces: centre = (x + a*w, y + b*h), side = c*w")
        print(f"  a = {a:.4f} (median {np.median(ra):.4f})  b = {b:.4f} (median {np.median(rb):.4f})"
              f"  c = {c:.4f} (median {np.median(rc):.4f})")
        for s in sorted(set(src)) + ["all"]:
            m = np.ones(len(src), bool) if s == "all" else src == s
            pcx, pcy, pside = x[m] + a * w[m], y[m] + b * h[m], c * w[m]
            dx = (pcx - cx[m]) * 96 / side[m]
            dy = (pcy - cy[m]) * 96 / side[m]
            ds = pside / side[m] - 1
            print(f"  {s:6} n={m.sum():5d}  a={ra[m].mean():.4f} b={rb[m].mean():.4f} c={math.exp(np.log(rc[m]).mean()):.4f}"
                  f"  dx sd {dx.std():.2f} p90|dx| {np.percentile(abs(dx), 90):.2f}"
                  f"  dy sd {dy.std():.2f} p90|dy| {np.percentile(abs(dy), 90):.2f} (crop px)"
                  f"  scale sd {ds.std() * 100:.1f}% p90 {np.percentile(abs(ds), 90) * 100:.1f}%")
        summary["calibration"] = {"a": a, "b": b, "c": c, "faces": len(rows)}

    print("\nkaggle15 column means (x, y) in 96-px crop units:")
    print(", ".join(f"SIMD2({px:.4f}, {py:.4f})" for px, py in column_mean))
    print("recovered framing layout (KaggleLayout.meanPoints):")
    print(", ".join(f"SIMD2({px:.4f}, {py:.4f})" for px, py in framing))
    summary["column_mean_layout"] = column_mean.tolist()
    summary["framing_layout"] = framing.tolist()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
