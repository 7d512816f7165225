// Operand checks, zero-point subtraction and exact int32 convolution / matmul for the quant ops.
#include "ops/quant/integer_arith.h"

namespace shrink::ops {

void check_int8(const ir::Node& node, const ValueMeta& v, const char* what) {
  if (!is_int8_type(v.dtype))
    fail_input(node.label(), " ", what, " must be uint8 or int8, got ", onnx_type_name(int(v.dtype)));
}

static void check_zero_point(const ir::Node& node, const ValueMeta& x, const ValueMeta& zp, const char* what) {
  SHRINK_CHECK(zp.dtype == x.dtype, node.label(), " ", what, " type ", onnx_type_name(int(zp.dtype)),
               " differs from its input's type ", dtype_name(x.dtype));
}

// A per-output-channel parameter (w's zero point or scale): one element or [M].
void check_per_channel(const ir::Node& node, const Shape& s, int64_t m, const char* what) {
  SHRINK_CHECK((s.size() <= 1 && numel(s) == 1) || s == Shape{m}, node.label(), " ", what,
               " must hold one element or ", m, " (one per output channel), got ", shape_str(s));
}

// Output geometry and the shared operand checks; x_zp / w_zp are input indices.
ConvGeometry check_conv_operands(const ir::Node& node, std::span<const ValueMeta> in, int x, int x_zp, int w, int w_zp) {
  check_int8(node, in[size_t(x)], "x");
  check_int8(node, in[size_t(w)], "w");
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[size_t(x)].shape, in[size_t(w)].shape);
  checked_numel(g.output_shape(), "conv output");
  if (x_zp < int(in.size()) && in[size_t(x_zp)].present()) {
    check_zero_point(node, in[size_t(x)], in[size_t(x_zp)], "x_zero_point");
    require_single(node, in[size_t(x_zp)].shape, "x_zero_point");
  }
  if (w_zp < int(in.size()) && in[size_t(w_zp)].present()) {
    check_zero_point(node, in[size_t(w)], in[size_t(w_zp)], "w_zero_point");
    check_per_channel(node, in[size_t(w_zp)].shape, g.out_channels, "w_zero_point");
  }
  return g;
}

// acc (int32, zero-filled, g.output_shape()) = conv(x32, w32): a direct convolution; each (image,
// output channel) plane is one task. Sums run in int64 and wrap to int32 at the store.
void conv_int32(const ConvGeometry& g, const Tensor& x32, const Tensor& w32, Tensor& acc) {
  const size_t nd = g.kernel.size();
  int64_t in_size = 1, out_size = 1, kk = 1;
  for (size_t d = 0; d < nd; ++d) {
    in_size *= g.in_spatial[d];
    out_size *= g.out_spatial[d];
    kk *= g.kernel[d];
  }
  const int64_t cg = g.in_channels / g.group, mg = g.out_channels / g.group;
  std::vector<int64_t> in_stride(nd, 1), kidx(size_t(kk) * nd);
  for (size_t d = nd; d-- > 1;) in_stride[d - 1] = in_stride[d] * g.in_spatial[d];
  for (int64_t k = 0; k < kk; ++k)
    for (int64_t r = k, d = int64_t(nd) - 1; d >= 0; --d) {
      kidx[size_t(k) * nd + size_t(d)] = r % g.kernel[size_t(d)];
      r /= g.kernel[size_t(d)];
    }
  const int32_t* px = x32.data<int32_t>();
  const int32_t* pw = w32.data<int32_t>();
  int32_t* py = acc.data<int32_t>();
  const int64_t planes = g.batch * g.out_channels;
  parallel_for(planes, 1, [&](int64_t b, int64_t e) {
    std::vector<int64_t> opos(nd);
    for (int64_t p = b; p < e; ++p) {
      const int64_t n = p / g.out_channels, m = p % g.out_channels, grp = m / mg;
      const int32_t* xg = px + (n * g.in_channels + grp * cg) * in_size;
      const int32_t* wm = pw + m * cg * kk;
      int32_t* yp = py + p * out_size;
      for (int64_t o = 0; o < out_size; ++o) {
        for (int64_t r = o, d = int64_t(nd) - 1; d >= 0; --d) {
          opos[size_t(d)] = r % g.out_spatial[size_t(d)];
          r /= g.out_spatial[size_t(d)];
        }
        int64_t sum = 0;
        for (int64_t k = 0; k < kk; ++k) {
          int64_t off = 0;
          bool inside = true;
          for (size_t d = 0; d < nd && inside; ++d) {
            const int64_t i = opos[d] * g.strides[d] - g.pad_begin[d] + kidx[size_t(k) * nd + d] * g.dilations[d];
            inside = i >= 0 && i < g.in_spatial[d];
            off += i * in_stride[d];
          }
          if (!inside) continue;
          for (int64_t c = 0; c < cg; ++c) sum += int64_t(xg[c * in_size + off]) * wm[c * kk + k];
        }
        yp[o] = int32_t(sum);
      }
    }
  });
}

// x and w as int32 minus their zero points (w's per output channel when it has M of them).
void prepare_conv_operands(std::span<const Tensor> in, int x, int x_zp, int w, int w_zp, Tensor& x32, Tensor& w32) {
  const Tensor none;
  x32 = subtract_zero_point(in[size_t(x)], x_zp < int(in.size()) ? in[size_t(x_zp)] : none, {});
  const Tensor& wz = w_zp < int(in.size()) ? in[size_t(w_zp)] : none;
  Shape wz_shape;
  if (wz.defined() && wz.numel() > 1) {
    wz_shape.assign(in[size_t(w)].shape().size(), 1);
    wz_shape[0] = wz.numel();
  }
  w32 = subtract_zero_point(in[size_t(w)], wz, wz_shape);
}

// The shape a zero point broadcasts with against its operand x: one element (per tensor), a 1-D
// [M] for A (per row, as [M, 1]) or [N] for B (per column), or an N-D shape broadcasting into x.
Shape zero_point_shape(const ir::Node& node, const Shape& x, const Shape& zp, bool per_row, const char* what) {
  if (zp.size() <= 1 && numel(zp) == 1) return {};
  if (zp.size() == 1 && x.size() >= 2) {
    const int64_t want = per_row ? x[x.size() - 2] : x[x.size() - 1];
    SHRINK_CHECK(zp[0] == want, node.label(), " ", what, " of shape ", shape_str(zp), " must have ", want,
                 " elements (one per ", per_row ? "row" : "column", " of ", shape_str(x), ")");
    return per_row ? Shape{want, 1} : Shape{want};
  }
  SHRINK_CHECK(zp.size() >= 2 && zp.size() <= x.size(), node.label(), " ", what, " of shape ", shape_str(zp),
               " does not fit input ", shape_str(x));
  for (size_t i = 0; i < zp.size(); ++i) {
    const int64_t d = zp[zp.size() - 1 - i], xd = x[x.size() - 1 - i];
    SHRINK_CHECK(d == xd || d == 1, node.label(), " ", what, " of shape ", shape_str(zp), " does not broadcast to ",
                 shape_str(x));
  }
  SHRINK_CHECK(zp[zp.size() - (per_row ? 1 : 2)] == 1, node.label(), " ", what, " of shape ", shape_str(zp),
               " must be per ", per_row ? "row" : "column");
  return zp;
}

void check_matmul_operand(const ir::Node& node, std::span<const ValueMeta> in, int x, int zp, const char* name) {
  if (!is_int8_type(in[x].dtype)) fail_input(node.label(), " ", name, " must be uint8 or int8, got ",
                                             onnx_type_name(int(in[x].dtype)));
  if (zp < int(in.size()) && in[zp].present())
    SHRINK_CHECK(in[zp].dtype == in[x].dtype, node.label(), " ", name, "'s zero point type ",
                 onnx_type_name(int(in[zp].dtype)), " differs from ", dtype_name(in[x].dtype));
}

// c (int32, zero-filled, shape s.out) = A32 x B32 with numpy batching, in uint32 so that overflow wraps.
void matmul_int32(const Tensor& a, const Tensor& b, const MatMulShape& s, Tensor& c) {
  const int64_t nb = s.batch_count();
  std::vector<int64_t> a_off(static_cast<size_t>(nb)), b_off(static_cast<size_t>(nb));
  const auto a_str = strides_of(s.a_batch), b_str = strides_of(s.b_batch);
  for (int64_t i = 0; i < nb; ++i) {
    int64_t rem = i, oa = 0, ob = 0;
    for (size_t d = s.batch.size(); d-- > 0;) {
      const int64_t idx = rem % s.batch[d];
      rem /= s.batch[d];
      if (s.a_batch[d] != 1) oa += idx * a_str[d];
      if (s.b_batch[d] != 1) ob += idx * b_str[d];
    }
    a_off[size_t(i)] = oa * s.m * s.k;
    b_off[size_t(i)] = ob * s.k * s.n;
  }
  const auto* pa = reinterpret_cast<const uint32_t*>(a.data<int32_t>());
  const auto* pb = reinterpret_cast<const uint32_t*>(b.data<int32_t>());
  auto* pc = reinterpret_cast<uint32_t*>(c.data<int32_t>());
  matmul_tasks(nb, s.m, s.n, s.k, [&](int64_t bi, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    matmul_block<uint32_t>(r1 - r0, c1 - c0, s.k, {pa + a_off[size_t(bi)] + r0 * s.k, s.k, 1},
                           {pb + b_off[size_t(bi)] + c0, s.n, 1}, pc + bi * s.m * s.n + r0 * s.n + c0, s.n);
  });
}

Tensor operand_int32(const ir::Node& node, std::span<const Tensor> in, int x, int zp, bool per_row, const char* what) {
  if (zp >= int(in.size()) || !in[zp].defined()) return subtract_zero_point(in[x], Tensor(), {});
  const Shape zs = zero_point_shape(node, in[x].shape(), in[zp].shape(), per_row, what);
  return subtract_zero_point(in[x], in[zp], zs);
}

}  // namespace shrink::ops
