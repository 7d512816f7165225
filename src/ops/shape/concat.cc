// Concat: join inputs along `axis`; all other dims must match. The kernel copies, for each
// outer index, one contiguous block per input.
#include <algorithm>

#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ConcatAttrs>();
  a->axis = r.require_int("axis");
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(!in.empty(), node.label(), " needs at least one input");
  for (size_t i = 0; i < in.size(); ++i) {
    SHRINK_CHECK(in[i].present(), node.label(), " input ", i, " is missing");
    require_storable(node, in[i], int(i));
    require_same_dtype(node, in, 0, int(i));
  }
  const Shape& s0 = in[0].shape;
  SHRINK_CHECK(!s0.empty(), node.label(), " cannot concatenate scalars");
  const int64_t axis = node_axis(node, node.attrs_as<ConcatAttrs>().axis, int64_t(s0.size()));
  Shape o = s0;
  o[size_t(axis)] = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const Shape& s = in[i].shape;
    SHRINK_CHECK(s.size() == s0.size(), node.label(), " input ", i, " has rank ", s.size(), ", expected ", s0.size());
    for (size_t d = 0; d < s.size(); ++d)
      SHRINK_CHECK(d == size_t(axis) || s[d] == s0[d], node.label(), " input ", i, " shape ", shape_str(s),
                   " does not match ", shape_str(s0), " outside axis ", axis);
    o[size_t(axis)] += s[size_t(axis)];
  }
  node_numel(node, o, "output shape");
  out[0] = {in[0].dtype, o};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& os = out[0].shape();
  const size_t axis = size_t(node_axis(node, node.attrs_as<ConcatAttrs>().axis, int64_t(os.size())));
  const size_t elem = dtype_size(out[0].dtype());
  const int64_t outer = prod(os, 0, axis);
  const int64_t inner = prod(os, axis + 1, os.size());
  if (out[0].numel() == 0) return;
  std::vector<size_t> block(in.size());  // bytes per outer index, per input
  size_t out_block = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    block[i] = size_t(in[i].dim(int64_t(axis)) * inner) * elem;
    out_block += block[i];
  }
  auto* dst = static_cast<std::byte*>(out[0].raw());
  parallel_for(outer, std::max<int64_t>(1, int64_t(65536 / std::max<size_t>(out_block, 1))), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      std::byte* d = dst + size_t(o) * out_block;
      for (size_t i = 0; i < in.size(); ++i) {
        if (block[i] == 0) continue;
        std::memcpy(d, static_cast<const std::byte*>(in[i].raw()) + size_t(o) * block[i], block[i]);
        d += block[i];
      }
    }
  });
}

}  // namespace

extern const OpSchema kConcat{.op_type = "Concat", .max_inputs = 1 << 20, .since_opset = 4, .parse = parse,
                              .infer = infer, .compute = compute};

}  // namespace shrink::ops
