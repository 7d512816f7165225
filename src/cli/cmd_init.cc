// `shrink init`: writes a seeded starting model of a standard architecture (train/models) as ONNX,
// and prints one line saying what was written.
#include <cstdio>

#include "cli/commands.h"
#include "core/error.h"
#include "onnx/model_io.h"
#include "train/models/model_zoo.h"

namespace shrink::cli {
namespace {

struct InitArgs {
  train::ModelSpec spec;
  std::string input, out;
};

// "3x32x32" or "32" -> dims.
std::vector<int64_t> parse_dims(const std::string& text) {
  std::vector<int64_t> dims;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('x', pos);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(pos, end - pos);
    SHRINK_CHECK(!part.empty() && part.size() <= 9 && part.find_first_not_of("0123456789") == std::string::npos,
                 "--input must look like CxHxW or L (e.g. 3x32x32, 32), got '", text, "'");
    dims.push_back(std::stoll(part));
    pos = end + 1;
  }
  return dims;
}

std::string shape_str(const ir::ValueInfo& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.dims->size(); ++i) {
    const ir::Dim& d = (*v.dims)[i];
    s += (i ? "," : "") + (d.fixed() ? std::to_string(d.value) : d.param);
  }
  return s + "]";
}

int init(InitArgs a) {
  if (!a.input.empty()) a.spec.input = parse_dims(a.input);
  const train::ModelSpec spec = train::resolve_spec(a.spec);
  ir::Graph g = train::build_model(spec);
  onnx_io::save_model(g, a.out);
  const ir::ValueInfo& in = g.inputs[0];
  const ir::ValueInfo& out = g.outputs[0];
  std::printf("init: %s, %lld parameters, opset %lld, width %lld, depth %lld, seed %llu: %s %s %s -> %s %s; wrote %s\n",
              spec.arch.c_str(), (long long)train::count_parameters(spec), (long long)g.opset(), (long long)spec.width,
              (long long)spec.depth, (unsigned long long)spec.seed, in.name.c_str(),
              std::string(dtype_name(in.dtype)).c_str(), shape_str(in).c_str(), out.name.c_str(), shape_str(out).c_str(),
              a.out.c_str());
  return 0;
}

std::string arch_table() {
  std::string s = "Architectures (defaults: input, width, depth):\n";
  for (const train::ArchInfo& a : train::architectures()) {
    std::string input;
    for (size_t i = 0; i < a.default_input.size(); ++i) input += (i ? "x" : "") + std::to_string(a.default_input[i]);
    char line[512];
    std::snprintf(line, sizeof line, "  %-12s %s\n  %-12s   input %s, width %lld = %s, depth %lld = %s\n", a.name,
                  a.summary, "", input.c_str(), (long long)a.default_width, a.width_meaning,
                  (long long)a.default_depth, a.depth_meaning);
    s += line;
  }
  return s + "See docs/models.md.";
}

}  // namespace

void add_init_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<InitArgs>();
  CLI::App* cmd = app.add_subcommand("init", "Write a seeded starting model of a standard architecture");
  cmd->add_option("arch", a->spec.arch, "Architecture (listed below)")->required();
  cmd->add_option("-o,--output", a->out, "Output ONNX file")->required();
  cmd->add_option("--input", a->input, "Input shape: CxHxW for images, L (sequence length) for transformer");
  cmd->add_option("--classes", a->spec.classes, "Number of classes (logits)")->check(CLI::Range(int64_t(2), int64_t(100000)));
  cmd->add_option("--width", a->spec.width, "Width (per arch, below)")->check(CLI::Range(int64_t(1), int64_t(8192)));
  cmd->add_option("--depth", a->spec.depth, "Depth (per arch, below)")->check(CLI::Range(int64_t(1), int64_t(1000)));
  cmd->add_option("--seed", a->spec.seed, "Seed of the weight initialization");
  cmd->add_option("--vocab", a->spec.vocab, "transformer: vocabulary size")->check(CLI::Range(int64_t(2), int64_t(1) << 20));
  cmd->add_option("--heads", a->spec.heads, "transformer: attention heads (default: derived from width)")
      ->check(CLI::Range(int64_t(1), int64_t(4096)));
  cmd->add_flag("--post-norm", a->spec.post_norm, "transformer: post-LN layers (default pre-LN)");
  cmd->footer(arch_table());
  cmd->callback([&action, a] { action = [a] { return init(*a); }; });
}

}  // namespace shrink::cli
