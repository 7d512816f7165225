#!/usr/bin/python3
"""compare_npy.py - compare two .npy arrays (e.g. a runtime's output against an oracle's expected.npy);
prints shape, max abs diff and max abs diff relative to max|expected|; exit 1 if beyond tolerance.
Usage: /usr/bin/python3 tests/oracles/compare_npy.py GOT.npy EXPECTED.npy [--atol 1e-4] [--rtol 1e-4]
"""
import argparse
import sys

import numpy as np

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("got")
ap.add_argument("expected")
ap.add_argument("--atol", type=float, default=1e-4)
ap.add_argument("--rtol", type=float, default=1e-4, help="relative to max |expected|")
a = ap.parse_args()
got, exp = np.load(a.got), np.load(a.expected)
if got.shape != exp.shape:
    print(f"FAIL shape {got.shape} != expected {exp.shape}")
    sys.exit(1)
if got.dtype.kind == "f" or exp.dtype.kind == "f":
    diff = float(np.max(np.abs(got.astype(np.float64) - exp.astype(np.float64)))) if got.size else 0.0
else:
    diff = float(np.max(np.abs(got.astype(np.int64) - exp.astype(np.int64)))) if got.size else 0.0
scale = float(np.max(np.abs(exp))) if exp.size else 0.0
ok = bool(np.all(np.isfinite(got))) and diff <= a.atol + a.rtol * scale
print(f"{'ok  ' if ok else 'FAIL'} shape {list(exp.shape)} max_abs_diff {diff:.3g} max|expected| {scale:.3g} "
      f"rel {diff / scale if scale else 0.0:.3g}")
sys.exit(0 if ok else 1)
