// ReduceGrad(dY, X) -> dX (attrs axes, keepdims, mean): the gradient of ReduceSum (mean = 0) or
// ReduceMean (mean = 1) over `axes` (empty = every axis): dY broadcast back to X's shape, divided
// by the reduced element count for the mean. X only supplies the shape and type.
#include "ops/grad/grad_util.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ReduceGradAttrs>();
  a->axes = r.get_ints("axes");
  a->keepdims = r.get_int("keepdims", 1) != 0;
  a->mean = r.get_int("mean", 0) != 0;
  r.done();
  return a;
}

// X's shape with the reduced dims set to 1 (the keepdims form of dY); `reduced` marks them and
// `count` is the number of elements each output sums.
Shape kept_shape(const ir::Node& node, const Shape& x, std::vector<bool>& reduced, int64_t& count) {
  const auto& a = node.attrs_as<ReduceGradAttrs>();
  reduced.assign(x.size(), a.axes.empty());
  for (int64_t d : node_axes(node, a.axes, int64_t(x.size()))) reduced[size_t(d)] = true;
  Shape k = x;
  count = 1;
  for (size_t d = 0; d < x.size(); ++d)
    if (reduced[d]) count *= x[d], k[d] = 1;
  return k;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_grad_type(node, in, 0, true);
  require_same_dtype(node, in, 0, 1);
  const auto& a = node.attrs_as<ReduceGradAttrs>();
  SHRINK_CHECK(!a.mean || is_float(in[0].dtype), node.label(), " mean=1 needs a float gradient, got ",
               dtype_name(in[0].dtype));
  const Shape& x = in[1].shape;
  std::vector<bool> reduced;
  int64_t count = 0;
  Shape y = kept_shape(node, x, reduced, count);
  if (!a.keepdims) {
    y.clear();
    for (size_t d = 0; d < x.size(); ++d)
      if (!reduced[d]) y.push_back(x[d]);
  }
  SHRINK_CHECK(in[0].shape == y, node.label(), " dY has shape ", shape_str(in[0].shape), ", the reduction gives ",
               shape_str(y));
  out[0] = {in[0].dtype, x};
  return true;
}

template <class T>
void broadcast_back(const Tensor& dy, Tensor& dx, const Shape& kept, double count) {
  const T* src = dy.data<T>();
  T* dst = dx.data<T>();
  const Shape shapes[1] = {kept};
  for_each_broadcast_row(dx.shape(), shapes, [&](int64_t o, const int64_t* off, int64_t len, const int64_t* step) {
    for (int64_t i = 0; i < len; ++i) {
      const T v = src[off[0] + i * step[0]];
      if constexpr (std::is_floating_point_v<T>) dst[o + i] = T(double(v) / count);
      else dst[o + i] = v;
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  std::vector<bool> reduced;
  int64_t count = 0;
  const Shape kept = kept_shape(node, in[1].shape(), reduced, count);
  const double divisor = node.attrs_as<ReduceGradAttrs>().mean && count > 0 ? double(count) : 1.0;
  visit_grad_numeric(node, in[0].dtype(), [&](auto tag) { broadcast_back<decltype(tag)>(in[0], out[0], kept, divisor); });
}

}  // namespace

extern const OpSchema kReduceGrad{.op_type = "ReduceGrad", .domain = kGradDomain, .min_inputs = 2, .max_inputs = 2,
                                  .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
