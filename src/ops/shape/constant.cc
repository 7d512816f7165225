// Constant (one of value / value_float(s) / value_int(s); string and sparse forms are refused)
// and ConstantOfShape (a tensor of shape input 0 filled with the one-element `value`,
// default float32 0).
#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse_constant(const ir::Node& node, int64_t) {
  AttrReader r(node);
  for (const char* s : {"value_string", "value_strings"})
    SHRINK_CHECK(!r.has(s), node.label(), " string constants (", s, ") are not supported");
  SHRINK_CHECK(!r.has("sparse_value"), node.label(), " sparse constants are not supported");
  SHRINK_CHECK(node.attrs.size() == 1, node.label(), " needs exactly one value attribute, has ", node.attrs.size());
  auto a = std::make_shared<ConstantAttrs>();
  if (r.has("value")) {
    a->value = *r.get_tensor("value");
  } else if (r.has("value_float")) {
    a->value = Tensor::scalar(r.get_float("value_float", 0.f));
  } else if (r.has("value_int")) {
    a->value = Tensor::scalar(r.get_int("value_int", 0));
  } else if (r.has("value_floats")) {
    auto v = r.get_floats("value_floats");
    a->value = Tensor::from_vector(v, {int64_t(v.size())});
  } else if (r.has("value_ints")) {
    auto v = r.get_ints("value_ints");
    a->value = Tensor::from_vector(v, {int64_t(v.size())});
  }
  r.done();
  SHRINK_CHECK(a->value.defined() && traits(a->value.dtype()).supported, node.label(),
               " value has an unsupported element type");
  return a;
}

bool infer_constant(const ir::Node& node, std::span<const ValueMeta>, std::vector<ValueMeta>& out) {
  const Tensor& v = node.attrs_as<ConstantAttrs>().value;
  out[0] = {v.dtype(), v.shape()};
  return true;
}

void compute_constant(const ir::Node& node, std::span<const Tensor>, std::span<Tensor> out) {
  copy_bytes(node.attrs_as<ConstantAttrs>().value, out[0]);
}

std::shared_ptr<const ir::OpAttrs> parse_of_shape(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ConstantAttrs>();
  auto v = r.get_tensor("value");
  r.done();
  a->value = v ? *v : Tensor::scalar(0.f);
  SHRINK_CHECK(a->value.numel() == 1, node.label(), " value must have one element, has ", a->value.numel());
  SHRINK_CHECK(traits(a->value.dtype()).supported, node.label(), " value has an unsupported element type");
  return a;
}

bool infer_of_shape(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(in[0].dtype == DType::kInt64 && in[0].shape.size() == 1, node.label(),
               " input must be a 1-D int64 shape, got ", dtype_name(in[0].dtype), " ", shape_str(in[0].shape));
  if (!in[0].value) return false;
  Shape s = read_int_list(node, *in[0].value, "shape");
  node_numel(node, s, "shape");
  out[0] = {node.attrs_as<ConstantAttrs>().value.dtype(), s};
  return true;
}

void compute_of_shape(const ir::Node& node, std::span<const Tensor>, std::span<Tensor> out) {
  const Tensor& v = node.attrs_as<ConstantAttrs>().value;
  visit_word(dtype_size(v.dtype()), [&](auto tag) {
    using U = decltype(tag);
    const U x = *static_cast<const U*>(v.raw());
    U* o = static_cast<U*>(out[0].raw());
    const int64_t n = out[0].numel();
    parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) { std::fill(o + b, o + e, x); });
  });
}

}  // namespace

extern const OpSchema kConstant{.op_type = "Constant", .min_inputs = 0, .max_inputs = 0, .parse = parse_constant,
                                .infer = infer_constant, .compute = compute_constant};
extern const OpSchema kConstantOfShape{.op_type = "ConstantOfShape", .since_opset = 9, .parse = parse_of_shape,
                                       .infer = infer_of_shape, .compute = compute_of_shape};

}  // namespace shrink::ops
