// ConcatGrad(dY, X0, ..., Xn-1) -> (dX0, ..., dXn-1) (attr axis, as Concat): splits dY along axis
// into pieces of the Xi's sizes. Xi only supply shapes and types; an output may be left unnamed
// when that gradient is not needed.
#include <algorithm>

#include "ops/grad/grad_util.h"
#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ConcatAttrs>();
  a->axis = r.require_int("axis");
  r.done();
  SHRINK_CHECK(node.outputs.size() + 1 == node.inputs.size(), node.label(), " has ", node.inputs.size() - 1,
               " X inputs and ", node.outputs.size(), " outputs; they must match");
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(out.size() + 1 == in.size(), node.label(), " needs one output per X input");
  require_storable(node, in[0], 0);
  const Shape& ys = in[0].shape;
  SHRINK_CHECK(!ys.empty(), node.label(), " dY cannot be a scalar");
  const size_t axis = size_t(node_axis(node, node.attrs_as<ConcatAttrs>().axis, int64_t(ys.size())));
  int64_t total = 0;
  for (size_t i = 1; i < in.size(); ++i) {
    SHRINK_CHECK(in[i].present(), node.label(), " input ", i, " is missing");
    require_same_dtype(node, in, 0, int(i));
    const Shape& s = in[i].shape;
    bool ok = s.size() == ys.size();
    for (size_t d = 0; ok && d < s.size(); ++d) ok = d == axis || s[d] == ys[d];
    SHRINK_CHECK(ok, node.label(), " input ", i, " shape ", shape_str(s), " does not match dY ", shape_str(ys),
                 " outside axis ", axis);
    total += s[axis];
    out[i - 1] = {in[i].dtype, s};
  }
  SHRINK_CHECK(total == ys[axis], node.label(), " the X inputs sum to ", total, " along axis ", axis, ", dY has ",
               ys[axis]);
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& ys = in[0].shape();
  const size_t axis = size_t(node_axis(node, node.attrs_as<ConcatAttrs>().axis, int64_t(ys.size())));
  const size_t elem = dtype_size(in[0].dtype());
  const int64_t outer = prod(ys, 0, axis), inner = prod(ys, axis + 1, ys.size());
  if (in[0].numel() == 0) return;
  std::vector<size_t> block(out.size()), start(out.size());  // bytes per outer index; offset in a dY block
  size_t y_block = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    block[i] = size_t(in[i + 1].dim(int64_t(axis)) * inner) * elem;
    start[i] = y_block;
    y_block += block[i];
  }
  const auto* src = static_cast<const std::byte*>(in[0].raw());
  parallel_for(outer, std::max<int64_t>(1, int64_t(65536 / std::max<size_t>(y_block, 1))), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      for (size_t i = 0; i < out.size(); ++i)
        if (out[i].defined() && block[i] > 0)
          std::memcpy(static_cast<std::byte*>(out[i].raw()) + size_t(o) * block[i],
                      src + size_t(o) * y_block + start[i], block[i]);
  });
}

}  // namespace

extern const OpSchema kConcatGrad{.op_type = "ConcatGrad", .domain = kGradDomain, .min_inputs = 2,
                                  .max_inputs = 1 << 20, .max_outputs = 1 << 20, .parse = parse, .infer = infer,
                                  .compute = compute};

}  // namespace shrink::ops
