// ConvInteger and QLinearConv: convolution of uint8/int8 operands minus their zero points (x per
// tensor, w per tensor or per output channel) accumulated in int32, over Conv's geometry. QLinearConv
// adds the int32 bias and requantizes: y = saturate(round_half_even(acc * x_s * w_s[m] / y_s) + y_zp).
#include <type_traits>

#include "ops/nn/conv.h"
#include "ops/quant/quant_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ConvAttrs>();
  parse_conv_common(node, r, *a);
  r.done();
  return a;
}

void check_int8(const ir::Node& node, const ValueMeta& v, const char* what) {
  if (!is_int8_type(v.dtype))
    fail_input(node.label(), " ", what, " must be uint8 or int8, got ", onnx_type_name(int(v.dtype)));
}

void check_zero_point(const ir::Node& node, const ValueMeta& x, const ValueMeta& zp, const char* what) {
  SHRINK_CHECK(zp.dtype == x.dtype, node.label(), " ", what, " type ", onnx_type_name(int(zp.dtype)),
               " differs from its input's type ", dtype_name(x.dtype));
}

// A per-output-channel parameter (w's zero point or scale): one element or [M].
void check_per_channel(const ir::Node& node, const Shape& s, int64_t m, const char* what) {
  SHRINK_CHECK((s.size() <= 1 && numel(s) == 1) || s == Shape{m}, node.label(), " ", what,
               " must hold one element or ", m, " (one per output channel), got ", shape_str(s));
}

// Output geometry and the shared operand checks; x_zp / w_zp are input indices.
ConvGeometry check_operands(const ir::Node& node, std::span<const ValueMeta> in, int x, int x_zp, int w, int w_zp) {
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
void prepare_operands(std::span<const Tensor> in, int x, int x_zp, int w, int w_zp, Tensor& x32, Tensor& w32) {
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

bool infer_conv_integer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const ConvGeometry g = check_operands(node, in, 0, 2, 1, 3);
  out[0] = ValueMeta{DType::kInt32, g.output_shape()};
  return true;
}

void compute_conv_integer(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[0].shape(), in[1].shape());
  Tensor x32, w32;
  prepare_operands(in, 0, 2, 1, 3, x32, w32);
  conv_int32(g, x32, w32, out[0]);
}

// QLinearConv inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B.
bool infer_qlinear_conv(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const ConvGeometry g = check_operands(node, in, 0, 2, 3, 5);
  check_int8(node, in[7], "y_zero_point");
  for (int i : {1, 4, 6}) require_scale_dtype(node, in[size_t(i)], "scale");
  require_single(node, in[1].shape, "x_scale");
  check_per_channel(node, in[4].shape, g.out_channels, "w_scale");
  require_single(node, in[6].shape, "y_scale");
  require_single(node, in[7].shape, "y_zero_point");
  if (in.size() > 8 && in[8].present()) {
    SHRINK_CHECK(in[8].dtype == DType::kInt32, node.label(), " bias B must be int32, got ",
                 onnx_type_name(int(in[8].dtype)));
    SHRINK_CHECK(in[8].shape == Shape{g.out_channels}, node.label(), " bias B has shape ", shape_str(in[8].shape),
                 ", expected {", g.out_channels, "}");
  }
  check_scales(node, in[1], "x_scale");
  check_scales(node, in[4], "w_scale");
  check_scales(node, in[6], "y_scale");
  out[0] = ValueMeta{in[7].dtype, g.output_shape()};
  return true;
}

void compute_qlinear_conv(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[0].shape(), in[3].shape());
  const float xs = read_scales(node, in[1], "x_scale")[0];
  const std::vector<float> ws = read_scales(node, in[4], "w_scale");
  const float ys = read_scales(node, in[6], "y_scale")[0];
  Tensor x32, w32, acc(DType::kInt32, g.output_shape());
  prepare_operands(in, 0, 2, 3, 5, x32, w32);
  conv_int32(g, x32, w32, acc);
  const int32_t* bias = in.size() > 8 && in[8].defined() ? in[8].data<int32_t>() : nullptr;
  std::vector<double> mult(size_t(g.out_channels));
  for (int64_t m = 0; m < g.out_channels; ++m) mult[size_t(m)] = double(xs * ws[ws.size() == 1 ? 0 : size_t(m)] / ys);
  const double zp = double(in[7].as_int64(0));
  const QuantRange range = quant_range(in[7].dtype());
  const int64_t plane = numel(g.out_spatial);
  const int32_t* pa = acc.data<int32_t>();
  visit_dtype(in[7].dtype(), [&](auto tag) {
    using Q = decltype(tag);
    if constexpr (std::is_same_v<Q, uint8_t> || std::is_same_v<Q, int8_t>) {
      Q* py = out[0].data<Q>();
      parallel_for(acc.numel(), 1 << 14, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          const int64_t m = plane ? (i / plane) % g.out_channels : 0;
          // The bias adds in int32 and wraps, as an int32 accumulator would.
          const int32_t v = bias ? int32_t(uint32_t(pa[i]) + uint32_t(bias[m])) : pa[i];
          py[i] = Q(round_saturate(double(v) * mult[size_t(m)], zp, range));
        }
      });
    }
  });
}

}  // namespace

extern const OpSchema kConvInteger{.op_type = "ConvInteger", .min_inputs = 2, .max_inputs = 4, .since_opset = 10,
                                   .parse = parse, .infer = infer_conv_integer, .compute = compute_conv_integer};
extern const OpSchema kQLinearConv{.op_type = "QLinearConv", .min_inputs = 8, .max_inputs = 9, .since_opset = 10,
                                   .parse = parse, .infer = infer_qlinear_conv, .compute = compute_qlinear_conv};

}  // namespace shrink::ops
