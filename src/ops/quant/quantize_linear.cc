// QuantizeLinear: y = saturate(round_half_even(x / y_scale) + y_zero_point), per-tensor, per-axis
// (opset 13+) or blocked (opset 21+). Outputs uint8/int8/uint16/int16; the float8 and 4/2-bit
// outputs of newer opsets are refused. The division runs in the scale's precision (or `precision`).
#include <type_traits>

#include "ops/attr_reader.h"
#include "ops/quant/quant_attrs.h"
#include "ops/quant/quant_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<QuantizeAttrs>();
  if (opset >= 13) a->axis = r.get_int("axis", 1);
  if (opset >= 19) a->saturate = r.get_int("saturate", 1) != 0;
  if (opset >= 21) {
    a->block_size = r.get_int("block_size", 0);
    SHRINK_CHECK(a->block_size >= 0, node.label(), " block_size=", a->block_size, " must be >= 0");
    if (const int64_t code = r.get_int("output_dtype", 0); code != 0) {
      a->output_dtype = dtype_attr(code);
      SHRINK_CHECK(is_quant_type(a->output_dtype), node.label(), " output type ", type_code_name(code),
                   " is not supported");
    }
  }
  if (opset >= 23) {
    if (const int64_t code = r.get_int("precision", 0); code != 0) {
      a->precision = dtype_attr(code);
      SHRINK_CHECK(a->precision == DType::kFloat32 || a->precision == DType::kFloat16 ||
                       a->precision == DType::kBFloat16,
                   node.label(), " precision ", type_code_name(code), " is not supported");
    }
  }
  r.done();
  return a;
}

DType output_dtype(const ir::Node& node, std::span<const ValueMeta> in) {
  const auto& a = node.attrs_as<QuantizeAttrs>();
  if (in.size() > 2 && in[2].present()) {
    if (!is_quant_type(in[2].dtype)) refuse_quant_type(node, "y_zero_point", in[2].dtype);
    SHRINK_CHECK(a.output_dtype == DType::kUndefined || a.output_dtype == in[2].dtype, node.label(),
                 " output_dtype ", dtype_name(a.output_dtype), " differs from y_zero_point's type ",
                 dtype_name(in[2].dtype));
    return in[2].dtype;
  }
  return a.output_dtype == DType::kUndefined ? DType::kUInt8 : a.output_dtype;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const auto& a = node.attrs_as<QuantizeAttrs>();
  const DType xt = in[0].dtype;
  SHRINK_CHECK(xt == DType::kFloat32 || xt == DType::kFloat16 || xt == DType::kBFloat16 || xt == DType::kInt32,
               node.label(), " x must be float32, float16, bfloat16 or int32, got ", onnx_type_name(int(xt)));
  require_scale_dtype(node, in[1], "y_scale");
  const bool has_zp = in.size() > 2 && in[2].present();
  const DType yt = output_dtype(node, in);
  resolve_quant_layout(node, in[0].shape, in[1].shape, has_zp ? &in[2].shape : nullptr, a.axis, a.block_size);
  check_scales(node, in[1], "y_scale");
  out[0] = ValueMeta{yt, in[0].shape};
  return true;
}

template <class X, class Q>
void quantize(const Tensor& x, const std::vector<float>& scale, const std::vector<int32_t>& zp,
              const QuantLayout& L, DType precision, Tensor& y) {
  const X* px = x.data<X>();
  Q* py = y.data<Q>();
  const QuantRange range = quant_range(dtype_of<Q>);
  const int64_t step = L.param_step();
  for_each_param_run(L, x.numel(), [&](int64_t begin, int64_t end, int64_t p0) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t p = p0 + step * (i - begin);
      double q;
      if constexpr (std::is_same_v<X, int32_t>) {
        q = double(px[i]) / double(scale[size_t(p)]);  // as numpy: int32 / float32 is float64
      } else {
        q = round_to_precision(round_to_precision(float(px[i]), precision) / scale[size_t(p)], precision);
      }
      py[i] = Q(round_saturate(q, zp[size_t(p)], range));
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<QuantizeAttrs>();
  const Tensor* zp = in.size() > 2 && in[2].defined() ? &in[2] : nullptr;
  const QuantLayout L = resolve_quant_layout(node, in[0].shape(), in[1].shape(), zp ? &zp->shape() : nullptr,
                                             a.axis, a.block_size);
  const std::vector<float> scale = read_scales(node, in[1], "y_scale");
  const std::vector<int32_t> zps = read_zero_points(zp, int64_t(scale.size()));
  const DType precision = a.precision != DType::kUndefined ? a.precision : in[1].dtype();
  visit_dtype(in[0].dtype(), [&](auto xtag) {
    using X = decltype(xtag);
    if constexpr (std::is_same_v<X, float> || std::is_same_v<X, Half> || std::is_same_v<X, BFloat16> ||
                  std::is_same_v<X, int32_t>) {
      visit_dtype(out[0].dtype(), [&](auto qtag) {
        using Q = decltype(qtag);
        if constexpr (std::is_same_v<Q, uint8_t> || std::is_same_v<Q, int8_t> || std::is_same_v<Q, uint16_t> ||
                      std::is_same_v<Q, int16_t>) {
          quantize<X, Q>(in[0], scale, zps, L, precision, out[0]);
        } else {
          refuse_quant_type(node, "output", out[0].dtype());
        }
      });
    } else {
      fail_input(node.label(), " x of type ", dtype_name(in[0].dtype()), " is not supported");
    }
  });
}

void validate(const ir::Node& node, std::span<const Tensor* const> c) {
  validate_scales(node, c, {{1, "y_scale"}});
}

}  // namespace

extern const OpSchema kQuantizeLinear{.op_type = "QuantizeLinear", .min_inputs = 2, .max_inputs = 3,
                                      .since_opset = 10, .parse = parse, .infer = infer, .compute = compute,
                                      .validate = validate};

}  // namespace shrink::ops
