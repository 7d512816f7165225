#!/usr/bin/python3
"""quant_interop.py - helpers of quant_interop.sh (shrink's quantized exports against ONNX Runtime).

  npz-x DATA.npz OUT.npy [--count N]         the first N samples' x as .npy
  check MODEL.onnx PROBE.onnx                 onnx.checker (full) on MODEL; write PROBE = MODEL with the
                                              last quantized tensor (and its run-time scale) as outputs
  compare MODEL.onnx SHRINK_DIR ORT_DIR SHRINK_PROBE_DIR ORT_PROBE_DIR [--fraction 0.999]

The criterion of `compare` ("within one quantization step on >= FRACTION of the elements"):
- an output that is itself quantized (written by DequantizeLinear): |shrink - ORT| <= its scale;
- a float output written by a last layer y = x * W (+ b) from a quantized input x (static: QDQ of an
  activation; dynamic: DynamicQuantizeLinear): two checks, on the same FRACTION of elements:
  1. x itself, the last quantized tensor (integers, exposed by PROBE in both runtimes), agrees within
     one step (|x_q shrink - x_q ORT| <= 1). Where the runtimes' float ops (LayerNorm, Softmax, ...)
     differ in the last bits, a value on a rounding boundary may land one step apart, legitimately;
  2. y: one step of x carried through the layer, per output column j: scale(x) * ||W[:, j]||_2 (W
     dequantized), the deviation of y_j when every input is off by up to one step with independent
     signs. Such off-by-one differences upstream are the only ones both runtimes may have.
A wrong zero point, axis, scale or saturation shows up as many steps on many elements.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def npz_x(a):
    x = np.load(a.data)["x"][: a.count]
    np.save(a.out, x)
    return 0


class Model:
    def __init__(self, m):
        self.inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
        for n in m.graph.node:
            if n.op_type == "Constant":
                self.inits[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        self.producer = {o: n for n in m.graph.node for o in n.output}

    def const(self, name):
        return self.inits.get(name)

    def dequantized(self, name):
        """The float value of `name` if it is a constant or DequantizeLinear of constants, else None."""
        if name in self.inits:
            return self.inits[name].astype(np.float64)
        n = self.producer.get(name)
        if n is None or n.op_type != "DequantizeLinear" or n.input[0] not in self.inits:
            return None
        q, s = self.inits[n.input[0]].astype(np.float64), self.inits[n.input[1]].astype(np.float64)
        zp = self.inits[n.input[2]].astype(np.float64) if len(n.input) > 2 and n.input[2] else 0.0
        axis = next((at.i for at in n.attribute if at.name == "axis"), 1)
        if s.ndim == 1 and q.ndim > 1:
            shape = [1] * q.ndim
            shape[axis] = -1
            s = s.reshape(shape)
            zp = zp.reshape(shape) if np.ndim(zp) else zp
        return (q - zp) * s


def last_layer(model, output):
    """How the float `output` is made: {x_q: integer tensor, scale: const or None, scale_name: run-time
    scale tensor or None, w: [K, N] float weight}, or {out_scale} for a quantized output."""
    n = model.producer[output]
    if n.op_type == "DequantizeLinear":
        return {"out_scale": float(np.max(model.const(n.input[1])))}
    while n.op_type in ("Add", "Reshape", "Flatten", "Squeeze"):  # bias, shape ops after the last layer
        n = model.producer[next(i for i in n.input if i in model.producer and model.const(i) is None)]
    if n.op_type == "DequantizeLinear":  # QOperator: QLinearMatMul -> DequantizeLinear -> float bias Add
        return {"out_scale": float(np.max(model.const(n.input[1])))}
    if n.op_type in ("Gemm", "MatMul"):  # static: DQ(x_q) * DQ(W_q)
        dq = model.producer.get(n.input[0])
        if dq is None or dq.op_type != "DequantizeLinear":
            raise ValueError(f"{output}: last layer {n.name} reads float input {n.input[0]}")
        w = model.dequantized(n.input[1])
        if n.op_type == "Gemm" and any(at.name == "transB" and at.i for at in n.attribute):
            w = w.T
        return {"x_q": dq.input[0], "scale": float(np.max(model.const(dq.input[1]))), "scale_name": None, "w": w}
    if n.op_type == "Mul":  # dynamic: Cast(MatMulInteger(x_q, W_q, x_zp, W_zp)) * (x_scale * W_scale)
        cast = next(model.producer[i] for i in n.input if i in model.producer and model.producer[i].op_type == "Cast")
        mmi = model.producer[cast.input[0]]
        dql = model.producer[mmi.input[0]]
        wq = model.const(mmi.input[1]).astype(np.float64)
        wzp = model.const(mmi.input[3]) if len(mmi.input) > 3 and mmi.input[3] else 0
        scale_in = n.input[1] if n.input[0] == cast.output[0] else n.input[0]
        prod = model.producer[scale_in]  # Mul(x_scale, W_scale)
        w_scale = next(model.const(i) for i in prod.input if model.const(i) is not None)
        w = (wq - np.asarray(wzp, np.float64)) * np.asarray(w_scale, np.float64)
        return {"x_q": dql.output[0], "scale": None, "scale_name": dql.output[1], "w": w}
    raise ValueError(f"{output}: cannot derive a quantization step from {n.op_type} '{n.name}'")


def check(a):
    m = onnx.load(a.model)
    onnx.checker.check_model(m, full_check=True)
    last = last_layer(Model(m), m.graph.output[0].name)
    if "x_q" in last:
        elem = 2
        for vi in list(m.graph.value_info) + list(m.graph.input):
            if vi.name == last["x_q"]:
                elem = vi.type.tensor_type.elem_type
        q = Model(m).producer[last["x_q"]]
        if q.op_type == "QuantizeLinear" and len(q.input) > 2:
            elem = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[Model(m).const(q.input[2]).dtype]
        m.graph.output.append(helper.make_tensor_value_info(last["x_q"], elem, None))
        if last["scale_name"]:
            m.graph.output.append(helper.make_tensor_value_info(last["scale_name"], onnx.TensorProto.FLOAT, []))
    onnx.save(m, a.probe)
    print(f"checker ok, ops: {' '.join(sorted({n.op_type for n in m.graph.node}))}")
    return 0


def npy(folder, name):
    return np.load(os.path.join(folder, name.replace("/", "_") + ".npy")).astype(np.float64)


def compare(a):
    m = onnx.load(a.model)
    out = m.graph.output[0].name
    last = last_layer(Model(m), out)
    s, o = npy(a.shrink, out), npy(a.ort, out)
    if s.shape != o.shape:
        print(f"FAIL shape {s.shape} != ORT {o.shape}")
        return 1
    d = np.abs(s - o)
    lines, ok = [], True
    if "out_scale" in last:
        step, how = last["out_scale"], "output scale"
    else:
        xs, xo = npy(a.shrink_probe, last["x_q"]), npy(a.ort_probe, last["x_q"])
        within = float(np.mean(np.abs(xs - xo) <= 1))
        ok &= within >= a.fraction
        lines.append(f"{last['x_q']}: {100 * within:.3f}% within one step (max {np.abs(xs - xo).max():.0f})")
        scale = last["scale"] if last["scale"] is not None else float(npy(a.ort_probe, last["scale_name"]))
        step = scale * np.sqrt((last["w"] ** 2).sum(axis=0))
        how = "scale(x) * ||W_j||"
    # One step, plus float32 rounding of the float ops after the last integer one (bias Add).
    slack = 4 * np.finfo(np.float32).eps * np.maximum(np.abs(s), np.abs(o))
    within = float(np.mean(d <= step * (1 + 1e-6) + slack))
    ok &= within >= a.fraction
    lines.insert(0, f"{out}: {100 * within:.3f}% within one step ({how}, max diff {float(np.max(d / step)):.3g} steps)")
    print(("ok   " if ok else "FAIL ") + "; ".join(lines))
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("npz-x")
    c.add_argument("data")
    c.add_argument("out")
    c.add_argument("--count", type=int, default=64)
    c = sub.add_parser("check")
    c.add_argument("model")
    c.add_argument("probe")
    c = sub.add_parser("compare")
    c.add_argument("model")
    c.add_argument("shrink")
    c.add_argument("ort")
    c.add_argument("shrink_probe")
    c.add_argument("ort_probe")
    c.add_argument("--fraction", type=float, default=0.999)
    a = p.parse_args()
    return {"npz-x": npz_x, "check": check, "compare": compare}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
