#!/usr/bin/env python3
"""Time onnxruntime on a keyface model, for comparison with `keyface bench inference`.

Reads a keyface safetensors file (weights plus the architecture JSON in __metadata__), builds the same network as
an ONNX graph with the `onnx` package, and measures crops per second with onnxruntime at each batch size and
thread count. Prints one JSON object per line: {"engine", "batch", "threads", "crops_per_second",
"crops_per_cpu_second", "model"} (the second rate divides by process CPU time, steadier on a busy machine).

  python3 scripts/onnx_bench.py --model model.safetensors [--batch 1 32] [--threads 1 2] [--seconds 3]
  python3 scripts/onnx_bench.py --model model.safetensors --export model.onnx   # just write the graph

Needs: pip install onnx onnxruntime numpy. Random-init weights are fine for timing.
"""
import argparse
import json
import struct
import sys
import time

import numpy as np


def read_safetensors(path):
    """Returns ({name: float32 array}, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: truncated header")
    (length,) = struct.unpack("<Q", data[:8])
    if 8 + length > len(data):
        raise ValueError(f"{path}: truncated header")
    header = json.loads(data[8 : 8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length :]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in ("F32", "F16"):
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}")
        stored = "<f4" if info["dtype"] == "F32" else "<f2"  # F16 is widened, as keyface does on loading
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtype=stored).reshape(info["shape"]).astype(np.float32)
    return tensors, metadata


def build_onnx(tensors, architecture):
    """The architecture's inference graph: input (N, C, S, S) float, output (N, outputCount)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = [], []
    current = "input"
    counts = {"conv": 0, "bn": 0, "fc": 0}
    for index, layer in enumerate(architecture["layers"]):
        (kind, settings), = layer.items()
        out = f"t{index}"
        if kind == "conv":
            counts["conv"] += 1
            name = f"conv{counts['conv']}"
            initializers += [numpy_helper.from_array(tensors[f"{name}.weight"], f"{name}.weight"),
                             numpy_helper.from_array(tensors[f"{name}.bias"], f"{name}.bias")]
            k, s, p = settings["kernel"], settings["stride"], settings["padding"]
            nodes.append(helper.make_node("Conv", [current, f"{name}.weight", f"{name}.bias"], [out],
                                          kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p]))
        elif kind == "batchNorm":
            counts["bn"] += 1
            name = f"bn{counts['bn']}"
            for suffix in ("weight", "bias", "running_mean", "running_var"):
                initializers.append(numpy_helper.from_array(tensors[f"{name}.{suffix}"], f"{name}.{suffix}"))
            nodes.append(helper.make_node(
                "BatchNormalization",
                [current, f"{name}.weight", f"{name}.bias", f"{name}.running_mean", f"{name}.running_var"], [out],
                epsilon=1e-5))
        elif kind == "relu":
            nodes.append(helper.make_node("Relu", [current], [out]))
        elif kind == "maxPool":
            size = settings["size"]
            nodes.append(helper.make_node("MaxPool", [current], [out], kernel_shape=[size, size], strides=[size, size]))
        elif kind == "dropout":
            continue  # identity in inference
        elif kind == "globalAvgPool":
            pooled = f"t{index}_pooled"
            nodes.append(helper.make_node("GlobalAveragePool", [current], [pooled]))
            nodes.append(helper.make_node("Flatten", [pooled], [out], axis=1))
        elif kind == "flatten":
            nodes.append(helper.make_node("Flatten", [current], [out], axis=1))
        elif kind == "linear":
            counts["fc"] += 1
            name = f"fc{counts['fc']}"
            initializers += [numpy_helper.from_array(tensors[f"{name}.weight"], f"{name}.weight"),
                             numpy_helper.from_array(tensors[f"{name}.bias"], f"{name}.bias")]
            nodes.append(helper.make_node("Gemm", [current, f"{name}.weight", f"{name}.bias"], [out], transB=1))
        else:
            raise ValueError(f"unsupported layer {kind}")
        current = out
    nodes.append(helper.make_node("Identity", [current], ["output"]))
    size, channels = architecture["inputSize"], architecture["inputChannels"]
    graph = helper.make_graph(
        nodes, architecture["name"],
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", channels, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", architecture["outputCount"]])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="keyface")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def crops_per_second(model_bytes, architecture, batch, threads, seconds):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    size, channels = architecture["inputSize"], architecture["inputChannels"]
    rng = np.random.default_rng(42)
    # Same input path as KeypointPredictor: bytes scaled to floats (the conversion is timed too).
    crops = rng.integers(0, 256, size=(batch, channels, size, size), dtype=np.uint8)
    scale, offset = np.float32(architecture["inputScale"]), np.float32(architecture["inputOffset"])

    def once():
        x = crops.astype(np.float32) * scale + offset
        session.run(["output"], {"input": x})

    warm_end = time.perf_counter() + min(0.5, seconds / 4)
    while time.perf_counter() < warm_end:
        once()
    start = time.perf_counter()
    cpu_start = time.process_time()
    iterations = 0
    while True:
        once()
        iterations += 1
        now = time.perf_counter()
        if now - start >= seconds:
            break
    cpu = time.process_time() - cpu_start
    return iterations * batch / (now - start), iterations * batch / max(cpu, 1e-9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="keyface safetensors model file")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 32], help="batch sizes to time")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="intra-op thread counts to time")
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per configuration")
    parser.add_argument("--export", help="write the ONNX graph to this file and exit")
    args = parser.parse_args()
    try:
        tensors, metadata = read_safetensors(args.model)
        architecture = json.loads(metadata["architecture"])
    except (OSError, ValueError, KeyError) as error:
        print(f"{args.model}: cannot read model ({error})", file=sys.stderr)
        return 1
    model = build_onnx(tensors, architecture)
    if args.export:
        with open(args.export, "wb") as f:
            f.write(model.SerializeToString())
        return 0
    model_bytes = model.SerializeToString()
    for threads in args.threads:
        for batch in args.batch:
            rate, cpu_rate = crops_per_second(model_bytes, architecture, batch, threads, args.seconds)
            print(json.dumps({"engine": "onnxruntime", "batch": batch, "threads": threads,
                              "crops_per_second": round(rate, 1), "crops_per_cpu_second": round(cpu_rate, 1),
                              "model": architecture["name"]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
