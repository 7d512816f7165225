#!/usr/bin/python3
"""torch_twins.py - PyTorch twins of the models `shrink init` writes (src/train/models).

twin(path) reads an ONNX model made by `shrink init`, builds the equivalent torch.nn.Module from the
architecture recorded in its metadata (shrink.arch, shrink.width, ...) and loads its weights: ONNX
initializer names are the twin's state_dict keys (MatMul weights are stored [in, out] and transposed
here; BatchNorm's num_batches_tracked is not in the graph). The module structure is faithful
(BatchNorm2d eps 1e-5 / momentum 0.1, Dropout where the graph has it) so training can be compared.

  python3 torch_twins.py input MODEL.onnx INPUT.npy [--batch B] [--seed S]   seeded input for the model
  python3 torch_twins.py check MODEL.onnx INPUT.npy OUTPUT.npy [--atol 1e-4]  twin (eval) vs shrink's output
"""
import argparse
import math
import sys
from collections import OrderedDict

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn


class ConvBN(nn.Module):
    """conv (no bias) -> bn [-> ReLU6]: names <prefix>.conv, <prefix>.bn."""

    def __init__(self, cin, cout, k, stride=1, groups=1, relu6=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.act = nn.ReLU6() if relu6 else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Mlp(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.depth = m["depth"]
        features = int(np.prod(m["input"]))
        for i in range(self.depth):
            self.add_module(f"hidden{i}", nn.Linear(features if i == 0 else m["width"], m["width"]))
        self.fc = nn.Linear(m["width"], m["classes"])

    def forward(self, x):
        x = torch.flatten(x, 1)
        for i in range(self.depth):
            x = torch.relu(getattr(self, f"hidden{i}")(x))
        return self.fc(x)


class CnnLayer(nn.Module):
    def __init__(self, cin, cout, pool):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.pool = nn.MaxPool2d(2) if pool else nn.Identity()

    def forward(self, x):
        return self.pool(torch.relu(self.bn(self.conv(x))))


class CnnSmall(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.depth = m["depth"]
        cin, c = m["input"][0], m["width"]
        for i in range(self.depth):
            if i > 0 and i % 2 == 0:
                c *= 2
            self.add_module(f"layer{i}", CnnLayer(cin, c, i % 2 == 1))
            cin = c
        self.fc = nn.Linear(c, m["classes"])

    def forward(self, x):
        for i in range(self.depth):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.shortcut = ConvBN(cin, cout, 1, stride) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, m):
        super().__init__()
        n, c = (m["depth"] - 2) // 6, m["width"]
        self.stem = ConvBN(m["input"][0], c, 3)
        for stage in (1, 2, 3):
            cout = m["width"] << (stage - 1)
            blocks = OrderedDict()
            for i in range(n):
                blocks[f"block{i}"] = BasicBlock(c, cout, 2 if stage > 1 and i == 0 else 1)
                c = cout
            self.add_module(f"stage{stage}", nn.Sequential(blocks))
        self.fc = nn.Linear(c, m["classes"])

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = self.stage3(self.stage2(self.stage1(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


MOBILENET_STAGES = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, expand, stride):
        super().__init__()
        hidden = cin * expand
        self.expand = ConvBN(cin, hidden, 1, relu6=True) if expand != 1 else nn.Identity()
        self.depthwise = ConvBN(hidden, hidden, 3, stride, groups=hidden, relu6=True)
        self.project = ConvBN(hidden, cout, 1)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


class MobileNet(nn.Module):
    def __init__(self, m):
        super().__init__()
        alpha = m["width"] / 32.0
        c = make_divisible(32 * alpha)
        self.stem = ConvBN(m["input"][0], c, 3, relu6=True)
        self.depth = m["depth"]
        for s, (t, channels, n, stride) in enumerate(MOBILENET_STAGES[: self.depth]):
            cout = make_divisible(channels * alpha)
            blocks = OrderedDict()
            for i in range(n):
                blocks[f"block{i}"] = InvertedResidual(c, cout, t, stride if i == 0 else 1)
                c = cout
            self.add_module(f"stage{s + 1}", nn.Sequential(blocks))
        head = make_divisible(1280 * max(1.0, alpha))
        self.head = ConvBN(c, head, 1, relu6=True)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(head, m["classes"])

    def forward(self, x):
        x = self.stem(x)
        for s in range(self.depth):
            x = getattr(self, f"stage{s + 1}")(x)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(self.head(x), 1), 1)
        return self.fc(self.dropout(x))


class SelfAttention(nn.Module):
    def __init__(self, d, heads, p):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.out = (nn.Linear(d, d) for _ in range(4))
        self.dropout = nn.Dropout(p)

    def forward(self, x):
        n, length, d = x.shape
        split = lambda t: t.reshape(n, length, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        context = self.dropout(torch.softmax(scores, dim=-1)) @ v
        return self.out(context.transpose(1, 2).reshape(n, length, d))


class FeedForward(nn.Module):
    def __init__(self, d, p):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.dropout = nn.Dropout(p)

    def forward(self, x):
        return self.fc2(self.dropout(nn.functional.gelu(self.fc1(x))))


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, post_norm, p=0.1):
        super().__init__()
        self.post_norm = post_norm
        self.norm1, self.norm2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.attn, self.ffn = SelfAttention(d, heads, p), FeedForward(d, p)
        self.dropout1, self.dropout2 = nn.Dropout(p), nn.Dropout(p)

    def forward(self, x):
        if self.post_norm:
            x = self.norm1(x + self.dropout1(self.attn(x)))
            return self.norm2(x + self.dropout2(self.ffn(x)))
        x = x + self.dropout1(self.attn(self.norm1(x)))
        return x + self.dropout2(self.ffn(self.norm2(x)))


class Embed(nn.Module):
    def __init__(self, vocab, length, d, p=0.1):
        super().__init__()
        self.token = nn.Embedding(vocab, d)
        self.position = nn.Parameter(torch.zeros(length, d))
        self.dropout = nn.Dropout(p)

    def forward(self, ids):
        return self.dropout(self.token(ids) + self.position)


class Transformer(nn.Module):
    def __init__(self, m):
        super().__init__()
        d, self.depth, self.post_norm = m["width"], m["depth"], m["norm"] == "post"
        self.embed = Embed(m["vocab"], m["input"][0], d)
        for i in range(self.depth):
            self.add_module(f"layer{i}", EncoderLayer(d, m["heads"], self.post_norm))
        self.norm = nn.Identity() if self.post_norm else nn.LayerNorm(d, eps=1e-5)
        self.fc = nn.Linear(d, m["classes"])

    def forward(self, ids):
        x = self.embed(ids)
        for i in range(self.depth):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(self.norm(x).mean(dim=1))


ARCHS = {"mlp": Mlp, "cnn-small": CnnSmall, "resnet": ResNet, "mobilenet": MobileNet, "transformer": Transformer}


def spec_of(model):
    props = {p.key: p.value for p in model.metadata_props}
    if props.get("shrink.arch") not in ARCHS:
        raise ValueError(f"not a `shrink init` model of a known arch: {props.get('shrink.arch')}")
    m = {"arch": props["shrink.arch"], "input": [int(d) for d in props["shrink.input"].split("x")], "norm": props.get("shrink.norm", "pre")}
    for key in ("classes", "width", "depth", "vocab", "heads"):
        if f"shrink.{key}" in props:
            m[key] = int(props[f"shrink.{key}"])
    return m


def twin(path):
    """The torch.nn.Module twin of a `shrink init` model, with its weights (in train mode, as nn.Modules start)."""
    model = onnx.load(path)
    m = spec_of(model)
    module = ARCHS[m["arch"]](m)
    transposed = {n.input[1] for n in model.graph.node if n.op_type == "MatMul"}
    state = {}
    for init in model.graph.initializer:
        a = numpy_helper.to_array(init)
        state[init.name] = torch.from_numpy(np.ascontiguousarray(a.T if init.name in transposed else a).copy())
    missing, unexpected = module.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"twin and graph disagree: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return module


def make_input(path, batch, seed):
    model = onnx.load(path)
    m = spec_of(model)
    rng = np.random.default_rng(seed)
    if m["arch"] == "transformer":
        return rng.integers(0, m["vocab"], size=[batch] + m["input"], dtype=np.int64)
    return rng.uniform(-1, 1, size=[batch] + m["input"]).astype(np.float32)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["input", "check"])
    p.add_argument("model")
    p.add_argument("input")
    p.add_argument("output", nargs="?")
    p.add_argument("--batch", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--atol", type=float, default=1e-4)
    a = p.parse_args()
    if a.mode == "input":
        np.save(a.input, make_input(a.model, a.batch, a.seed))
        return 0
    torch.manual_seed(0)
    module = twin(a.model).eval()
    params = sum(t.numel() for t in module.parameters())
    with torch.no_grad():
        expected = module(torch.from_numpy(np.load(a.input))).numpy()
    got = np.load(a.output)
    if got.shape != expected.shape:
        print(f"FAIL shape {got.shape} != twin {expected.shape}")
        return 1
    diff = float(np.max(np.abs(got.astype(np.float64) - expected)))
    ok = diff <= a.atol
    print(f"{'ok  ' if ok else 'FAIL'} {spec_of(onnx.load(a.model))['arch']}: {params} parameters, max abs diff {diff:.3g} (atol {a.atol}), max |output| {float(np.max(np.abs(expected))):.3g}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
