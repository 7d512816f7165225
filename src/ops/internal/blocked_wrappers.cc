// com.shrink BlockedFusedConv, BlockedMaxPool, BlockedAveragePool: a plain op (FusedConv, MaxPool,
// AveragePool) on channel-blocked tensors (blocked_layout.h). Parsing binds the wrapped op with the
// node's attributes minus "block"; inference and the reference kernel unblock the inputs, run the
// wrapped op's and block the result, so the wrapped op stays the single definition of the math.
#include "ops/attr_reader.h"
#include "ops/common.h"
#include "ops/internal/blocked_layout.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  auto a = std::make_shared<BlockedAttrs>();
  auto it = node.attrs.find("block");
  SHRINK_CHECK(it != node.attrs.end(), node.label(), " needs attribute 'block'");
  {
    ir::Node only_block;
    only_block.op_type = node.op_type;
    only_block.attrs["block"] = it->second;
    AttrReader r(only_block);
    a->block = r.require_int("block");
  }
  SHRINK_CHECK(a->block > 0 && a->block <= 64, node.label(), " block must be in 1..64, got ", a->block);
  a->inner = node;
  a->inner.attrs.erase("block");
  const std::string_view wrapped = std::string_view(node.op_type).substr(std::string_view("Blocked").size());
  a->inner.op_type = std::string(wrapped);
  a->inner.domain = wrapped == "FusedConv" ? "com.shrink" : "";
  bind(a->inner, opset);
  return a;
}

// Input i of the wrapped op is blocked when it has rank 5 (a convolution's x may also be plain).
ValueMeta unblock_meta(const ValueMeta& m, const ir::Node& node) {
  if (!m.present() || m.shape.size() != 5) return m;
  return {m.dtype, plain_shape(m.shape, node), nullptr};
}

bool is_data_input(const ir::Node& node, size_t i) {
  // Blocked inputs: x (0) and, for the convolution, the residual (3). Weights and bias stay plain.
  return i == 0 || (node.op_type == "BlockedFusedConv" && i == 3);
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const auto& a = node.attrs_as<BlockedAttrs>();
  std::vector<ValueMeta> plain(in.begin(), in.end());
  for (size_t i = 0; i < plain.size(); ++i)
    if (is_data_input(node, i)) plain[i] = unblock_meta(plain[i], node);
  std::vector<ValueMeta> inner_out(a.inner.outputs.size());
  if (!schema_of(a.inner).infer(a.inner, plain, inner_out)) return false;
  out[0] = {inner_out[0].dtype, blocked_shape(inner_out[0].shape, a.block, node)};
  for (size_t i = 1; i < out.size(); ++i) out[i] = inner_out[i];
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<BlockedAttrs>();
  std::vector<Tensor> plain(in.begin(), in.end());
  for (size_t i = 0; i < plain.size(); ++i)
    if (is_data_input(node, i) && plain[i].defined() && plain[i].rank() == 5) plain[i] = from_blocked(plain[i], node);
  std::vector<Tensor> result = run_reference(a.inner, plain);
  out[0] = to_blocked(result[0], a.block, node);
  for (size_t i = 1; i < out.size() && i < result.size(); ++i) out[i] = result[i];
}

}  // namespace

extern const OpSchema kBlockedFusedConv{.op_type = "BlockedFusedConv", .domain = "com.shrink", .min_inputs = 2,
                                        .max_inputs = 4, .parse = parse, .infer = infer, .compute = compute};
extern const OpSchema kBlockedMaxPool{.op_type = "BlockedMaxPool", .domain = "com.shrink", .parse = parse,
                                      .infer = infer, .compute = compute};
extern const OpSchema kBlockedAveragePool{.op_type = "BlockedAveragePool", .domain = "com.shrink", .parse = parse,
                                          .infer = infer, .compute = compute};

}  // namespace shrink::ops
