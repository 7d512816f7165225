// ir::Graph -> ModelProto. Attributes and metadata are written back as imported; initializers as
// raw_data, or into an external data file when they are too large for one protobuf message.
#include <filesystem>
#include <fstream>

#include "core/file_io.h"
#include "onnx/model_io.h"
#include "onnx/tensor_proto.h"

namespace shrink::onnx_io {
namespace {

void write_attribute(const std::string& name, const ir::Attribute& a, onnx::AttributeProto* p) {
  p->set_name(name);
  std::visit([&](const auto& v) {
    using V = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<V, int64_t>) { p->set_type(onnx::AttributeProto::INT); p->set_i(v); }
    else if constexpr (std::is_same_v<V, float>) { p->set_type(onnx::AttributeProto::FLOAT); p->set_f(v); }
    else if constexpr (std::is_same_v<V, std::string>) { p->set_type(onnx::AttributeProto::STRING); p->set_s(v); }
    else if constexpr (std::is_same_v<V, std::vector<int64_t>>) {
      p->set_type(onnx::AttributeProto::INTS);
      for (auto x : v) p->add_ints(x);
    } else if constexpr (std::is_same_v<V, std::vector<float>>) {
      p->set_type(onnx::AttributeProto::FLOATS);
      for (auto x : v) p->add_floats(x);
    } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
      p->set_type(onnx::AttributeProto::STRINGS);
      for (const auto& x : v) p->add_strings(x);
    } else {
      p->set_type(onnx::AttributeProto::TENSOR);
      tensor_to_proto(v, "", p->mutable_t());
    }
  }, a);
}

void write_value_info(const ir::ValueInfo& v, onnx::ValueInfoProto* p) {
  p->set_name(v.name);
  if (!v.doc.empty()) p->set_doc_string(v.doc);
  if (v.dtype == DType::kUndefined && !v.dims) return;
  auto* tt = p->mutable_type()->mutable_tensor_type();
  if (v.dtype != DType::kUndefined) tt->set_elem_type(int(v.dtype));
  if (v.dims) {
    auto* shape = tt->mutable_shape();
    for (const auto& d : *v.dims) {
      auto* dp = shape->add_dim();
      if (d.fixed()) dp->set_dim_value(d.value);
      else if (!d.param.empty()) dp->set_dim_param(d.param);
    }
  }
}

// Builds the ModelProto; when `external` is set, initializers at or above 1 KiB are appended to
// it and referenced by `location`.
onnx::ModelProto build(const ir::Graph& g, std::ofstream* external, const std::string& location) {
  onnx::ModelProto mp;
  mp.set_ir_version(g.meta.ir_version);
  if (!g.meta.producer_name.empty()) mp.set_producer_name(g.meta.producer_name);
  if (!g.meta.producer_version.empty()) mp.set_producer_version(g.meta.producer_version);
  if (!g.meta.domain.empty()) mp.set_domain(g.meta.domain);
  if (g.meta.model_version) mp.set_model_version(g.meta.model_version);
  if (!g.meta.doc.empty()) mp.set_doc_string(g.meta.doc);
  for (const auto& [k, v] : g.meta.props) {
    auto* e = mp.add_metadata_props();
    e->set_key(k);
    e->set_value(v);
  }
  for (const auto& o : g.opsets) {
    auto* op = mp.add_opset_import();
    op->set_domain(o.domain);
    op->set_version(o.version);
  }
  auto* gp = mp.mutable_graph();
  gp->set_name(g.name);
  if (!g.doc.empty()) gp->set_doc_string(g.doc);
  uint64_t offset = 0;
  for (const auto& [name, t] : g.initializers) {
    auto* tp = gp->add_initializer();
    if (external && t.nbytes() >= 1024) {
      tp->set_name(name);
      tp->set_data_type(int(t.dtype()));
      for (int64_t d : t.shape()) tp->add_dims(d);
      tp->set_data_location(onnx::TensorProto::EXTERNAL);
      auto add = [&](const char* k, const std::string& v) {
        auto* e = tp->add_external_data();
        e->set_key(k);
        e->set_value(v);
      };
      add("location", location);
      add("offset", std::to_string(offset));
      add("length", std::to_string(t.nbytes()));
      external->write(static_cast<const char*>(t.raw()), std::streamsize(t.nbytes()));
      offset += t.nbytes();
    } else {
      tensor_to_proto(t, name, tp);
    }
  }
  for (const auto& v : g.inputs) write_value_info(v, gp->add_input());
  for (const auto& v : g.outputs) write_value_info(v, gp->add_output());
  for (const auto& v : g.value_info) write_value_info(v, gp->add_value_info());
  for (const auto& n : g.nodes) {
    auto* np = gp->add_node();
    np->set_name(n.name);
    np->set_op_type(n.op_type);
    if (!n.domain.empty()) np->set_domain(n.domain);
    if (!n.doc.empty()) np->set_doc_string(n.doc);
    for (const auto& i : n.inputs) np->add_input(i);
    for (const auto& o : n.outputs) np->add_output(o);
    for (const auto& [k, a] : n.attrs) write_attribute(k, a, np->add_attribute());
  }
  return mp;
}

uint64_t initializer_bytes(const ir::Graph& g) {
  uint64_t total = 0;
  for (const auto& [name, t] : g.initializers) total += t.nbytes();
  return total;
}

}  // namespace

std::string export_model(const ir::Graph& g) {
  SHRINK_CHECK(initializer_bytes(g) < (uint64_t(1) << 31), "model weights exceed 2 GiB: save to a file so they can go to external data");
  return build(g, nullptr, "").SerializeAsString();
}

void save_model(const ir::Graph& g, const std::string& path, const ExportOptions& options) {
  for (const auto& n : g.nodes)
    SHRINK_CHECK(n.domain != "com.shrink", n.label(), " is an internal op and cannot be exported");
  if (initializer_bytes(g) <= options.external_threshold_bytes) {
    write_file_atomic(path, export_model(g));
    return;
  }
  namespace fs = std::filesystem;
  std::string location = fs::path(path).filename().string() + ".data";
  std::string data_path = (fs::path(path).parent_path() / location).string();
  std::string tmp = data_path + ".tmp";
  std::ofstream ext(tmp, std::ios::binary | std::ios::trunc);
  SHRINK_CHECK(ext.good(), "cannot write '", data_path, "'");
  onnx::ModelProto mp = build(g, &ext, location);
  ext.close();
  if (!ext.good()) {
    std::remove(tmp.c_str());
    fail_input("cannot write '", data_path, "'");
  }
  std::string bytes = mp.SerializeAsString();
  if (std::rename(tmp.c_str(), data_path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail_input("cannot write '", data_path, "'");
  }
  write_file_atomic(path, bytes);
}

}  // namespace shrink::onnx_io
