// The IR: a Graph of Nodes over named Values, with initializers (constant tensors) and model
// metadata. Nodes are kept in topological order (verify() checks it). Value names are unique
// (SSA); "" in a node's inputs marks an absent optional input.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ir/attribute.h"

namespace shrink::ir {

// One dimension of a declared shape: a fixed size, a symbolic name, or unknown.
struct Dim {
  int64_t value = -1;  // >= 0 when fixed
  std::string param;   // symbolic name when not fixed (may be empty: unknown)
  bool fixed() const { return value >= 0; }
  bool operator==(const Dim&) const = default;
};

struct ValueInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  std::optional<std::vector<Dim>> dims;  // absent: rank unknown
  std::string doc;
  bool operator==(const ValueInfo&) const = default;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" for the default ONNX domain
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  AttributeMap attrs;
  std::shared_ptr<const OpAttrs> typed;  // set by ops::bind; shared by copies of the node
  std::string doc;

  template <class A> const A& attrs_as() const { return static_cast<const A&>(*typed); }
  bool has_input(size_t i) const { return i < inputs.size() && !inputs[i].empty(); }
  // "[Conv 'conv1']": the prefix of error messages about this node.
  std::string label() const;
};

struct OpsetImport {
  std::string domain;
  int64_t version = 0;
  bool operator==(const OpsetImport&) const = default;
};

struct ModelMeta {
  int64_t ir_version = 8;
  std::string producer_name, producer_version, domain, doc;
  int64_t model_version = 0;
  std::vector<std::pair<std::string, std::string>> props;  // metadata_props, in file order
  bool operator==(const ModelMeta&) const = default;
};

class Graph {
 public:
  std::string name;
  std::vector<Node> nodes;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<ValueInfo> value_info;                // declared intermediate values
  std::map<std::string, Tensor> initializers;       // constants by name
  std::vector<OpsetImport> opsets;
  ModelMeta meta;
  std::string doc;

  // Version of the default ONNX domain ("" or "ai.onnx"); 0 if not imported.
  int64_t opset() const;
  bool is_initializer(const std::string& v) const { return initializers.count(v) > 0; }
  const Tensor* initializer(const std::string& v) const;
  // Names not used by any node input, output, graph input or initializer, prefixed with `hint`.
  std::string fresh_name(const std::string& hint) const;
  // Map value name -> index of producing node (graph inputs and initializers are absent).
  std::map<std::string, size_t> producers() const;
  // Map value name -> number of node inputs + graph outputs that read it.
  std::map<std::string, int> use_counts() const;
};

// Checks structural validity: every input defined before use, no value defined twice, no cycle
// (nodes in topological order), graph outputs defined. Fails (bad input) naming the node.
void verify(const Graph& g);
// Reorders nodes topologically (Kahn) unless they already are; fails on a cycle or an undefined
// input.
void topological_sort(Graph& g);

}  // namespace shrink::ir
