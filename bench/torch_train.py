#!/usr/bin/python3
"""torch_train.py - PyTorch 1.13 CPU eager training throughput on the twin of a `shrink init` model:
SGD(momentum 0.9) steps on a fixed batch of seeded random data; prints JSON with the median step time
and samples/s over the timed steps (after warmup), as `shrink train --json` reports them.
Usage: torch_train.py MODEL.onnx --batch B --threads T --steps S [--warmup W]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracles"))
import torch_twins  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    module = torch_twins.twin(a.model).train()
    x = torch.from_numpy(torch_twins.make_input(a.model, a.batch, 0))
    classes = module(x[:1]).shape[1]
    y = torch.randint(0, classes, (a.batch,))
    opt = torch.optim.SGD(module.parameters(), lr=0.01, momentum=0.9)
    times = []
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(module(x), y).backward()
        opt.step()
        if step >= a.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({"step_ms_median": med * 1e3, "samples_per_s_median": a.batch / med}))


if __name__ == "__main__":
    sys.exit(main())
