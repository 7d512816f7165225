// The bookkeeping the layout passes share (block_layout.cc: channel-blocked fp32; channels_last.cc:
// NHWC int8): nodes are re-emitted in order; a node that joins a region reads the region's form of
// its inputs and writes its output under "<name><suffix>"; a value's other form is made by a border
// node on first need, and a region value keeps its plain name for the border node placed just before
// its first plain reader (and before the graph outputs).
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ops/op.h"

namespace shrink::passes {

class LayoutRegions {
 public:
  LayoutRegions(ir::Graph& g, std::string suffix) : g_(g), suffix_(std::move(suffix)) {
    for (const auto& in : g.inputs) plain_.insert(in.name);
    for (const auto& [name, t] : g.initializers) plain_.insert(name);
  }
  virtual ~LayoutRegions() = default;

  void run() {
    std::vector<ir::Node> nodes = std::move(g_.nodes);
    g_.nodes.clear();
    for (auto& n : nodes)
      if (!try_join(n)) emit_plain(std::move(n));
    for (const auto& o : g_.outputs) need_plain(o.name);
  }

 protected:
  // Emits n's region form (through emit_region) and returns true, or returns false.
  virtual bool try_join(const ir::Node& n) = 0;
  // The border nodes: plain value -> region form, region form -> plain value.
  virtual ir::Node to_region(const std::string& plain, const std::string& region) const = 0;
  virtual ir::Node to_plain(const std::string& region, const std::string& plain) const = 0;

  bool in_region(const std::string& v) const { return region_of_.count(v) > 0; }
  const std::string& region_form(const std::string& v) const { return region_of_.at(v); }

  // The plain form of v, materialized on first need.
  void need_plain(const std::string& v) {
    if (v.empty() || plain_.count(v) || !in_region(v)) return;
    push(to_plain(region_of_.at(v), v));
    plain_.insert(v);
  }

  // The region form of v, materialized on first need.
  std::string need_region(const std::string& v) {
    if (in_region(v)) return region_of_.at(v);
    push(to_region(v, v + suffix_));
    return region_of_[v] = v + suffix_;
  }

  void emit_plain(ir::Node n) {
    for (const auto& in : n.inputs) need_plain(in);
    for (const auto& o : n.outputs) plain_.insert(o);
    g_.nodes.push_back(std::move(n));
  }

  // Emits n (inputs already in the forms it reads) with its first output renamed to the region form.
  void emit_region(ir::Node n) {
    const std::string out = n.outputs[0];
    n.outputs[0] = out + suffix_;
    region_of_[out] = n.outputs[0];
    push(std::move(n));
  }

  bool scalar_constant(const std::string& v) const {
    const Tensor* t = g_.initializer(v);
    return t && t->numel() == 1;
  }

  ir::Graph& g_;

 private:
  void push(ir::Node n) {
    n.typed = nullptr;
    // A runtime-made node of a newer opset than the model's (fuse_gelu's Gelu) keeps its own.
    const ops::OpSchema* s = ops::find_op(n.domain, n.op_type);
    ops::bind(n, std::max(g_.opset(), s ? s->since_opset : 0));
    g_.nodes.push_back(std::move(n));
  }

  const std::string suffix_;
  std::set<std::string> plain_;                    // values available in plain layout
  std::map<std::string, std::string> region_of_;   // value -> its region form
};

}  // namespace shrink::passes
