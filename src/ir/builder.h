// GraphBuilder: a small helper for passes and model generators to add nodes, initializers and
// inputs/outputs with fresh, readable names.
//   GraphBuilder b(g);  auto y = b.node("Relu", {x}, {}, "relu1");
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace shrink::ir {

class GraphBuilder {
 public:
  explicit GraphBuilder(Graph& g) : g_(g) {}
  // Adds an initializer under a fresh name derived from `hint`; returns the name.
  std::string constant(const std::string& hint, Tensor t);
  // Appends a node with n_outputs fresh outputs named after `name`; returns the output names.
  std::vector<std::string> node(const std::string& op_type, std::vector<std::string> inputs, AttributeMap attrs,
                                const std::string& name, int n_outputs = 1, const std::string& domain = "");
  // Single-output convenience.
  std::string op(const std::string& op_type, std::vector<std::string> inputs, AttributeMap attrs,
                 const std::string& name) {
    return node(op_type, std::move(inputs), std::move(attrs), name)[0];
  }
  Graph& graph() { return g_; }

 private:
  Graph& g_;
};

}  // namespace shrink::ir
