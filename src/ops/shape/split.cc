// Split: cut input 0 along `axis` into one piece per output. Sizes come from the `split`
// attribute (opset < 13) or input 1 (13+); otherwise equal parts, where opset 18+ lets the last
// piece be smaller (ceil-sized chunks, as with num_outputs).
#include <algorithm>

#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<SplitAttrs>();
  a->axis = r.get_int("axis", 0);
  if (opset >= 13) {
    a->split_input = true;
  } else {
    if (r.has("split")) a->split = r.get_ints("split");
    SHRINK_CHECK(!node.has_input(1), node.label(), " takes split as an attribute before opset 13");
  }
  if (opset >= 18) {
    a->uneven_ok = true;
    a->num_outputs = r.get_int("num_outputs", 0);
    SHRINK_CHECK(a->num_outputs == 0 || a->num_outputs == int64_t(node.outputs.size()), node.label(),
                 " num_outputs=", a->num_outputs, " but the node has ", node.outputs.size(), " outputs");
    SHRINK_CHECK(a->num_outputs == 0 || !node.has_input(1), node.label(),
                 " takes either the split input or num_outputs, not both");
  }
  r.done();
  return a;
}

// Sizes of the pieces along the axis; false when they depend on an unknown input.
bool piece_sizes(const ir::Node& node, const Tensor* split_value, bool split_given, int64_t dim,
                 std::vector<int64_t>& sizes) {
  const auto& a = node.attrs_as<SplitAttrs>();
  const int64_t n = int64_t(node.outputs.size());
  std::optional<std::vector<int64_t>> split = a.split;
  if (split_given) {
    if (!split_value) return false;
    split = read_int_list(node, *split_value, "split");
  }
  if (split) {
    SHRINK_CHECK(int64_t(split->size()) == n, node.label(), " split has ", split->size(), " sizes for ", n,
                 " outputs");
    int64_t total = 0;
    for (int64_t v : *split) {
      SHRINK_CHECK(v >= 0 && v <= dim, node.label(), " split size ", v, " is invalid for a dim of ", dim);
      total += v;
    }
    SHRINK_CHECK(total == dim, node.label(), " split sizes sum to ", total, ", expected ", dim);
    sizes = *split;
    return true;
  }
  if (dim % n == 0) {
    sizes.assign(size_t(n), dim / n);
    return true;
  }
  SHRINK_CHECK(a.uneven_ok, node.label(), " cannot split a dim of ", dim, " into ", n, " equal parts");
  const int64_t chunk = (dim + n - 1) / n;
  SHRINK_CHECK(chunk * (n - 1) <= dim, node.label(), " cannot split a dim of ", dim, " into ", n, " parts");
  sizes.assign(size_t(n), chunk);
  sizes.back() = dim - chunk * (n - 1);
  return true;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  const Shape& s = in[0].shape;
  SHRINK_CHECK(!s.empty(), node.label(), " cannot split a scalar");
  const size_t axis = size_t(node_axis(node, node.attrs_as<SplitAttrs>().axis, int64_t(s.size())));
  const bool given = has_input(in, 1);
  if (given)
    SHRINK_CHECK(in[1].dtype == DType::kInt64 && in[1].shape.size() == 1, node.label(),
                 " split must be a 1-D int64 tensor");
  std::vector<int64_t> sizes;
  if (!piece_sizes(node, given ? in[1].value : nullptr, given, s[axis], sizes)) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    Shape o = s;
    o[axis] = sizes[i];
    out[i] = {in[0].dtype, o};
  }
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  const size_t axis = size_t(node_axis(node, node.attrs_as<SplitAttrs>().axis, int64_t(s.size())));
  const size_t elem = dtype_size(in[0].dtype());
  const int64_t outer = prod(s, 0, axis);
  const size_t inner = size_t(prod(s, axis + 1, s.size())) * elem;
  const size_t in_block = size_t(s[axis]) * inner;
  if (in[0].numel() == 0) return;
  const auto* src = static_cast<const std::byte*>(in[0].raw());
  std::vector<int64_t> sizes;
  const bool given = has_input(in, 1);
  piece_sizes(node, given ? &in[1] : nullptr, given, s[axis], sizes);
  size_t start = 0;  // byte offset of this piece inside one input block
  for (size_t i = 0; i < out.size(); ++i) {
    const size_t block = size_t(sizes[i]) * inner;
    if (out[i].defined() && block > 0) {
      auto* dst = static_cast<std::byte*>(out[i].raw());
      for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + size_t(o) * block, src + size_t(o) * in_block + start, block);
    }
    start += block;
  }
}

}  // namespace

extern const OpSchema kSplit{.op_type = "Split", .max_inputs = 2, .max_outputs = 1 << 16, .since_opset = 2,
                             .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
