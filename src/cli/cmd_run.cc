// `shrink run`: run a model on input files and write (or print) its outputs.
#include <sys/stat.h>

#include <cstdio>
#include <set>

#include "cli/commands.h"
#include "cli/tensor_files.h"
#include "onnx/model_io.h"
#include "runtime/session.h"

namespace shrink::cli {
namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string out_dir;
  std::string format = "npy";
  int threads = 1;
  bool reference = false;
};

std::vector<Tensor> bind_inputs(const std::vector<ir::ValueInfo>& infos, const std::vector<std::string>& specs) {
  std::vector<Tensor> bound(infos.size());
  std::vector<std::string> positional;
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    bool named = false;
    if (eq != std::string::npos) {
      std::string name = spec.substr(0, eq);
      for (size_t i = 0; i < infos.size(); ++i)
        if (infos[i].name == name) {
          SHRINK_CHECK(!bound[i].defined(), "input '", name, "' is given twice");
          bound[i] = read_tensor_file(spec.substr(eq + 1));
          named = true;
        }
      struct stat st {};
      SHRINK_CHECK(named || ::stat(spec.c_str(), &st) == 0, "model has no input named '", name, "'");
    }
    if (!named) positional.push_back(spec);
  }
  size_t p = 0;
  for (size_t i = 0; i < infos.size() && p < positional.size(); ++i)
    if (!bound[i].defined()) bound[i] = read_tensor_file(positional[p++]);
  SHRINK_CHECK(p == positional.size(), "model has ", infos.size(), " inputs, but more input files were given");
  for (size_t i = 0; i < infos.size(); ++i)
    SHRINK_CHECK(bound[i].defined(), "no file given for input '", infos[i].name, "' (use -i ",
                 infos[i].name, "=FILE)");
  return bound;
}

void print_tensor(const std::string& name, const Tensor& t) {
  std::printf("%s: %s %s [", name.c_str(), std::string(dtype_name(t.dtype())).c_str(), shape_str(t.shape()).c_str());
  int64_t n = std::min<int64_t>(t.numel(), 8);
  for (int64_t i = 0; i < n; ++i) std::printf("%s%g", i ? ", " : "", t.as_double(i));
  std::printf("%s]\n", t.numel() > n ? ", ..." : "");
}

int run(const RunArgs& a) {
  ir::Graph g = onnx_io::load_model(a.model);
  std::vector<Tensor> inputs = bind_inputs(g.inputs, a.inputs);
  runtime::Session session(std::move(g), {.threads = a.threads, .reference_only = a.reference});
  std::vector<Tensor> outputs = session.run(inputs);
  if (a.out_dir.empty()) {
    for (size_t i = 0; i < outputs.size(); ++i) print_tensor(session.outputs()[i].name, outputs[i]);
    return 0;
  }
  struct stat st {};
  if (::stat(a.out_dir.c_str(), &st) != 0) SHRINK_CHECK(::mkdir(a.out_dir.c_str(), 0755) == 0, "cannot create '", a.out_dir, "'");
  else SHRINK_CHECK(S_ISDIR(st.st_mode), "'", a.out_dir, "' is not a folder");
  std::set<std::string> names;
  for (const auto& o : session.outputs())
    SHRINK_CHECK(names.insert(sanitize_file_name(o.name)).second, "two outputs map to the file name '",
                 sanitize_file_name(o.name), "'");
  for (size_t i = 0; i < outputs.size(); ++i) write_tensor_file(a.out_dir, session.outputs()[i].name, outputs[i], a.format);
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model on input tensors and write its outputs");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("-i,--input", args->inputs,
                  "Input tensor: NAME=FILE or FILE (bound in graph-input order); .npy or TensorProto .pb");
  cmd->add_option("-o,--output-dir", args->out_dir, "Folder for outputs (DIR/<name>.npy|.pb); default: print them");
  cmd->add_option("--format", args->format, "Output file format")->check(CLI::IsMember({"npy", "pb"}));
  cmd->add_option("--threads", args->threads, "Threads")->check(CLI::Range(1, 256));
  cmd->add_flag("--reference", args->reference, "Use the reference kernels only (slow; the test oracle)");
  cmd->callback([&action, args] { action = [args] { return run(*args); }; });
}

}  // namespace shrink::cli
