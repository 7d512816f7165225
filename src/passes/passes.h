// Graph -> Graph passes. Each is a named pure function; optimize_* run them in a fixed order.
#pragma once
#include <optional>
#include <span>

#include "ir/graph.h"

namespace shrink::passes {

// One graph input's dtype and concrete shape (specialize_shapes).
struct InputSignature {
  DType dtype;
  Shape shape;
  bool operator==(const InputSignature&) const = default;
};

// Removes nodes whose outputs nobody reads, and initializers nobody reads.
ir::Graph eliminate_dead_code(ir::Graph g);
// Replaces nodes whose inputs are all constants by initializers holding their results.
ir::Graph fold_constants(ir::Graph g);

// Fuses Conv with a following residual Add and/or activation into com.shrink FusedConv (runtime only).
ir::Graph fuse_conv(ir::Graph g);

// Replaces GELU written out as Div / Erf / Add / Mul / Mul by one Gelu (exact form), which the
// fusions below take as an activation (runtime only).
ir::Graph fuse_gelu(ir::Graph g);

// Fuses MatMul with a constant 2-D weight and a following bias Add, residual Add and/or activation
// into com.shrink FusedMatMul (runtime only).
ir::Graph fuse_matmul(ir::Graph g);

// Fuses ONNX Runtime's QDQ patterns (DequantizeLinear -> Conv/MatMul/Gemm [-> Relu/Clip] [->
// QuantizeLinear]) into com.shrink QConv / QMatMul, and moves MaxPool / reshapes between
// quantized values onto the int8 values (runtime only; passes/fuse_qdq.cc).
ir::Graph fuse_qdq(ir::Graph g);
// Fuses the quantized residual Add (DequantizeLinear x2 -> Add [-> Relu | Clip] -> QuantizeLinear,
// per-tensor parameters) into com.shrink QAdd, bit-identical to the chain (runtime only;
// passes/fuse_qadd.cc).
ir::Graph fuse_qadd(ir::Graph g);
// Maps QLinearConv / QLinearMatMul and the dynamic-quantization form (DynamicQuantizeLinear ->
// MatMulInteger/ConvInteger -> Cast -> Mul) onto the same int8 ops (runtime only).
ir::Graph fuse_qoperators(ir::Graph g);
// Fuses MatMulInteger -> Cast(float) -> Mul(one float32 scale) of two run-time operands (attention
// after dynamic quantization) into com.shrink MatMulIntegerScaled (runtime only;
// passes/fuse_matmul_integer.cc).
ir::Graph fuse_matmul_integer(ir::Graph g);

// Keeps activations in the channel-blocked layout (block channels; 8 on AVX2, 16 on AVX-512) across
// convolutions, pools and elementwise ops, with layout changes only at region borders (runtime only;
// ops/internal/blocked_layout.h). block <= 1 returns the graph unchanged.
ir::Graph block_layout(ir::Graph g, int64_t block);

// Keeps int8 activations channels-last ([N,H,W,C]) across QConv, MaxPool, QAdd and elementwise ops,
// with Transposes only at region borders (runtime only; ops/internal/channels_last.h).
ir::Graph channels_last_int8(ir::Graph g);

// Folds inference-mode BatchNormalization after a Conv into the Conv's weights and bias.
ir::Graph fold_batchnorm(ir::Graph g);
// The graph for inputs of exactly these dtypes and shapes: Shape / Size of values whose shapes are
// then known become constants, and what depends only on constants is folded (runtime only; exact
// for those shapes only; passes/specialize_shapes.cc). nullopt when nothing folds or some output
// shape cannot be inferred without run-time values.
std::optional<ir::Graph> specialize_shapes(const ir::Graph& g, std::span<const InputSignature> inputs);
// For `shrink convert --optimize`: constant folding, BatchNorm folding, dead code elimination
// (standard ONNX out).
ir::Graph optimize_for_export(ir::Graph g);
// For the runtime: the export optimizations plus fusions into internal ops.
ir::Graph optimize_for_runtime(ir::Graph g);

}  // namespace shrink::passes
