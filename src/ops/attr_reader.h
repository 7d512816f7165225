// Reads a node's attributes by name and type, applying defaults, for an op's parse function.
// Every error names the node and attribute; done() refuses attributes the op does not know.
//   AttrReader r(node);  int64_t axis = r.get_int("axis", 1);  r.done();
#pragma once
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace shrink::ops {

class AttrReader {
 public:
  explicit AttrReader(const ir::Node& node) : node_(node) {}
  bool has(const std::string& name) const { return node_.attrs.count(name) > 0; }
  int64_t get_int(const std::string& name, int64_t def);
  int64_t require_int(const std::string& name);
  float get_float(const std::string& name, float def);
  std::string get_string(const std::string& name, const std::string& def);
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> def = {});
  std::vector<float> get_floats(const std::string& name, std::vector<float> def = {});
  std::optional<Tensor> get_tensor(const std::string& name);
  // Accepts an attribute without using it (e.g. one that only documents intent).
  void ignore(const std::string& name) { seen_.insert(name); }
  // Fails if the node carries an attribute that no get_* asked for.
  void done() const;

 private:
  const ir::Attribute* find(const std::string& name, size_t kind);
  const ir::Node& node_;
  std::set<std::string> seen_;
};

}  // namespace shrink::ops
