// `shrink info`: what a model is: opset, inputs and outputs, op histogram, parameters.
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "onnx/model_io.h"

namespace shrink::cli {
namespace {

std::string dims_str(const ir::ValueInfo& v) {
  if (!v.dims) return "?";
  std::string s = "[";
  for (size_t i = 0; i < v.dims->size(); ++i) {
    const auto& d = (*v.dims)[i];
    s += (i ? "," : "") + (d.fixed() ? std::to_string(d.value) : (d.param.empty() ? std::string("?") : d.param));
  }
  return s + "]";
}

nlohmann::json value_json(const ir::ValueInfo& v) {
  nlohmann::json dims = nlohmann::json::array();
  if (v.dims)
    for (const auto& d : *v.dims) dims.push_back(d.fixed() ? nlohmann::json(d.value) : nlohmann::json(d.param));
  return {{"name", v.name}, {"dtype", dtype_name(v.dtype)}, {"shape", v.dims ? dims : nlohmann::json(nullptr)}};
}

int info(const std::string& path, bool json) {
  ir::Graph g = onnx_io::load_model(path);
  std::map<std::string, int> ops;
  for (const auto& n : g.nodes) ++ops[(n.domain.empty() ? "" : n.domain + ".") + n.op_type];
  std::map<std::string, uint64_t> bytes_by_dtype;
  uint64_t params = 0, total_bytes = 0;
  for (const auto& [name, t] : g.initializers) {
    params += uint64_t(t.numel());
    bytes_by_dtype[std::string(dtype_name(t.dtype()))] += t.nbytes();
    total_bytes += t.nbytes();
  }
  if (json) {
    nlohmann::json j;
    j["model"] = path;
    j["ir_version"] = g.meta.ir_version;
    j["opset"] = g.opset();
    j["producer"] = g.meta.producer_name + (g.meta.producer_version.empty() ? "" : " " + g.meta.producer_version);
    for (const auto& v : g.inputs) j["inputs"].push_back(value_json(v));
    for (const auto& v : g.outputs) j["outputs"].push_back(value_json(v));
    j["nodes"] = g.nodes.size();
    j["ops"] = ops;
    j["parameters"] = params;
    j["weight_bytes"] = total_bytes;
    j["bytes_by_dtype"] = bytes_by_dtype;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model:      %s\n", path.c_str());
  std::printf("opset:      %lld (ir_version %lld)\n", (long long)g.opset(), (long long)g.meta.ir_version);
  if (!g.meta.producer_name.empty())
    std::printf("producer:   %s %s\n", g.meta.producer_name.c_str(), g.meta.producer_version.c_str());
  for (const auto& v : g.inputs)
    std::printf("input:      %s %s %s\n", v.name.c_str(), std::string(dtype_name(v.dtype)).c_str(), dims_str(v).c_str());
  for (const auto& v : g.outputs)
    std::printf("output:     %s %s %s\n", v.name.c_str(), std::string(dtype_name(v.dtype)).c_str(), dims_str(v).c_str());
  std::printf("nodes:      %zu\n", g.nodes.size());
  for (const auto& [op, n] : ops) std::printf("  %-28s %d\n", op.c_str(), n);
  std::printf("parameters: %llu (%.2f MB)\n", (unsigned long long)params, double(total_bytes) / 1e6);
  for (const auto& [dt, b] : bytes_by_dtype) std::printf("  %-28s %llu bytes\n", dt.c_str(), (unsigned long long)b);
  return 0;
}

}  // namespace

void add_info_command(CLI::App& app, Action& action) {
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("info", "Describe a model: opset, inputs/outputs, ops, parameters");
  cmd->add_option("model", *path, "ONNX model file")->required();
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([&action, path, json] { action = [path, json] { return info(*path, *json); }; });
}

}  // namespace shrink::cli
