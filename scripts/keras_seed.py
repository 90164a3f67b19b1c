#!/usr/bin/env python3
"""Train the seed notebook's CNN in Keras on a Kaggle-format training CSV, for the parity check.

The seed: Conv2D(32,3)+ReLU, MaxPool(2), Conv2D(64,3)+ReLU, MaxPool(2), Conv2D(128,3)+ReLU, Flatten,
Dense(512)+ReLU, Dense(30); pixels / 255, targets (y - 48) / 48, masked MSE (missing keypoints add
nothing), Adam, batch 32, no augmentation.

The split matches `keyface train`: with --val-groups, whole identities go to validation, chosen by a
stable FNV-1a hash of the identity name (the first round(fraction * groups) names in hash order), so
both trainers hold out the same people; without it, a random --val-fraction of rows.

Prints one line per epoch (train loss, validation RMSE in 96-px units, seconds) and a JSON summary.
Usage: scripts/keras_seed.py --data training.csv.gz --val-groups landmarks68.csv [--epochs 20]
"""
import argparse
import csv
import gzip
import json
import os
import sys
import time

import numpy as np

from identity_split import validation_groups


def load_kaggle(path):
    """Returns images (N, 96, 96, 1) float32 in [0, 1], targets (N, 30) normalised, mask (N, 30)."""
    opener = gzip.open if path.endswith(".gz") else open
    images, targets, mask = [], [], []
    with opener(path, "rt") as f:
        header = f.readline().rstrip("\n").split(",")
        if header[-1] != "Image" or len(header) != 31:
            sys.exit(f"{path}: expected 30 keypoint columns and Image")
        for line in f:
            cells = line.rstrip("\n").split(",")
            values = [float(c) if c else np.nan for c in cells[:30]]
            images.append(np.array(cells[30].split(" "), dtype=np.float32))
            targets.append(values)
    y = np.array(targets, dtype=np.float32)
    m = ~np.isnan(y)
    y = np.where(m, (y - 48.0) / 48.0, 0.0).astype(np.float32)
    x = np.stack(images).reshape(-1, 96, 96, 1) / 255.0
    return x.astype(np.float32), y, m.astype(np.float32)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="Kaggle-format training CSV (plain or .gz).")
    p.add_argument("--val-groups", help="CSV with an identity column, rows aligned with --data.")
    p.add_argument("--val-fraction", type=float, default=0.15, help="Fraction of groups (or rows) held out.")
    p.add_argument("--epochs", type=int, default=20, help="Training epochs.")
    p.add_argument("--batch-size", type=int, default=32, help="Batch size.")
    p.add_argument("--learning-rate", type=float, default=1e-3, help="Adam learning rate.")
    p.add_argument("--seed", type=int, default=42, help="Random seed.")
    p.add_argument("--threads", type=int, default=0, help="TensorFlow intra-op threads (0: default).")
    a = p.parse_args()

    import tensorflow as tf

    if a.threads:
        tf.config.threading.set_intra_op_parallelism_threads(a.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.keras.utils.set_random_seed(a.seed)

    x, y, m = load_kaggle(a.data)
    n = len(x)
    if a.val_groups:
        with open(a.val_groups, newline="") as f:
            groups = [row["identity"] for row in csv.DictReader(f)]
        if len(groups) != n:
            sys.exit(f"{a.val_groups}: {len(groups)} rows, but {a.data} has {n}")
        held = validation_groups(groups, a.val_fraction)
        val = np.array([g in held for g in groups])
    else:
        order = np.random.default_rng(a.seed).permutation(n)
        val = np.zeros(n, dtype=bool)
        val[order[: int(round(a.val_fraction * n))]] = True
    print(f"train {int((~val).sum())} faces, validation {int(val.sum())} faces", file=sys.stderr)

    # Mask rides along as the second half of the target so the loss can ignore missing keypoints.
    yt = np.concatenate([y, m], axis=1)

    def masked_mse(target, pred):
        t, w = target[:, :30], target[:, 30:]
        return tf.reduce_sum(w * tf.square(pred - t)) / tf.maximum(tf.reduce_sum(w), 1.0)

    L = tf.keras.layers
    model = tf.keras.Sequential([
        L.Input((96, 96, 1)),
        L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(128, 3, activation="relu"), L.Flatten(),
        L.Dense(512, activation="relu"), L.Dense(30),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(a.learning_rate), loss=masked_mse)

    xv, yv, mv = x[val], y[val], m[val]
    history = []

    class Epoch(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            pred = self.model.predict(xv, batch_size=256, verbose=0)
            rmse = 48.0 * float(np.sqrt((mv * (pred - yv) ** 2).sum() / mv.sum()))
            seconds = time.perf_counter() - self.start
            history.append({"epoch": epoch + 1, "loss": float(logs["loss"]), "val_rmse": rmse, "seconds": seconds})
            print(f"epoch {epoch + 1:3d}  train loss {logs['loss']:.5f}  val RMSE {rmse:.3f} px  {seconds:.1f} s",
                  file=sys.stderr, flush=True)

    model.fit(x[~val], yt[~val], batch_size=a.batch_size, epochs=a.epochs, shuffle=True,
              callbacks=[Epoch()], verbose=0)
    seconds = [h["seconds"] for h in history]
    summary = {
        "train": int((~val).sum()), "validation": int(val.sum()),
        "best_val_rmse": min(h["val_rmse"] for h in history),
        "final_val_rmse": history[-1]["val_rmse"],
        "seconds_per_epoch": float(np.median(seconds)), "first_epoch_seconds": seconds[0],
        "tensorflow": tf.__version__, "epochs": history,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
