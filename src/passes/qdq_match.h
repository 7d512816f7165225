// Matching helpers of the int8 fusion passes (fuse_qdq.cc, fuse_qoperators.cc): per-tensor and
// per-channel quantization parameters that are constants, float biases, the activation /
// QuantizeLinear tail after a convolution or matmul, and building the com.shrink QConv / QMatMul node.
#pragma once
#include "ops/internal/quantized.h"
#include "passes/graph_uses.h"

namespace shrink::passes {

// Constant per-tensor parameters of a QuantizeLinear / DequantizeLinear: a float32 scale of one
// element and a uint8/int8 zero point of one element (required: it fixes the integer type).
struct QParams {
  std::string scale, zp;
};
bool per_tensor_params(const ir::Graph& g, const ir::Node& n, QParams& p);
// Same scale and zero point values (and zero point type).
bool same_params(const ir::Graph& g, const QParams& a, const QParams& b);

// DequantizeLinear of constant uint8/int8 weights, per tensor or per `channel_axis` of w.
struct WeightDQ {
  std::string w, scale, zp;  // zp may be ""
};
bool weight_dq(const ir::Graph& g, const GraphUses& uses, const std::string& v, int64_t channel_axis, WeightDQ& out);

// v as a float32 [n] bias initializer (name in `out`, "" when v is ""): a float32 constant of n
// elements, or DequantizeLinear of an int32 constant (ONNX Runtime's bias form). False otherwise.
bool float_bias(ir::Graph& g, const GraphUses& uses, const std::string& v, int64_t n, std::string& out);

// n is Relu, or Clip with constant (or absent) bounds: its activation in act.
bool constant_activation(const ir::Graph& g, const ir::Node& n, ops::QActivation& act);

// What follows a matmul-like node: an optional Relu / Clip (constant bounds), then an optional
// per-tensor QuantizeLinear. `out` is the last absorbed value.
struct Tail {
  std::vector<size_t> absorbed;
  std::string out;
  ops::QActivation act;
  std::string y_scale, y_zp;
};
Tail match_tail(const ir::Graph& g, const GraphUses& uses, const std::string& start, const std::vector<bool>& taken);

// A bound com.shrink `op_type` node named after `base`, with `inputs` (trailing empty ones dropped).
ir::Node make_q_node(const ir::Graph& g, const ir::Node& base, const char* op_type, std::vector<std::string> inputs,
                     ir::AttributeMap attrs, const ops::QActivation& act, const std::string& out);

}  // namespace shrink::passes
