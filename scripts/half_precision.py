#!/usr/bin/env python3
"""Store a keyface model's weights as 16-bit floats (safetensors dtype F16): half the file, same network.

    scripts/half_precision.py IN.safetensors OUT.safetensors

keyface reads F16 tensors and widens them to F32 on loading. The shipped models are stored so; on the validation
faces their predictions move by about 0.001 px (see README). Needs python3 + numpy. Refuses weights a half cannot
hold (|w| > 65504).
"""
import json
import struct
import sys

import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    source, target = sys.argv[1], sys.argv[2]
    with open(source, "rb") as fh:
        raw = fh.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    data = raw[8 + length:]
    metadata = header.pop("__metadata__", None)
    out_header, blobs, offset = {}, [], 0
    for name in sorted(header):
        info = header[name]
        begin, end = info["data_offsets"]
        if info["dtype"] == "F32":
            values = np.frombuffer(data[begin:end], dtype="<f4")
            if np.abs(values).max(initial=0) > 65504:
                sys.exit(f"{source}: tensor {name} has weights too large for 16-bit floats")
            blob = values.astype("<f2").tobytes()
        elif info["dtype"] == "F16":
            blob = data[begin:end]
        else:
            sys.exit(f"{source}: tensor {name} has dtype {info['dtype']}")
        out_header[name] = {"dtype": "F16", "shape": info["shape"], "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata is not None:
        out_header["__metadata__"] = metadata
    text = json.dumps(out_header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(target + ".tmp", "wb") as fh:
        fh.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    import os
    os.replace(target + ".tmp", target)


if __name__ == "__main__":
    main()
