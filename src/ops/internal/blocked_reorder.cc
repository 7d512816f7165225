// com.shrink ToBlocked / FromBlocked: the layout changes at the borders of a blocked region
// (blocked_layout.h). Reference kernels move element by element; the runtime uses oneDNN reorders.
#include "ops/attr_reader.h"
#include "ops/common.h"
#include "ops/internal/blocked_layout.h"

namespace shrink::ops {
namespace {

struct BlockAttrs : ir::OpAttrs {
  int64_t block = 8;
};

std::shared_ptr<const ir::OpAttrs> parse_block(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<BlockAttrs>();
  a->block = r.require_int("block");
  SHRINK_CHECK(a->block > 0 && a->block <= 64, node.label(), " block must be in 1..64, got ", a->block);
  r.done();
  return a;
}

bool infer_to(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  out[0] = {in[0].dtype, blocked_shape(in[0].shape, node.attrs_as<BlockAttrs>().block, node)};
  return true;
}

void compute_to(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  out[0] = to_blocked(in[0], node.attrs_as<BlockAttrs>().block, node);
}

bool infer_from(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  out[0] = {in[0].dtype, plain_shape(in[0].shape, node)};
  return true;
}

void compute_from(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  out[0] = from_blocked(in[0], node);
}

}  // namespace

extern const OpSchema kToBlocked{.op_type = "ToBlocked", .domain = "com.shrink", .parse = parse_block,
                                 .infer = infer_to, .compute = compute_to};
extern const OpSchema kFromBlocked{.op_type = "FromBlocked", .domain = "com.shrink", .infer = infer_from,
                                   .compute = compute_from};

}  // namespace shrink::ops
