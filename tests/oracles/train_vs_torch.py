#!/usr/bin/python3
"""train_vs_torch.py - shrink's training engine against PyTorch 1.13 autograd and torch.optim, on the
PyTorch twin (torch_twins.py) of a `shrink init` model with the same weights and the same batches.

  grads MODEL.onnx DATA.npz GRADDIR --batch B
      PyTorch gradients (computed in float64) of mean cross-entropy on the first B samples (train
      mode: batch statistics, dropout off) vs the float32 .npy files `shrink train --max-steps 1
      --save-gradients GRADDIR` wrote; every parameter's relative error ||a - b|| / ||b|| must be
      <= --rtol (default 1e-4), with ||b|| floored at 1e-3 of the whole model's gradient norm (some
      exact gradients vanish, e.g. of a bias feeding a conv and a batch-statistics BatchNorm, or of the
      attention key bias, and then both sides are rounding noise). Deep depthwise nets (MobileNet) are
      ill-conditioned enough that PyTorch's own float32 gradients are ~1e-3 off float64: a parameter
      also passes when shrink's error is within PyTorch float32's worst error on the model.
  curve MODEL.onnx DATA.npz LOSS.csv TEST.npz TRAINED.onnx --batch B --lr LR --momentum M --steps S
      Trains the twin with SGD(momentum) on the samples in file order (as `shrink train --no-shuffle`)
      and compares the per-step loss with shrink's --loss-log (max |diff| <= --loss-atol over the first
      --strict-steps steps, median relative diff <= 2% over all), then the test accuracy of PyTorch's
      trained twin with that of shrink's trained model (within --acc-points).
"""
import argparse
import csv
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx  # noqa: E402
import torch_twins  # noqa: E402


def load_npz(path):
    d = np.load(path)
    return torch.from_numpy(d["x"]), torch.from_numpy(d["y"].astype(np.int64))


def no_dropout(module):
    for m in module.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    return module


def transposed_names(path):
    return {n.input[1] for n in onnx.load(path).graph.node if n.op_type == "MatMul"}


def accuracy(module, x, y, batch=500):
    module.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (module(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def torch_grads(path, x, y, dtype):
    torch.manual_seed(0)
    module = no_dropout(torch_twins.twin(path)).to(dtype).train()
    loss = F.cross_entropy(module(x.to(dtype) if x.is_floating_point() else x), y)
    loss.backward()
    return loss.item(), {n: p.grad.double().numpy() for n, p in module.named_parameters()}


def grads(a):
    x, y = load_npz(a.data)
    x, y = x[:a.batch], y[:a.batch]
    loss, exact = torch_grads(a.model, x, y, torch.float64)
    _, torch32 = torch_grads(a.model, x, y, torch.float32)
    tr = transposed_names(a.model)
    worst, failures = 0.0, 0
    total = np.sqrt(sum(float((g ** 2).sum()) for g in exact.values()))
    scale_of = lambda ref: max(np.linalg.norm(ref), 1e-3 * total, 1e-30)
    worst32 = max(np.linalg.norm(torch32[k] - ref) / scale_of(ref) for k, ref in exact.items())
    for name, ref in exact.items():
        path = os.path.join(a.graddir, "".join(c if c.isalnum() or c in "._-" else "_" for c in name) + ".npy")
        got = np.load(path)
        if name in tr:
            got = got.T
        err = np.linalg.norm(got - ref) / scale_of(ref)
        err32 = np.linalg.norm(torch32[name] - ref) / scale_of(ref)
        worst = max(worst, err)
        if err > max(a.rtol, worst32):
            failures += 1
            print(f"FAIL {name}: relative error {err:.3g} (PyTorch float32: {err32:.3g})")
    print(f"{'ok  ' if failures == 0 else 'FAIL'} gradients of {len(exact)} parameters, loss {loss:.6f}, "
          f"worst relative error vs float64 {worst:.3g} (PyTorch float32: {worst32:.3g}; rtol {a.rtol})")
    return 0 if failures == 0 else 1


def curve(a):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    module = no_dropout(torch_twins.twin(a.model)).train()
    x, y = load_npz(a.data)
    opt = torch.optim.SGD(module.parameters(), lr=a.lr, momentum=a.momentum)
    # The learning rate of step t (0-based) as shrink's schedules compute it.
    if a.schedule == "cosine":
        lr_at = lambda t: a.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, t / a.steps)))
    else:
        lr_at = lambda t: a.lr
    theirs = []
    n = len(x)
    steps_per_epoch = (n + a.batch - 1) // a.batch
    for step in range(a.steps):
        i = (step % steps_per_epoch) * a.batch
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.zero_grad()
        loss = F.cross_entropy(module(x[i:i + a.batch]), y[i:i + a.batch])
        loss.backward()
        opt.step()
        theirs.append(loss.item())
        module.train()
    with open(a.losslog) as f:
        ours = [float(r["loss"]) for r in csv.DictReader(f)]
    if len(ours) != len(theirs):
        print(f"FAIL shrink logged {len(ours)} steps, PyTorch ran {len(theirs)}")
        return 1
    ours, theirs = np.array(ours), np.array(theirs)
    strict = min(a.strict_steps, len(ours))
    early = float(np.max(np.abs(ours[:strict] - theirs[:strict])))
    rel = float(np.median(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-6)))
    tx, ty = load_npz(a.test)
    acc_torch = accuracy(module, tx, ty)
    trained = torch_twins.twin(a.trained)
    acc_shrink = accuracy(trained, tx, ty)
    ok = early <= a.loss_atol and rel <= 0.02 and abs(acc_torch - acc_shrink) * 100 <= a.acc_points
    print(f"{'ok  ' if ok else 'FAIL'} {len(ours)} steps: loss {theirs[0]:.4f} -> {theirs[-1]:.4f} (PyTorch), "
          f"{ours[0]:.4f} -> {ours[-1]:.4f} (shrink); max |diff| over the first {strict} steps {early:.2g}, "
          f"median relative diff {rel:.2g}; test accuracy PyTorch {100 * acc_torch:.2f}%, "
          f"shrink {100 * acc_shrink:.2f}%")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    g = sub.add_parser("grads")
    g.add_argument("model"), g.add_argument("data"), g.add_argument("graddir")
    g.add_argument("--batch", type=int, default=16)
    g.add_argument("--rtol", type=float, default=1e-4)
    c = sub.add_parser("curve")
    for k in ("model", "data", "losslog", "test", "trained"):
        c.add_argument(k)
    c.add_argument("--batch", type=int, default=64)
    c.add_argument("--lr", type=float, default=0.05)
    c.add_argument("--momentum", type=float, default=0.9)
    c.add_argument("--steps", type=int, default=300)
    c.add_argument("--schedule", choices=["constant", "cosine"], default="constant")
    c.add_argument("--strict-steps", type=int, default=20)
    c.add_argument("--loss-atol", type=float, default=2e-3)
    c.add_argument("--acc-points", type=float, default=0.5)
    a = p.parse_args()
    return grads(a) if a.mode == "grads" else curve(a)


if __name__ == "__main__":
    sys.exit(main())
