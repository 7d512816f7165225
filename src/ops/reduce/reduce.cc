// ReduceSum/Mean/Max shared parsing, axes resolution, shape inference and the block plan.
#include "ops/reduce/reduce.h"

#include "ops/attr_reader.h"

namespace shrink::ops {

std::shared_ptr<const ir::OpAttrs> parse_reduce(const ir::Node& node, int64_t opset, int64_t axes_input_since) {
  AttrReader r(node);
  auto a = std::make_shared<ReduceAttrs>();
  a->keepdims = r.get_int("keepdims", 1) != 0;
  a->axes_from_input = opset >= axes_input_since;
  if (a->axes_from_input) {
    a->noop_with_empty_axes = r.get_int("noop_with_empty_axes", 0) != 0;
  } else {
    a->axes = r.get_ints("axes", {});
    SHRINK_CHECK(!node.has_input(1), node.label(), " takes axes as an attribute before opset ", axes_input_since);
  }
  r.done();
  return a;
}

std::optional<std::vector<bool>> reduced_dims(const ir::Node& node, std::span<const ValueMeta> in) {
  const auto& a = node.attrs_as<ReduceAttrs>();
  const int64_t rank = int64_t(in[0].shape.size());
  std::vector<int64_t> axes = a.axes;
  if (a.axes_from_input && in.size() > 1 && in[1].present()) {
    SHRINK_CHECK(is_integer(in[1].dtype) && in[1].shape.size() <= 1, node.label(), " axes must be a 1-D int64 tensor, got ",
                 dtype_name(in[1].dtype), " ", shape_str(in[1].shape));
    if (!in[1].value) return std::nullopt;
    axes = in[1].value->to_int64_vector();
  }
  std::vector<bool> reduced(size_t(rank), false);
  if (axes.empty()) {
    if (!a.noop_with_empty_axes) reduced.assign(size_t(rank), true);
    return reduced;
  }
  for (int64_t ax : axes) {
    SHRINK_CHECK(ax >= -rank && ax < rank, node.label(), " axis ", ax, " is out of range for rank ", rank);
    const size_t d = size_t(ax < 0 ? ax + rank : ax);
    SHRINK_CHECK(!reduced[d], node.label(), " axis ", ax, " is repeated");
    reduced[d] = true;
  }
  return reduced;
}

bool infer_reduce(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out, bool allow_bool) {
  const DType t = in[0].dtype;
  SHRINK_CHECK(traits(t).supported && t != DType::kString && (allow_bool || t != DType::kBool), node.label(),
               " does not support ", dtype_name(t));
  const auto reduced = reduced_dims(node, in);
  if (!reduced) return false;
  const bool keep = node.attrs_as<ReduceAttrs>().keepdims;
  Shape s;
  for (size_t d = 0; d < reduced->size(); ++d) {
    if (!(*reduced)[d]) s.push_back(in[0].shape[d]);
    else if (keep) s.push_back(1);
  }
  out[0] = ValueMeta{t, s};
  return true;
}

ReducePlan make_reduce_plan(const Shape& in, const std::vector<bool>& reduced) {
  // Merge neighbouring dims of the same kind; size-1 dims change nothing and are dropped.
  std::vector<int64_t> sizes;
  std::vector<bool> red;
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] == 1) continue;
    if (!red.empty() && red.back() == reduced[d]) {
      sizes.back() *= in[d];
    } else {
      sizes.push_back(in[d]);
      red.push_back(reduced[d]);
    }
  }
  ReducePlan p;
  p.count = 1;
  for (size_t d = 0; d < in.size(); ++d)
    if (reduced[d]) p.count *= in[d];
  std::vector<int64_t> strides(sizes.size());
  int64_t st = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    strides[d] = st;
    st *= sizes[d];
  }
  size_t n = sizes.size();
  if (n > 0) {
    if (red[n - 1]) p.inner_red = sizes[n - 1];
    else p.inner_keep = sizes[n - 1];
    --n;
  }
  for (size_t d = 0; d < n; ++d) {
    if (red[d]) {
      p.red_sizes.push_back(sizes[d]);
      p.red_strides.push_back(strides[d]);
      p.red_count *= sizes[d];
    } else {
      p.keep_sizes.push_back(sizes[d]);
      p.keep_strides.push_back(strides[d]);
    }
  }
  p.blocks = numel(p.keep_sizes);
  return p;
}

}  // namespace shrink::ops
