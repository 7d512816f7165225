// Where: out = cond ? x : y with three-way numpy broadcasting. cond is bool; x and y share any
// supported type. Elements are copied as raw bits, so one loop per element size serves all types.
#include <cstring>

#include "ops/binary/binary.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  SHRINK_CHECK(in[0].dtype == DType::kBool, node.label(), " condition must be bool, got ", dtype_name(in[0].dtype));
  require_same_dtype(node, in, 1, 2);
  out[0] = ValueMeta{in[1].dtype, broadcast_shapes(broadcast_shapes(in[0].shape, in[1].shape), in[2].shape)};
  return true;
}

template <class E>
void select(std::span<const Tensor> in, Tensor& out) {
  const bool* c = static_cast<const bool*>(in[0].raw());
  const E* x = static_cast<const E*>(in[1].raw());
  const E* y = static_cast<const E*>(in[2].raw());
  E* z = static_cast<E*>(out.raw());
  Shape shapes[3] = {in[0].shape(), in[1].shape(), in[2].shape()};
  for_each_broadcast_row(out.shape(), shapes, [&](int64_t o, const int64_t* off, int64_t len, const int64_t* step) {
    for (int64_t i = 0; i < len; ++i)
      z[o + i] = c[off[0] + i * step[0]] ? x[off[1] + i * step[1]] : y[off[2] + i * step[2]];
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  switch (dtype_size(in[1].dtype())) {
    case 1: select<uint8_t>(in, out[0]); break;
    case 2: select<uint16_t>(in, out[0]); break;
    case 4: select<uint32_t>(in, out[0]); break;
    case 8: select<uint64_t>(in, out[0]); break;
    default: fail_input(node.label(), " unsupported element type ", dtype_name(in[1].dtype()));
  }
}

}  // namespace

extern const OpSchema kWhere{.op_type = "Where", .min_inputs = 3, .max_inputs = 3, .infer = infer, .compute = compute};

}  // namespace shrink::ops
