// DequantizeLinear: y = (x - x_zero_point) * x_scale, per-tensor, per-axis (opset 13+) or blocked
// (opset 21+). x is uint8/int8/uint16/int16, or int32 whose zero point must be 0. The output has
// the scale's type (float32 before opset 19) or `output_dtype` (opset 23+); math runs in float32.
#include <type_traits>

#include "ops/attr_reader.h"
#include "ops/quant/quant_attrs.h"
#include "ops/quant/quant_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<DequantizeAttrs>();
  if (opset >= 13) a->axis = r.get_int("axis", 1);
  if (opset >= 21) {
    a->block_size = r.get_int("block_size", 0);
    SHRINK_CHECK(a->block_size >= 0, node.label(), " block_size=", a->block_size, " must be >= 0");
  }
  if (opset >= 23) {
    if (const int64_t code = r.get_int("output_dtype", 0); code != 0) {
      a->output_dtype = dtype_attr(code);
      SHRINK_CHECK(a->output_dtype == DType::kFloat32 || a->output_dtype == DType::kFloat16 ||
                       a->output_dtype == DType::kBFloat16,
                   node.label(), " output type ", type_code_name(code), " is not supported");
    }
  }
  r.done();
  return a;
}

void check_int32_zero_point(const ir::Node& node, const Tensor& zp) {
  for (int64_t i = 0; i < zp.numel(); ++i)
    SHRINK_CHECK(zp.as_int64(i) == 0, node.label(), " x_zero_point[", i, "] = ", zp.as_int64(i),
                 " is out of range: int32 inputs take no zero point (must be 0)");
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const auto& a = node.attrs_as<DequantizeAttrs>();
  const DType xt = in[0].dtype;
  if (!is_quant_type(xt) && xt != DType::kInt32) refuse_quant_type(node, "x", xt);
  require_scale_dtype(node, in[1], "x_scale");
  const bool has_zp = in.size() > 2 && in[2].present();
  if (has_zp) {
    SHRINK_CHECK(in[2].dtype == xt, node.label(), " x_zero_point type ", onnx_type_name(int(in[2].dtype)),
                 " differs from x's type ", dtype_name(xt));
    if (xt == DType::kInt32 && in[2].value) check_int32_zero_point(node, *in[2].value);
  }
  resolve_quant_layout(node, in[0].shape, in[1].shape, has_zp ? &in[2].shape : nullptr, a.axis, a.block_size);
  check_scales(node, in[1], "x_scale");
  const DType yt = a.output_dtype != DType::kUndefined ? a.output_dtype : in[1].dtype;
  out[0] = ValueMeta{yt, in[0].shape};
  return true;
}

template <class Q, class Y>
void dequantize(const Tensor& x, const std::vector<float>& scale, const std::vector<int32_t>& zp,
                const QuantLayout& L, Tensor& y) {
  const Q* px = x.data<Q>();
  Y* py = y.data<Y>();
  const int64_t step = L.param_step();
  for_each_param_run(L, x.numel(), [&](int64_t begin, int64_t end, int64_t p0) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t p = p0 + step * (i - begin);
      // As the spec's reference: both operands converted to float32, then subtracted.
      py[i] = Y((float(px[i]) - float(zp[size_t(p)])) * scale[size_t(p)]);
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<DequantizeAttrs>();
  const Tensor* zp = in.size() > 2 && in[2].defined() ? &in[2] : nullptr;
  if (zp && in[0].dtype() == DType::kInt32) check_int32_zero_point(node, *zp);
  const QuantLayout L = resolve_quant_layout(node, in[0].shape(), in[1].shape(), zp ? &zp->shape() : nullptr,
                                             a.axis, a.block_size);
  const std::vector<float> scale = read_scales(node, in[1], "x_scale");
  const std::vector<int32_t> zps = read_zero_points(zp, int64_t(scale.size()));
  visit_dtype(in[0].dtype(), [&](auto qtag) {
    using Q = decltype(qtag);
    if constexpr (std::is_same_v<Q, uint8_t> || std::is_same_v<Q, int8_t> || std::is_same_v<Q, uint16_t> ||
                  std::is_same_v<Q, int16_t> || std::is_same_v<Q, int32_t>) {
      visit_dtype(out[0].dtype(), [&](auto ytag) {
        using Y = decltype(ytag);
        if constexpr (std::is_same_v<Y, float> || std::is_same_v<Y, Half> || std::is_same_v<Y, BFloat16>) {
          dequantize<Q, Y>(in[0], scale, zps, L, out[0]);
        } else {
          refuse_quant_type(node, "output", out[0].dtype());
        }
      });
    } else {
      refuse_quant_type(node, "x", in[0].dtype());
    }
  });
}

void validate(const ir::Node& node, std::span<const Tensor* const> c) {
  validate_scales(node, c, {{1, "x_scale"}});
  if (c.size() > 2 && c[0] && c[2] && c[0]->dtype() == DType::kInt32) check_int32_zero_point(node, *c[2]);
}

}  // namespace

extern const OpSchema kDequantizeLinear{.op_type = "DequantizeLinear", .min_inputs = 2, .max_inputs = 3,
                                        .since_opset = 10, .parse = parse, .infer = infer, .compute = compute,
                                        .validate = validate};

}  // namespace shrink::ops
