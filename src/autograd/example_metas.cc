// ExampleMetas: shape inference with constant propagation over a graph, node by node.
#include "autograd/example_metas.h"

namespace shrink::autograd {

ExampleMetas::ExampleMetas(const ir::Graph& g, const std::map<std::string, Shape>& input_shapes,
                           int64_t default_dim) {
  for (const auto& [name, t] : g.initializers) metas_[name] = ops::ValueMeta{t.dtype(), t.shape(), &t};
  for (const auto& vi : g.inputs) {
    if (g.is_initializer(vi.name)) continue;
    Shape s;
    if (auto it = input_shapes.find(vi.name); it != input_shapes.end()) {
      s = it->second;
    } else {
      SHRINK_CHECK(vi.dims.has_value(), "graph input '", vi.name, "' has no declared shape; give one");
      for (const auto& d : *vi.dims) s.push_back(d.fixed() ? d.value : default_dim);
    }
    metas_[vi.name] = ops::ValueMeta{vi.dtype, s};
  }
  for (const ir::Node& node : g.nodes) {
    std::vector<ops::ValueMeta> in;
    bool all_const = true;
    for (const auto& name : node.inputs) {
      if (name.empty()) {
        in.emplace_back();
        continue;
      }
      in.push_back(at(name));
      all_const = all_const && in.back().value != nullptr;
    }
    std::vector<ops::ValueMeta> out(node.outputs.size());
    const ops::OpSchema& schema = ops::schema_of(node);
    // Shape and Size only read their input's shape: evaluate them on a stand-in tensor.
    const bool shape_of = node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size") &&
                          in[0].present() && checked_numel(in[0].shape) <= (int64_t(1) << 24);
    if (all_const || shape_of) {
      std::vector<Tensor> args;
      for (const auto& m : in) args.push_back(m.value ? *m.value : m.present() ? Tensor(m.dtype, m.shape) : Tensor());
      std::vector<Tensor> results = ops::run_reference(node, args);
      for (size_t i = 0; i < out.size(); ++i) {
        auto [it, inserted] = values_.insert_or_assign(node.outputs[i], std::move(results[i]));
        out[i] = ops::ValueMeta{it->second.dtype(), it->second.shape(), &it->second};
      }
    } else {
      SHRINK_CHECK(schema.infer(node, in, out), node.label(),
                   " output shapes depend on values only known at run time; training needs them statically");
    }
    for (size_t i = 0; i < out.size(); ++i)
      if (!node.outputs[i].empty()) metas_[node.outputs[i]] = out[i];
  }
}

const ops::ValueMeta& ExampleMetas::at(const std::string& value) const {
  auto it = metas_.find(value);
  SHRINK_CHECK(it != metas_.end(), "value '", value, "' is not defined");
  return it->second;
}

}  // namespace shrink::autograd
