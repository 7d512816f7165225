// Typed attributes of the quantization ops and the granularity their scales resolve to. The int8
// runtime and the quantizer read these: QuantizeAttrs / DequantizeAttrs for QDQ pairs, QuantLayout
// for per-tensor, per-axis and blocked scales. ConvInteger and QLinearConv carry ConvAttrs
// (ops/nn/conv.h); MatMulInteger, QLinearMatMul and DynamicQuantizeLinear take no attributes.
#pragma once
#include <cstdint>

#include "ops/op.h"

namespace shrink::ops {

struct QuantizeAttrs : ir::OpAttrs {
  int64_t axis = 1;                         // as written; resolve_quant_layout normalizes it
  int64_t block_size = 0;                   // > 0: blocked along axis (opset 21+)
  DType output_dtype = DType::kUndefined;   // opset 21+; undefined: zero point's type, else uint8
  bool saturate = true;                     // opset 19+; only changes float8 outputs (unsupported)
  DType precision = DType::kUndefined;      // opset 23+: type of x / y_scale; undefined: the scale's
};

struct DequantizeAttrs : ir::OpAttrs {
  int64_t axis = 1;
  int64_t block_size = 0;
  DType output_dtype = DType::kUndefined;   // opset 23+; undefined: the scale's type
};

enum class QuantGranularity { kPerTensor, kPerAxis, kBlocked };

// x seen as [outer, axis_len, inner] around the quantization axis; a scale tensor of the resolved
// granularity is then [1], [axis_len] or [outer, blocks, inner] (blocks = ceil(axis_len / block)).
struct QuantLayout {
  QuantGranularity granularity = QuantGranularity::kPerTensor;
  int64_t axis = 0;  // normalized; 0 for per-tensor
  int64_t block_size = 0;
  int64_t outer = 1, axis_len = 1, inner = 1, blocks = 1;

  // Index of the scale for x element (o, a, i) is param_base(o, a) + param_step() * i.
  int64_t param_base(int64_t o, int64_t a) const {
    switch (granularity) {
      case QuantGranularity::kPerTensor: return 0;
      case QuantGranularity::kPerAxis: return a;
      case QuantGranularity::kBlocked: return (o * blocks + a / block_size) * inner;
    }
    return 0;
  }
  int64_t param_step() const { return granularity == QuantGranularity::kBlocked ? 1 : 0; }
};

// The granularity the spec derives from the scale's shape: a scalar (or one element) is per-tensor,
// a 1-D scale of x.dim(axis) is per-axis, and with block_size > 0 a scale of x's rank whose axis dim
// is ceil(x.dim(axis) / block_size) is blocked. The zero point (when given) must match the scale.
// Fails (bad input, naming the node) for any other combination.
QuantLayout resolve_quant_layout(const ir::Node& node, const Shape& x, const Shape& scale,
                                 const Shape* zero_point, int64_t axis, int64_t block_size);

}  // namespace shrink::ops
