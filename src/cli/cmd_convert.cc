// `shrink convert`: import, validate, optionally optimize, and export a model.
#include <cstdio>

#include "cli/commands.h"
#include "onnx/model_io.h"
#include "passes/passes.h"

namespace shrink::cli {
namespace {

struct ConvertArgs {
  std::string model, out;
  bool optimize = false;
};

int convert(const ConvertArgs& a) {
  ir::Graph g = onnx_io::load_model(a.model);
  size_t before = g.nodes.size();
  if (a.optimize) g = passes::optimize_for_export(std::move(g));
  onnx_io::save_model(g, a.out);
  std::fprintf(stderr, "wrote %s (%zu nodes, %zu before)\n", a.out.c_str(), g.nodes.size(), before);
  return 0;
}

}  // namespace

void add_convert_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand("convert", "Validate and re-export a model, optionally optimized");
  cmd->add_option("model", a->model, "ONNX model file")->required();
  cmd->add_option("-o,--output", a->out, "Output ONNX file")->required();
  cmd->add_flag("--optimize", a->optimize, "Fold constants and BatchNorm, remove dead nodes");
  cmd->callback([&action, a] { action = [a] { return convert(*a); }; });
}

}  // namespace shrink::cli
