// ModelProto -> ir::Graph with validation.
#include <cmath>
#include <filesystem>
#include <set>

#include "core/file_io.h"
#include "onnx/model_io.h"
#include "onnx/proto_parse.h"
#include "onnx/tensor_proto.h"
#include "ops/op.h"

namespace shrink::onnx_io {
namespace {

ir::Attribute convert_attribute(const onnx::AttributeProto& a, const ir::Node& node,
                                const ExternalDataPolicy& policy) {
  const std::string what = node.label() + " attribute '" + a.name() + "'";
  SHRINK_CHECK(a.ref_attr_name().empty(), what, " refers to a function attribute, which is not supported");
  switch (a.type()) {
    case onnx::AttributeProto::INT: return int64_t(a.i());
    case onnx::AttributeProto::FLOAT: return a.f();
    case onnx::AttributeProto::STRING: return a.s();
    case onnx::AttributeProto::INTS: return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    case onnx::AttributeProto::FLOATS: return std::vector<float>(a.floats().begin(), a.floats().end());
    case onnx::AttributeProto::STRINGS: return std::vector<std::string>(a.strings().begin(), a.strings().end());
    case onnx::AttributeProto::TENSOR: return tensor_from_proto(a.t(), policy, what);
    case onnx::AttributeProto::UNDEFINED:
      // Old exporters leave `type` unset; infer it from the one field that is filled.
      if (a.has_i()) return int64_t(a.i());
      if (a.has_f()) return a.f();
      if (a.has_s()) return a.s();
      if (a.ints_size()) return std::vector<int64_t>(a.ints().begin(), a.ints().end());
      if (a.floats_size()) return std::vector<float>(a.floats().begin(), a.floats().end());
      if (a.has_t()) return tensor_from_proto(a.t(), policy, what);
      fail_input(what, " has no type and no value");
    default: fail_input(what, " has kind ", onnx::AttributeProto::AttributeType_Name(a.type()),
                        ", which is not supported");
  }
}

ir::ValueInfo convert_value_info(const onnx::ValueInfoProto& v, const char* role) {
  ir::ValueInfo info;
  info.name = v.name();
  info.doc = v.doc_string();
  SHRINK_CHECK(!v.name().empty(), role, " with an empty name");
  if (!v.has_type()) return info;
  SHRINK_CHECK(v.type().has_tensor_type(), role, " '", v.name(), "' is not a tensor (sequence, map and optional values are not supported)");
  const auto& tt = v.type().tensor_type();
  if (tt.elem_type() != 0) {
    const DTypeTraits& tr = dtype_traits(tt.elem_type());
    SHRINK_CHECK(tr.supported, role, " '", v.name(), "' has unsupported element type ", tr.name);
    info.dtype = tr.dtype;
  }
  if (tt.has_shape()) {
    SHRINK_CHECK(tt.shape().dim_size() <= 64, role, " '", v.name(), "' has too many dims");
    std::vector<ir::Dim> dims;
    for (const auto& d : tt.shape().dim()) {
      ir::Dim dim;
      if (d.has_dim_value()) {
        SHRINK_CHECK(d.dim_value() >= 0, role, " '", v.name(), "' has negative dim ", d.dim_value());
        SHRINK_CHECK(d.dim_value() <= kMaxElements, role, " '", v.name(), "' has huge dim ", d.dim_value());
        dim.value = d.dim_value();
      } else {
        dim.param = d.dim_param();
      }
      dims.push_back(dim);
    }
    info.dims = std::move(dims);
  }
  return info;
}

void check_finite(const Tensor& t, const std::string& name) {
  if (!is_float(t.dtype())) return;
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = t.as_double(i);
    SHRINK_CHECK(std::isfinite(v), "initializer '", name, "' contains ", std::isnan(v) ? "NaN" : "Inf",
                 " at element ", i);
  }
}

ir::Graph convert_graph(const onnx::GraphProto& gp, const ImportOptions& options) {
  ExternalDataPolicy policy{options.base_dir};
  ir::Graph g;
  g.name = gp.name();
  g.doc = gp.doc_string();
  SHRINK_CHECK(gp.sparse_initializer_size() == 0, "sparse initializers are not supported");
  for (const auto& ip : gp.initializer()) {
    SHRINK_CHECK(!ip.name().empty(), "initializer with an empty name");
    Tensor t = tensor_from_proto(ip, policy, "initializer '" + ip.name() + "'");
    if (!options.allow_nonfinite_weights) check_finite(t, ip.name());
    SHRINK_CHECK(g.initializers.emplace(ip.name(), std::move(t)).second, "initializer '", ip.name(),
                 "' is defined twice");
  }
  for (const auto& v : gp.input()) {
    // IR < 4 lists initializers as inputs too; they are constants here.
    if (g.is_initializer(v.name())) continue;
    g.inputs.push_back(convert_value_info(v, "graph input"));
  }
  for (const auto& v : gp.output()) g.outputs.push_back(convert_value_info(v, "graph output"));
  for (const auto& v : gp.value_info()) g.value_info.push_back(convert_value_info(v, "value_info"));
  std::set<std::string> names;
  for (int i = 0; i < gp.node_size(); ++i) {
    const auto& np = gp.node(i);
    ir::Node n;
    n.op_type = np.op_type();
    n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    n.name = np.name().empty() ? np.op_type() + "_" + std::to_string(i) : np.name();
    n.doc = np.doc_string();
    SHRINK_CHECK(!n.op_type.empty(), "node ", i, " has no op_type");
    n.inputs.assign(np.input().begin(), np.input().end());
    n.outputs.assign(np.output().begin(), np.output().end());
    for (const auto& a : np.attribute()) {
      SHRINK_CHECK(!a.name().empty(), n.label(), " has an attribute with an empty name");
      SHRINK_CHECK(!n.attrs.count(a.name()), n.label(), " has attribute '", a.name(), "' twice");
      n.attrs.emplace(a.name(), convert_attribute(a, n, policy));
    }
    g.nodes.push_back(std::move(n));
  }
  return g;
}

}  // namespace

ir::Graph import_model(std::string_view bytes, const ImportOptions& options, const std::string& what) {
  onnx::ModelProto mp;
  SHRINK_CHECK(parse_proto(bytes, &mp), what, ": not a valid ONNX model (protobuf parse failed: truncated, "
               "corrupt, or nested too deeply)");
  SHRINK_CHECK(mp.has_graph(), what, ": model has no graph");
  ir::Graph g = convert_graph(mp.graph(), options);
  g.meta.ir_version = mp.ir_version();
  g.meta.producer_name = mp.producer_name();
  g.meta.producer_version = mp.producer_version();
  g.meta.domain = mp.domain();
  g.meta.model_version = mp.model_version();
  g.meta.doc = mp.doc_string();
  for (const auto& kv : mp.metadata_props()) g.meta.props.emplace_back(kv.key(), kv.value());
  for (const auto& o : mp.opset_import()) g.opsets.push_back({o.domain(), o.version()});
  int64_t opset = g.opset();
  if (opset == 0 && mp.ir_version() < 3) opset = 1;
  SHRINK_CHECK(opset >= kMinOpset && opset <= kMaxOpset, what, ": default-domain opset ", opset,
               " is not supported (shrink supports ", kMinOpset, " to ", kMaxOpset, ")");
  ir::topological_sort(g);
  ir::verify(g);
  ops::bind_all(g);
  return g;
}

ir::Graph load_model(const std::string& path) {
  std::string bytes = read_file(path, uint64_t(INT32_MAX));
  std::string dir = std::filesystem::path(path).parent_path().string();
  return import_model(bytes, ImportOptions{dir.empty() ? "." : dir}, path);
}

}  // namespace shrink::onnx_io
