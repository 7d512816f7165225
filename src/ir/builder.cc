// GraphBuilder implementation.
#include "ir/builder.h"

namespace shrink::ir {

std::string GraphBuilder::constant(const std::string& hint, Tensor t) {
  std::string name = g_.fresh_name(hint);
  g_.initializers.emplace(name, std::move(t));
  return name;
}

std::vector<std::string> GraphBuilder::node(const std::string& op_type, std::vector<std::string> inputs,
                                            AttributeMap attrs, const std::string& name, int n_outputs,
                                            const std::string& domain) {
  Node n;
  n.op_type = op_type;
  n.domain = domain;
  n.name = g_.fresh_name(name);
  n.inputs = std::move(inputs);
  n.attrs = std::move(attrs);
  for (int i = 0; i < n_outputs; ++i) {
    std::string out = n.name + (n_outputs == 1 ? std::string("_out") : "_out" + std::to_string(i));
    out = g_.fresh_name(out);
    n.outputs.push_back(out);  // bases differ per output, so fresh names cannot collide
  }
  g_.nodes.push_back(std::move(n));
  return g_.nodes.back().outputs;
}

}  // namespace shrink::ir
