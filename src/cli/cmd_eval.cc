// `shrink eval`: top-1 / top-5 accuracy, loss, per-class accuracy and the confusion matrix of a
// classifier on a labelled dataset.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/train_options.h"
#include "onnx/model_io.h"
#include "train/evaluate.h"

namespace shrink::cli {
namespace {

struct EvalArgs {
  std::string model, data;
  int64_t batch = 256, limit = 0;
  int threads = 1;
  std::vector<float> mean, std;
  bool json = false;
};

int run_eval(const EvalArgs& a) {
  SHRINK_CHECK(a.batch >= 1, "--batch must be >= 1");
  SHRINK_CHECK(a.threads >= 1 && a.threads <= 256, "--threads must be in 1..256");
  SHRINK_CHECK(a.limit >= 0, "--limit must be >= 0");
  SHRINK_CHECK(a.mean.size() == a.std.size(), "--mean and --std need the same number of values");
  ir::Graph model = onnx_io::load_model(a.model);
  const ModelInput in = model_input(model);
  const int64_t classes = model_classes(model, in);
  train::Dataset data = train::load_dataset(a.data);
  check_dataset(data, in, classes, a.data);
  train::EvalOptions o{.batch = a.batch, .threads = a.threads, .mean = a.mean, .std = a.std, .limit = a.limit};
  train::EvalResult r = train::evaluate(model, data, o);
  if (a.json) {
    nlohmann::json j{{"model", a.model},   {"data", a.data},        {"samples", r.samples},
                     {"classes", r.classes}, {"top1", r.top1},      {"top5", r.top5},
                     {"loss", r.loss},     {"per_class_accuracy", r.per_class_accuracy},
                     {"confusion", r.confusion}, {"seconds", r.seconds}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("samples   %lld\n", (long long)r.samples);
  std::printf("top-1     %.2f%%\n", 100 * r.top1);
  if (r.classes > 5) std::printf("top-5     %.2f%%\n", 100 * r.top5);
  std::printf("loss      %.4f\n", r.loss);
  std::printf("per class");
  for (size_t c = 0; c < r.per_class_accuracy.size(); ++c) std::printf(" %zu:%.1f%%", c, 100 * r.per_class_accuracy[c]);
  std::printf("\n");
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a classifier: accuracy, loss, confusion matrix");
  cmd->add_option("model", a->model, "ONNX classifier")->required();
  cmd->add_option("--data", a->data, "Labelled dataset (.npz, MNIST IDX, CIFAR-10 .bin, .csv)")->required();
  cmd->add_option("--batch", a->batch, "Batch size")->capture_default_str();
  cmd->add_option("--threads", a->threads, "Threads")->capture_default_str();
  cmd->add_option("--limit", a->limit, "Evaluate only the first N samples");
  cmd->add_option("--mean", a->mean, "Per-channel normalization mean (as in training)")->delimiter(',');
  cmd->add_option("--std", a->std, "Per-channel normalization std")->delimiter(',');
  cmd->add_flag("--json", a->json, "JSON on stdout (includes the confusion matrix)");
  cmd->callback([&action, a] { action = [a] { return run_eval(*a); }; });
}

}  // namespace shrink::cli
