// Pieces shared by the com.shrink gradient ops of the NN layers (ops/nn_grad/): attribute parsing
// through the forward op's own parser (the autodiff copies the forward node's attributes verbatim),
// the float32/float64 dispatch of their reference kernels, and the (kernel tap, output, input)
// walk of a convolution's geometry that the conv gradients are built on.
#pragma once
#include <memory>
#include <vector>

#include "ops/common.h"
#include "ops/nn/conv.h"

namespace shrink::ops::grad {

// The forward op's typed attributes for this node (e.g. forward_attrs(node, opset, "Conv")).
std::shared_ptr<const ir::OpAttrs> forward_attrs(const ir::Node& node, int64_t opset, std::string_view forward_op);

// Gradient kernels compute in float32 or float64 (the latter for finite-difference checks).
void require_grad_float(const ir::Node& node, const ValueMeta& v, int i);
// Fails unless input i has exactly `shape`, naming what it is.
void require_shape(const ir::Node& node, const ValueMeta& v, int i, const Shape& shape, const char* what);

template <class F>
void visit_grad_float(const ir::Node& node, DType t, F&& f) {
  if (t == DType::kFloat32) return f(float{});
  if (t == DType::kFloat64) return f(double{});
  fail_input(node.label(), " unsupported element type ", dtype_name(t), " (float32/float64 only)");
}

// Per spatial dim, the input index each (kernel tap, output position) reads, or -1 in the padding:
// in[d][k * out_spatial[d] + o].
std::vector<std::vector<int64_t>> conv_tap_table(const ConvGeometry& g);

// Calls f(k, o, i) for every kernel tap k (flattened over the kernel dims), output position o and
// input position i (both flattened over the spatial dims) with i inside the input; taps in the
// padding are skipped. Order: k, then o row-major.
template <class F>
void for_each_conv_tap(const ConvGeometry& g, const std::vector<std::vector<int64_t>>& table, F&& f) {
  const size_t n = g.kernel.size();
  std::vector<int64_t> in_stride(n, 1), out_stride(n, 1), kidx(n, 0);
  for (size_t d = n - 1; d > 0; --d) {
    in_stride[d - 1] = in_stride[d] * g.in_spatial[d];
    out_stride[d - 1] = out_stride[d] * g.out_spatial[d];
  }
  int64_t kk = 1;
  for (int64_t v : g.kernel) kk *= v;
  for (int64_t k = 0; k < kk; ++k) {
    for (int64_t r = k, d = int64_t(n) - 1; d >= 0; --d) {
      kidx[size_t(d)] = r % g.kernel[size_t(d)];
      r /= g.kernel[size_t(d)];
    }
    auto walk = [&](auto&& self, size_t d, int64_t o_off, int64_t i_off) -> void {
      const int64_t* row = table[d].data() + kidx[d] * g.out_spatial[d];
      for (int64_t o = 0; o < g.out_spatial[d]; ++o) {
        if (row[o] < 0) continue;
        if (d + 1 == n) f(k, o_off + o, i_off + row[o]);
        else self(self, d + 1, o_off + o * out_stride[d], i_off + row[o] * in_stride[d]);
      }
    };
    walk(walk, 0, 0, 0);
  }
}

}  // namespace shrink::ops::grad
