// com.shrink QAdd (see quantized.h): the quantized residual Add made by the runtime's QDQ fusion
// (passes/fuse_qadd.cc). The reference kernel computes each element as the float chain
// DequantizeLinear x2 -> Add [-> Relu | Clip] -> QuantizeLinear does (qadd_value, then round half to
// even, zero point, saturation), so the fusion changes no bit. Never exported.
#include "ops/attr_reader.h"
#include "ops/common.h"
#include "ops/internal/quantized.h"
#include "ops/quant/integer_arith.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<QAddAttrs>();
  a->act = parse_q_activation(node, r);
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const std::pair<int, const char*> operands[] = {{kQAddA, "a"}, {kQAddB, "b"}, {kQAddYZp, "y"}};
  for (auto [x, what] : operands) {
    check_int8(node, in[size_t(x)], what);
    if (x != kQAddYZp)
      SHRINK_CHECK(in[size_t(x + 2)].dtype == in[size_t(x)].dtype, node.label(), " ", what,
                   "'s zero point type differs from ", what, "'s");
  }
  for (auto [s, what] : {std::pair{kQAddAScale, "a_scale"}, {kQAddBScale, "b_scale"}, {kQAddYScale, "y_scale"}}) {
    SHRINK_CHECK(in[size_t(s)].dtype == DType::kFloat32, node.label(), " ", what, " must be float32");
    require_single(node, in[size_t(s)].shape, what);
    check_scales(node, in[size_t(s)], what);
  }
  for (auto [z, what] : {std::pair{kQAddAZp, "a_zero_point"}, {kQAddBZp, "b_zero_point"}, {kQAddYZp, "y_zero_point"}})
    require_single(node, in[size_t(z)].shape, what);
  out[0] = ValueMeta{in[kQAddYZp].dtype, broadcast_shapes(in[kQAddA].shape, in[kQAddB].shape)};
  return true;
}

template <class A, class B, class Y>
void add(const ir::Node& node, std::span<const Tensor> in, Tensor& out) {
  const QActivation act = node.attrs_as<QAddAttrs>().act;
  const float as = read_scales(node, in[kQAddAScale], "a_scale")[0], bs = read_scales(node, in[kQAddBScale], "b_scale")[0];
  const float ys = read_scales(node, in[kQAddYScale], "y_scale")[0];
  const float az = float(in[kQAddAZp].as_int64(0)), bz = float(in[kQAddBZp].as_int64(0));
  const double yz = double(in[kQAddYZp].as_int64(0));
  const QuantRange range = quant_range(out.dtype());
  const A* pa = in[kQAddA].data<A>();
  const B* pb = in[kQAddB].data<B>();
  Y* py = out.data<Y>();
  const Shape shapes[] = {in[kQAddA].shape(), in[kQAddB].shape()};
  for_each_broadcast_row(out.shape(), shapes, [&](int64_t o, const int64_t* off, int64_t len, const int64_t* step) {
    for (int64_t i = 0; i < len; ++i) {
      const float v = qadd_value(float(pa[off[0] + i * step[0]]), az, as, float(pb[off[1] + i * step[1]]), bz, bs, act, ys);
      py[o + i] = Y(round_saturate(double(v), yz, range));
    }
  });
}

template <class A, class B>
void add_to(const ir::Node& node, std::span<const Tensor> in, Tensor& out) {
  if (out.dtype() == DType::kUInt8) add<A, B, uint8_t>(node, in, out);
  else add<A, B, int8_t>(node, in, out);
}

template <class A>
void add_b(const ir::Node& node, std::span<const Tensor> in, Tensor& out) {
  if (in[kQAddB].dtype() == DType::kUInt8) add_to<A, uint8_t>(node, in, out);
  else add_to<A, int8_t>(node, in, out);
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  if (in[kQAddA].dtype() == DType::kUInt8) add_b<uint8_t>(node, in, out[0]);
  else add_b<int8_t>(node, in, out[0]);
}

void validate(const ir::Node& node, std::span<const Tensor* const> c) {
  validate_scales(node, c, {{kQAddAScale, "a_scale"}, {kQAddBScale, "b_scale"}, {kQAddYScale, "y_scale"}});
}

}  // namespace

extern const OpSchema kQAdd{.op_type = "QAdd", .domain = "com.shrink", .min_inputs = kQAddInputs,
                            .max_inputs = kQAddInputs, .parse = parse, .infer = infer, .compute = compute,
                            .validate = validate};

}  // namespace shrink::ops
