#!/usr/bin/env python3
"""Cut random non-face 96x96 crops from faces68 frames, for training the face score (`keyface train --negatives`).

Crops are squares of 40 px up to the frame's shorter side, placed at random, kept only when their IoU with every
annotated face box (the box around its 68 points) is below 0.1, and taken ONLY from training identities: the
validation identities are chosen exactly as `keyface train --val-groups` chooses them (FNV-1a hash order,
--val-fraction of the identities), so no validation person's frame is seen in training.

Writes a Kaggle-format CSV (30 empty keypoint cells, then Image) -- a local training input, never committed.
Usage: scripts/make_negatives.py --faces68 ../shared/data/faces68 --out /tmp/negatives.csv.gz [--count 1200]
"""
import argparse
import csv
import gzip
import os
import random
import sys

import numpy as np

from identity_split import validation_groups
from PIL import Image

KEYPOINTS = [
    "left_eye_center", "right_eye_center", "left_eye_inner_corner", "left_eye_outer_corner",
    "right_eye_inner_corner", "right_eye_outer_corner", "left_eyebrow_inner_end", "left_eyebrow_outer_end",
    "right_eyebrow_inner_end", "right_eyebrow_outer_end", "nose_tip", "mouth_left_corner", "mouth_right_corner",
    "mouth_center_top_lip", "mouth_center_bottom_lip",
]


def iou(a, b):
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    w = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    h = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = w * h
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--faces68", required=True, help="Directory with landmarks68.csv and images/.")
    p.add_argument("--out", default="/tmp/negatives.csv.gz", help="Output CSV (.gz compresses).")
    p.add_argument("--count", type=int, default=1200, help="Number of crops.")
    p.add_argument("--val-fraction", type=float, default=0.15, help="Fraction of identities held out (as train).")
    p.add_argument("--seed", type=int, default=7, help="Random seed.")
    a = p.parse_args()

    with open(os.path.join(a.faces68, "landmarks68.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    held = validation_groups([r["identity"] for r in rows], a.val_fraction)
    boxes = {}  # image -> face boxes of every annotated face in it
    usable = set()
    for r in rows:
        xs = [float(r[f"x{i}"]) for i in range(68)]
        ys = [float(r[f"y{i}"]) for i in range(68)]
        boxes.setdefault(r["image"], []).append((min(xs), min(ys), max(xs), max(ys)))
        if r["identity"] not in held:
            usable.add(r["image"])
    # An image holding any validation face is left out entirely.
    for r in rows:
        if r["identity"] in held:
            usable.discard(r["image"])
    images = sorted(usable)
    rng = random.Random(a.seed)
    header = [f"{k}_{axis}" for k in KEYPOINTS for axis in "xy"] + ["Image"]
    opener = gzip.open if a.out.endswith(".gz") else open
    written = 0
    attempts = 0
    with opener(a.out, "wt") as out:
        out.write(",".join(header) + "\n")
        while written < a.count and attempts < 50 * a.count:
            attempts += 1
            name = rng.choice(images)
            image = Image.open(os.path.join(a.faces68, "images", name)).convert("L")
            width, height = image.size
            short = min(width, height)
            if short < 40:
                continue
            side = rng.uniform(40, short)
            x0 = rng.uniform(0, width - side)
            y0 = rng.uniform(0, height - side)
            box = (x0, y0, x0 + side, y0 + side)
            if any(iou(box, face) >= 0.1 for face in boxes[name]):
                continue
            crop = image.resize((96, 96), Image.BILINEAR, box=box)
            pixels = np.asarray(crop, dtype=np.uint8).reshape(-1)
            out.write("," * 30 + " ".join(map(str, pixels.tolist())) + "\n")
            written += 1
    print(f"wrote {written} non-face crops from {len(images)} training images to {a.out}", file=sys.stderr)
    if written < a.count:
        sys.exit(f"only {written} crops found after {attempts} attempts")


if __name__ == "__main__":
    main()
