// Transpose: permute dims (default: reverse them). The kernel reads the input through permuted
// strides and writes the output in order.
#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {

std::vector<int64_t> transpose_perm(const ir::Node& node, size_t rank) {
  std::vector<int64_t> perm = node.attrs_as<TransposeAttrs>().perm;
  if (perm.empty()) {
    for (size_t i = 0; i < rank; ++i) perm.push_back(int64_t(rank - 1 - i));
    return perm;
  }
  SHRINK_CHECK(perm.size() == rank, node.label(), " perm has ", perm.size(), " entries for rank ", rank);
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    SHRINK_CHECK(p >= 0 && p < int64_t(rank) && !seen[size_t(p)], node.label(), " perm ", shape_str(perm),
                 " is not a permutation of 0..", rank - 1);
    seen[size_t(p)] = true;
  }
  return perm;
}

namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<TransposeAttrs>();
  a->perm = r.get_ints("perm");
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  auto perm = transpose_perm(node, in[0].shape.size());
  Shape s(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) s[i] = in[0].shape[size_t(perm[i])];
  out[0] = {in[0].dtype, s};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  auto perm = transpose_perm(node, in[0].shape().size());
  auto in_strides = strides_of(in[0].shape());
  std::vector<int64_t> strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) strides[i] = in_strides[size_t(perm[i])];
  strided_copy(in[0], out[0], 0, strides);
}

}  // namespace

extern const OpSchema kTranspose{.op_type = "Transpose", .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
