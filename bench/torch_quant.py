#!/usr/bin/python3
"""torch_quant.py - PyTorch 1.13's post-training quantization of a `shrink init` model's twin (same
weights, tests/oracles/torch_twins.py), the peer for bench/quant_quality.sh:
  float       the twin in eval mode
  dynamic     torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
  static      FX: prepare_fx(model, get_default_qconfig_mapping(engine)), calibrate on the first
              --calib-samples samples of CALIB in batches of 32 under no_grad, convert_fx
Prints one JSON object: top-1 on TEST for each, and the bytes of the quantized layers' weights before
and after, counted as shrink counts them (int8 values + a 4-byte scale and a 1-byte zero point per
channel), so the ratio is comparable.

  /usr/bin/python3 bench/torch_quant.py MODEL.onnx CALIB.npz TEST.npz [--calib-samples 256] [--engine onednn]
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracles"))
import torch_twins  # noqa: E402


def fx_attention_forward(self, x):
    """torch_twins.SelfAttention.forward without unpacking x.shape (FX cannot trace that): same math."""
    d, h = self.q.in_features, self.heads
    split = lambda t: t.reshape(t.shape[0], t.shape[1], h, d // h).transpose(1, 2)
    q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
    scores = q @ k.transpose(-2, -1) / math.sqrt(d // h)
    context = self.dropout(torch.softmax(scores, dim=-1)) @ v
    return self.out(context.transpose(1, 2).reshape(x.shape[0], x.shape[1], d))


def top1(model, x, y, batch=256):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = model(torch.from_numpy(x[i:i + batch]))
            correct += int((out.argmax(1).numpy() == y[i:i + batch]).sum())
    return correct / len(x)


def quantized_weight_bytes(model):
    """(float bytes before, bytes after, layers) of the quantized Linear/Conv modules: int8 weights
    + 5 bytes (4-byte scale, 1-byte zero point) per channel after, 4 bytes per weight before."""
    before, after, layers = 0, 0, 0
    for m in model.modules():
        w = getattr(m, "weight", None)
        if not callable(w) or isinstance(m, nn.Module) and type(m).__module__.startswith("torch.nn.modules"):
            continue
        try:
            q = w()
        except Exception:
            continue
        if not isinstance(q, torch.Tensor) or not q.is_quantized:
            continue
        per_channel = q.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric)
        channels = q.q_per_channel_scales().numel() if per_channel else 1
        before += 4 * q.numel()
        after += q.numel() + 5 * channels
        layers += 1
    return before, after, layers


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("calib")
    p.add_argument("test")
    p.add_argument("--calib-samples", type=int, default=256)
    p.add_argument("--engine", default="onednn", choices=["onednn", "qnnpack"])
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    torch_twins.SelfAttention.forward = fx_attention_forward
    torch.backends.quantized.engine = a.engine
    test = np.load(a.test)
    x, y = test["x"], test["y"].astype(np.int64)
    calib = np.load(a.calib)["x"][: a.calib_samples]
    model = torch_twins.twin(a.model).eval()
    r = {"engine": a.engine, "test_samples": len(x), "calib_samples": len(calib), "float_top1": top1(model, x, y)}

    dyn = torch.quantization.quantize_dynamic(torch_twins.twin(a.model).eval(), {nn.Linear}, dtype=torch.qint8)
    before, after, layers = quantized_weight_bytes(dyn)
    r["dynamic"] = {"top1": top1(dyn, x, y), "weight_bytes_before": before, "weight_bytes_after": after, "layers": layers}

    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    example = (torch.from_numpy(calib[:1]),)
    prepared = prepare_fx(torch_twins.twin(a.model).eval(), get_default_qconfig_mapping(a.engine), example)
    with torch.no_grad():
        for i in range(0, len(calib), 32):
            prepared(torch.from_numpy(calib[i:i + 32]))
    static = convert_fx(prepared)
    before, after, layers = quantized_weight_bytes(static)
    r["static"] = {"top1": top1(static, x, y), "weight_bytes_before": before, "weight_bytes_after": after, "layers": layers}
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
