#!/usr/bin/python3
# make_int8_models.py - writes the QDQ models (as ONNX Runtime's static quantizer lays them out) used
# to measure shrink's int8 runtime against its fp32 runtime and ONNX Runtime, with fp32 twins whose
# weights are the dequantized int8 ones, plus random inputs (.npy).
# Usage: /usr/bin/python3 bench/make_int8_models.py OUTDIR
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(5)


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def model(nodes, inits, x_shape, y_name, y_shape):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                          [helper.make_tensor_value_info(y_name, TensorProto.FLOAT, y_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def weights(shape, axis, wmax, act_type):
    """Per-channel symmetric s8 weights in [-wmax, wmax], their scales, and the float weights."""
    w = rng.standard_normal(shape).astype(np.float32) * 0.05
    red = tuple(i for i in range(len(shape)) if i != axis)
    scale = (np.abs(w).max(axis=red) / wmax).astype(np.float32)
    bshape = [1] * len(shape)
    bshape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(bshape)), -wmax, wmax).astype(np.int8)
    return q, scale, q.astype(np.float32) * scale.reshape(bshape)


def build(kind, wmax, act_type=np.uint8):
    x_scale, x_zp = np.float32(4.0 / 255), act_type(128 if act_type == np.uint8 else 0)
    y_scale, y_zp = np.float32(0.05), act_type(0 if act_type == np.uint8 else -128)
    if kind == "conv":
        x_shape, w_shape, axis, y_shape = [1, 64, 56, 56], [64, 64, 3, 3], 0, [1, 64, 56, 56]
    else:
        x_shape, w_shape, axis, y_shape = [64, 1024], [1024, 1024], 1, [64, 1024]
    q, ws, wf = weights(w_shape, axis, wmax, act_type)
    n = w_shape[axis]
    b = (rng.standard_normal(n) * 0.1).astype(np.float32)
    bq = np.rint(b / (x_scale * ws)).astype(np.int32)
    bf = bq.astype(np.float32) * (x_scale * ws)
    inits = [const("x_scale", x_scale), const("x_zp", x_zp), const("w_q", q), const("w_scale", ws),
             const("w_zp", np.zeros(n, np.int8)), const("b_q", bq), const("b_scale", (x_scale * ws).astype(np.float32)),
             const("y_scale", y_scale), const("y_zp", y_zp)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zp"], ["x_q"]),
             helper.make_node("DequantizeLinear", ["x_q", "x_scale", "x_zp"], ["x_dq"]),
             helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w_dq"], axis=axis)]
    fp_inits = [const("w", wf), const("b", bf)]
    if kind == "conv":
        nodes += [helper.make_node("DequantizeLinear", ["b_q", "b_scale"], ["b_dq"], axis=0),
                  helper.make_node("Conv", ["x_dq", "w_dq", "b_dq"], ["c"], pads=[1, 1, 1, 1])]
        fp_nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1])]
    else:
        inits.append(const("b", bf))
        nodes += [helper.make_node("MatMul", ["x_dq", "w_dq"], ["mm"]), helper.make_node("Add", ["mm", "b"], ["c"])]
        fp_nodes = [helper.make_node("MatMul", ["x", "w"], ["mm"]), helper.make_node("Add", ["mm", "b"], ["c"])]
    nodes += [helper.make_node("Relu", ["c"], ["r"]), helper.make_node("QuantizeLinear", ["r", "y_scale", "y_zp"], ["y_q"]),
              helper.make_node("DequantizeLinear", ["y_q", "y_scale", "y_zp"], ["y"])]
    fp_nodes += [helper.make_node("Relu", ["c"], ["y"])]
    x = rng.uniform(-2, 2, x_shape).astype(np.float32)
    return model(nodes, inits, x_shape, "y", y_shape), model(fp_nodes, fp_inits, x_shape, "y", y_shape), x


def main(out):
    os.makedirs(out, exist_ok=True)
    for kind in ("conv", "matmul"):
        for wmax, tag in ((63, "w7"), (127, "w8")):
            for act, atag in ((np.uint8, "u8"), (np.int8, "s8")):
                q, f, x = build(kind, wmax, act)
                onnx.save(q, f"{out}/{kind}_{tag}_{atag}_qdq.onnx")
                np.save(f"{out}/{kind}_{tag}_{atag}_x.npy", x)
                if tag == "w8" and atag == "u8":
                    onnx.save(f, f"{out}/{kind}_fp32.onnx")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "int8_models")
