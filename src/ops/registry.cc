// The op table: the union of the family tables, looked up by (domain, op_type); and binding of
// nodes to schemas at import.
#include <algorithm>
#include <map>
#include <mutex>

#include "ops/families.h"
#include "ops/op.h"

namespace shrink::ops {
namespace {

using Key = std::pair<std::string, std::string>;

const std::map<Key, const OpSchema*>& table() {
  static const std::map<Key, const OpSchema*> t = [] {
    std::map<Key, const OpSchema*> m;
    for (auto family : {unary_ops, binary_ops, shape_ops, nn_ops, reduce_ops, quant_ops, internal_ops, grad_ops,
                        nn_grad_ops})
      for (const OpSchema* s : family()) {
        bool inserted = m.emplace(Key(std::string(s->domain), std::string(s->op_type)), s).second;
        SHRINK_ASSERT(inserted, "op registered twice: ", s->op_type);
      }
    return m;
  }();
  return t;
}

std::string canonical_domain(std::string_view d) { return d == "ai.onnx" ? "" : std::string(d); }

}  // namespace

const OpSchema* find_op(std::string_view domain, std::string_view op_type) {
  auto it = table().find(Key(canonical_domain(domain), std::string(op_type)));
  return it == table().end() ? nullptr : it->second;
}

std::vector<const OpSchema*> all_ops() {
  std::vector<const OpSchema*> v;
  for (const auto& [k, s] : table()) v.push_back(s);
  return v;
}

const OpSchema& schema_of(const ir::Node& node) {
  const OpSchema* s = find_op(node.domain, node.op_type);
  if (!s) {
    if (!node.domain.empty() && node.domain != "ai.onnx")
      fail_input(node.label(), " op domain '", node.domain, "' is not supported");
    fail_input(node.label(), " op '", node.op_type, "' is not supported");
  }
  return *s;
}

const OpSchema& bind(ir::Node& node, int64_t opset) {
  const OpSchema& s = schema_of(node);
  int n_in = int(node.inputs.size());
  while (n_in > 0 && node.inputs[size_t(n_in) - 1].empty()) --n_in;
  SHRINK_CHECK(n_in >= s.min_inputs && n_in <= s.max_inputs, node.label(), " has ", n_in,
               " inputs, expected ", s.min_inputs, "..", s.max_inputs);
  int n_out = int(node.outputs.size());
  SHRINK_CHECK(n_out >= s.min_outputs && n_out <= s.max_outputs, node.label(), " has ", n_out,
               " outputs, expected ", s.min_outputs, "..", s.max_outputs);
  for (int i = 0; i < s.min_inputs; ++i)
    SHRINK_CHECK(!node.inputs[size_t(i)].empty(), node.label(), " required input ", i, " is missing");
  if (s.domain.empty())
    SHRINK_CHECK(opset >= s.since_opset, node.label(), " needs opset >= ", s.since_opset, ", model has ", opset);
  if (s.parse) {
    node.typed = s.parse(node, opset);
  } else {
    SHRINK_CHECK(node.attrs.empty(), node.label(), " has unknown attribute '", node.attrs.begin()->first, "'");
    node.typed = nullptr;
  }
  return s;
}

void bind_all(ir::Graph& g) {
  int64_t opset = g.opset();
  std::vector<const Tensor*> constants;
  for (auto& n : g.nodes) {
    const OpSchema& s = bind(n, opset);
    if (!s.validate) continue;
    constants.assign(n.inputs.size(), nullptr);
    for (size_t i = 0; i < n.inputs.size(); ++i)
      if (!n.inputs[i].empty()) constants[i] = g.initializer(n.inputs[i]);
    s.validate(n, constants);
  }
}

std::vector<ValueMeta> infer_outputs(const ir::Node& node, std::span<const ValueMeta> in) {
  std::vector<ValueMeta> out(node.outputs.size());
  bool known = schema_of(node).infer(node, in, out);
  SHRINK_ASSERT(known, node.label(), " could not infer output shapes with all values known");
  return out;
}

std::vector<Tensor> run_reference(const ir::Node& node, std::span<const Tensor> in) {
  std::vector<ValueMeta> metas(in.size());
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i].defined()) metas[i] = ValueMeta{in[i].dtype(), in[i].shape(), &in[i]};
  std::vector<ValueMeta> out_meta = infer_outputs(node, metas);
  std::vector<Tensor> out;
  out.reserve(out_meta.size());
  for (size_t i = 0; i < out_meta.size(); ++i)
    out.emplace_back(node.outputs[i].empty() && !out_meta[i].present() ? Tensor()
                                                                       : Tensor(out_meta[i].dtype, out_meta[i].shape));
  schema_of(node).compute(node, in, out);
  return out;
}

}  // namespace shrink::ops
