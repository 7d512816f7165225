// The op table's row type. Each op (one file per op or small family) declares one OpSchema:
// arity, attribute parsing with schema defaults (typed, done once at import), shape/dtype
// inference, and the reference kernel, which is both the fallback and the test oracle.
//
//   struct LeakyReluAttrs : ir::OpAttrs { float alpha; };
//   const OpSchema kLeakyRelu{.op_type = "LeakyRelu", .min_inputs = 1, .max_inputs = 1,
//                             .parse = parse_leaky, .infer = infer_same_as_input0, .compute = run};
#pragma once
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"

namespace shrink::ops {

// What is known about a value while inferring: dtype, shape, and the data when it is a constant
// (or, at run time, always). Shapes are concrete: shrink infers per set of input shapes.
struct ValueMeta {
  DType dtype = DType::kUndefined;
  Shape shape;
  const Tensor* value = nullptr;
  bool present() const { return dtype != DType::kUndefined; }
};

using ParseFn = std::shared_ptr<const ir::OpAttrs> (*)(const ir::Node& node, int64_t opset);
// Fills out (one entry per node output). Returns false when an output shape depends on the data
// of an input whose value is not known yet (e.g. Reshape with a computed shape); at run time all
// values are known and it must return true. Fails (bad input) on invalid inputs, naming the node.
using InferFn = bool (*)(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out);
// Reference kernel. in[i] is undefined for an absent optional input; out[] arrive allocated
// (zero-filled) with the inferred dtype and shape.
using ComputeFn = void (*)(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out);
// Load-time check of the inputs that are constants (initializers; null for the others), for what
// must be refused before any run (e.g. a zero or NaN quantization scale). Fails (bad input) naming
// the node.
using ValidateFn = void (*)(const ir::Node& node, std::span<const Tensor* const> constants);

struct OpSchema {
  std::string_view op_type;
  std::string_view domain = "";  // "" = default ONNX domain; "com.shrink" for internal ops
  int min_inputs = 1;
  int max_inputs = 1;
  int min_outputs = 1;
  int max_outputs = 1;
  int64_t since_opset = 1;  // oldest opset of the default domain whose semantics we implement
  ParseFn parse = nullptr;  // null: the op takes no attributes
  InferFn infer = nullptr;
  ComputeFn compute = nullptr;
  ValidateFn validate = nullptr;  // null: nothing to check before running
};

// Table lookup; null when unknown.
const OpSchema* find_op(std::string_view domain, std::string_view op_type);
// All registered ops (for `shrink info`, docs and tests).
std::vector<const OpSchema*> all_ops();

// Resolves the node's schema, checks arity and attributes for `opset` and stores the typed
// attributes in node.typed. Fails (bad input) naming the node for unknown ops or bad attributes.
const OpSchema& bind(ir::Node& node, int64_t opset);
// Binds every node, then runs each schema's validate on the node's constant inputs.
void bind_all(ir::Graph& g);
// The schema of a bound node (fails if the op is unknown).
const OpSchema& schema_of(const ir::Node& node);

// Convenience: infer output metas, failing if the result is unknown.
std::vector<ValueMeta> infer_outputs(const ir::Node& node, std::span<const ValueMeta> in);
// Runs the reference kernel: infers output shapes from the actual inputs, allocates, computes.
std::vector<Tensor> run_reference(const ir::Node& node, std::span<const Tensor> in);

}  // namespace shrink::ops
