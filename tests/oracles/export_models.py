#!/usr/bin/python3
"""export_models.py - export seeded, eval-mode PyTorch reference models to ONNX, with a sample input
and PyTorch's output on it, as test oracles for shrink's importer/runtime and as benchmark models.
Usage: /usr/bin/python3 tests/oracles/export_models.py OUTDIR [--opset 13|17] [--models a,b] [--bench]
"""
import argparse
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision

ALL = ["mlp", "cnn_bn", "resnet18", "mobilenetv2", "transformer"]
BENCH = ["mlp", "resnet18", "mobilenetv2", "transformer"]


class MLP(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                         nn.Linear(1024, 10))


def conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class CnnBN(nn.Sequential):
    def __init__(self):
        super().__init__(*conv_bn_relu(3, 32), *conv_bn_relu(32, 32), nn.MaxPool2d(2),
                         *conv_bn_relu(32, 64), *conv_bn_relu(64, 64), nn.MaxPool2d(2),
                         *conv_bn_relu(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


class TransformerClassifier(nn.Module):
    def __init__(self, vocab=1000, d_model=256, seq=128, layers=4, heads=4, ff=1024, classes=10):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(1, seq, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.1, batch_first=True)
        # enable_nested_tensor=False: the nested-tensor fast path cannot be traced for ONNX.
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, classes)

    def forward(self, tokens):
        x = self.encoder(self.tok(tokens) + self.pos)
        return self.head(x.mean(dim=1))


def calibrate_bn(model, shape, steps=3):
    """Give every BatchNorm random affine params and running stats measured on random data."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        for bn in bns:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average: stats equal the data's
        model.train()
        for _ in range(steps):
            model(torch.randn(*shape) * 0.5 + 0.1)
        for bn in bns:
            bn.momentum = 0.1
    model.eval()


def build(name):
    """Return (model in eval mode, seeded sample input) for a model name."""
    torch.manual_seed(0)
    if name == "mlp":
        m, shape = MLP(), (2, 784)
    elif name == "cnn_bn":
        m, shape = CnnBN(), (2, 3, 32, 32)
        calibrate_bn(m, (8, 3, 32, 32))
    elif name in ("resnet18", "mobilenetv2"):
        ctor = torchvision.models.resnet18 if name == "resnet18" else torchvision.models.mobilenet_v2
        m, shape = ctor(weights=None), (1, 3, 224, 224)
        calibrate_bn(m, (4, 3, 224, 224), steps=2)
    elif name == "transformer":
        m, shape = TransformerClassifier(), (2, 128)
    else:
        raise SystemExit(f"unknown model {name!r}; choose from {','.join(ALL)}")
    m.eval()
    torch.manual_seed(1)  # sample input independent of the model's construction
    x = torch.randint(0, 1000, shape) if name == "transformer" else torch.randn(shape)
    return m, x


def export(name, outdir, opset):
    model, x = build(name)
    dyn = {"input": {0: "batch"}, "output": {0: "batch"}}
    warnings.filterwarnings("ignore", message="It is recommended that constant folding")
    base = os.path.join(outdir, f"{name}_op{opset}")
    # PRESERVE (model is in eval mode) instead of the default EVAL: EVAL makes the exporter fold
    # BatchNormalization into Conv itself, and we want BN nodes in the graph for shrink to fold.
    # enable_grad: under no_grad, torch 1.13's TransformerEncoderLayer takes its fused fast path
    # (aten::_transformer_encoder_layer_fwd), which the ONNX exporter cannot export.
    with torch.enable_grad():
        torch.onnx.export(model, (x,), base + ".onnx", opset_version=opset, input_names=["input"],
                          output_names=["output"], dynamic_axes=dyn,
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    with torch.no_grad():
        y = model(x).float().numpy()
    np.save(base + ".input.npy", x.numpy())
    np.save(base + ".expected.npy", y)
    proto = onnx.load(base + ".onnx")
    onnx.checker.check_model(proto, full_check=True)
    ops = sorted({n.op_type for n in proto.graph.node})
    print(f"{name}_op{opset}: {os.path.getsize(base + '.onnx') / 1e6:.1f} MB, input {list(x.shape)} "
          f"{x.dtype}, output {list(y.shape)}, {len(proto.graph.node)} nodes: {' '.join(ops)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--opset", type=int, default=13, choices=[13, 17])
    ap.add_argument("--models", default=None, help="comma list from " + ",".join(ALL))
    ap.add_argument("--bench", action="store_true", help="export the benchmark set: " + ",".join(BENCH))
    a = ap.parse_args()
    names = a.models.split(",") if a.models else (BENCH if a.bench else ALL)
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for n in names:
        export(n.strip(), a.outdir, a.opset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
