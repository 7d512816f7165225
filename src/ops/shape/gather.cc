// Gather: out = data[:axis] + indices.shape + data[axis+1:], picking slices of `axis` by index.
// Negative indices count from the end; an index out of range is bad input.
#include <algorithm>

#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<GatherAttrs>();
  a->axis = r.get_int("axis", 0);
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  SHRINK_CHECK(in[1].dtype == DType::kInt64 || in[1].dtype == DType::kInt32, node.label(),
               " indices must be int32 or int64, got ", dtype_name(in[1].dtype));
  const Shape& s = in[0].shape;
  SHRINK_CHECK(!s.empty(), node.label(), " cannot gather from a scalar");
  const size_t axis = size_t(node_axis(node, node.attrs_as<GatherAttrs>().axis, int64_t(s.size())));
  Shape o(s.begin(), s.begin() + int64_t(axis));
  o.insert(o.end(), in[1].shape.begin(), in[1].shape.end());
  o.insert(o.end(), s.begin() + int64_t(axis) + 1, s.end());
  node_numel(node, o, "output shape");
  out[0] = {in[0].dtype, o};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  const size_t axis = size_t(node_axis(node, node.attrs_as<GatherAttrs>().axis, int64_t(s.size())));
  const int64_t dim = s[axis];
  const int64_t n_idx = in[1].numel();
  std::vector<int64_t> idx(static_cast<size_t>(n_idx));
  for (int64_t j = 0; j < n_idx; ++j) {
    int64_t v = in[1].as_int64(j);
    SHRINK_CHECK(v >= -dim && v < dim, node.label(), " index ", v, " is out of range for axis ", axis,
                 " of size ", dim);
    idx[size_t(j)] = v < 0 ? v + dim : v;
  }
  if (out[0].numel() == 0) return;
  const int64_t outer = prod(s, 0, axis);
  const size_t inner = size_t(prod(s, axis + 1, s.size())) * dtype_size(in[0].dtype());
  const auto* src = static_cast<const std::byte*>(in[0].raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  const int64_t rows = outer * n_idx;
  parallel_for(rows, std::max<int64_t>(1, int64_t(65536 / std::max<size_t>(inner, 1))), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / n_idx, j = r % n_idx;
      std::memcpy(dst + size_t(r) * inner, src + size_t(o * dim + idx[size_t(j)]) * inner, inner);
    }
  });
}

}  // namespace

extern const OpSchema kGather{.op_type = "Gather", .min_inputs = 2, .max_inputs = 2, .parse = parse,
                              .infer = infer, .compute = compute};

}  // namespace shrink::ops
