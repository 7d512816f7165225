// `shrink train`: trains a classifier (any ONNX model with one data input and logits output) on a
// dataset, with progress, per-epoch validation and checkpoints, and writes the trained model.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/profile_report.h"
#include "cli/progress.h"
#include "cli/tensor_files.h"
#include "core/file_io.h"
#include "cli/train_options.h"
#include "onnx/model_io.h"
#include "train/data/dataset.h"

namespace shrink::cli {
namespace {

struct TrainArgs {
  std::string model, data, val, out, checkpoint, resume, loss_log, save_gradients;
  bool no_checkpoint = false, json = false, profile = false;
  TrainFlags flags;
};

nlohmann::json epoch_json(const train::EpochSummary& e) {
  nlohmann::json j{{"epoch", e.epoch}, {"train_loss", e.train_loss}, {"train_accuracy", e.train_accuracy},
                   {"samples_per_s", e.samples_per_s}, {"seconds", e.seconds}};
  if (e.has_validation) {
    j["val_loss"] = e.val_loss;
    j["val_accuracy"] = e.val_accuracy;
  }
  return j;
}

int run_train(const TrainArgs& a) {
  train::TrainConfig config = make_train_config(a.flags);
  config.profile = a.profile;
  ir::Graph model = onnx_io::load_model(a.model);
  const ModelInput in = model_input(model);
  const int64_t classes = model_classes(model, in);
  train::Dataset data = train::load_dataset(a.data);
  check_dataset(data, in, classes, a.data);
  train::Dataset val;
  if (!a.val.empty()) {
    val = train::load_dataset(a.val);
    check_dataset(val, in, classes, a.val);
  }
  const std::string ckpt = a.no_checkpoint ? "" : a.checkpoint.empty() ? a.out + ".ckpt" : a.checkpoint;
  Shape example{std::min<int64_t>(config.batch, data.size())};
  example.insert(example.end(), in.sample.begin(), in.sample.end());
  train::Trainer trainer(model, config, example);
  if (!a.resume.empty()) {
    trainer.resume(onnx_io::load_model(a.resume));
    std::fprintf(stderr, "resumed from %s at epoch %d, step %lld\n", a.resume.c_str(), trainer.epochs_done(),
                 (long long)trainer.global_step());
  }
  std::fprintf(stderr, "training %s: %zu parameter tensors, %lld samples, %d epochs, batch %lld, %s lr %g, %d thread(s)\n",
               a.model.c_str(), trainer.training_graph().params.size(), (long long)data.size(), config.epochs,
               (long long)config.batch, train::optimizer_name(config.optimizer.kind), config.schedule.base_lr,
               config.threads);
  Progress progress;
  std::string loss_log = "step,epoch,loss,lr\n";
  std::vector<double> step_seconds;  // per step, for the median throughput (first step excluded)
  double last_seconds = 0;
  auto on_step = [&](const train::StepInfo& s) {
    if (s.step == 1) last_seconds = 0;
    if (s.global_step > 1) step_seconds.push_back(s.seconds - last_seconds);
    last_seconds = s.seconds;
    if (!a.loss_log.empty()) {
      char line[128];
      std::snprintf(line, sizeof line, "%lld,%d,%.9g,%.9g\n", (long long)s.global_step, s.epoch, s.loss, s.lr);
      loss_log += line;
    }
    char buf[256];
    std::snprintf(buf, sizeof buf, "epoch %d/%d step %lld/%lld loss %.4f acc %.2f%% %.0f samples/s", s.epoch,
                  config.epochs, (long long)s.step, (long long)s.steps_per_epoch, s.loss, 100 * s.accuracy,
                  s.samples_per_s);
    progress.update(buf, double(s.global_step) / double(std::max<int64_t>(1, s.total_steps)), s.seconds);
  };
  auto on_epoch = [&](const train::EpochSummary& e) {
    if (!ckpt.empty()) onnx_io::save_model(trainer.checkpoint(), ckpt);
    char buf[256];
    int n = std::snprintf(buf, sizeof buf, "epoch %d/%d: loss %.4f, train acc %.2f%%, %.0f samples/s, %s", e.epoch,
                          config.epochs, e.train_loss, 100 * e.train_accuracy, e.samples_per_s,
                          format_duration(e.seconds).c_str());
    if (e.has_validation)
      std::snprintf(buf + n, sizeof buf - size_t(n), "; val loss %.4f, val acc %.2f%%", e.val_loss, 100 * e.val_accuracy);
    progress.finish(buf);
  };
  std::vector<train::EpochSummary> history;
  try {
    history = trainer.fit(data, a.val.empty() ? nullptr : &val, nullptr, on_step, on_epoch);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kBadInput || ckpt.empty() || trainer.epochs_done() == 0) throw;
    fail_input(e.what(), "; the last good checkpoint is ", ckpt, " (epoch ", trainer.epochs_done(), ")");
  }
  onnx_io::save_model(trainer.model(), a.out);
  std::fprintf(stderr, "wrote %s\n", a.out.c_str());
  if (a.profile) print_profile(trainer.session(), int(trainer.global_step()));
  if (!a.loss_log.empty()) write_file_atomic(a.loss_log, loss_log);
  if (!a.save_gradients.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.save_gradients, ec);
    SHRINK_CHECK(!ec, "cannot create '", a.save_gradients, "': ", ec.message());
  }
  if (!a.save_gradients.empty())
    for (size_t i = 0; i < trainer.training_graph().params.size(); ++i)
      write_tensor_file(a.save_gradients, trainer.training_graph().params[i], trainer.last_gradients()[i], "npy");
  if (a.json) {
    nlohmann::json j{{"model", a.out}, {"epochs", trainer.epochs_done()}, {"steps", trainer.global_step()}};
    nlohmann::json h = nlohmann::json::array();
    for (const auto& e : history) h.push_back(epoch_json(e));
    j["history"] = h;
    if (!history.empty()) {
      const auto& last = history.back();
      j["final_loss"] = last.train_loss;
      j["train_accuracy"] = last.train_accuracy;
      j["samples_per_s"] = last.samples_per_s;
      if (last.has_validation) j["val_accuracy"] = last.val_accuracy;
    }
    if (!step_seconds.empty()) {
      std::sort(step_seconds.begin(), step_seconds.end());
      const double med = step_seconds[step_seconds.size() / 2];
      j["step_ms_median"] = med * 1e3;
      j["samples_per_s_median"] = double(config.batch) / med;
    }
    std::printf("%s\n", j.dump(2).c_str());
  }
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a classifier on a dataset (SGD/Adam/AdamW, on shrink's runtime)");
  cmd->add_option("model", a->model, "ONNX classifier (one data input, logits output)")->required();
  cmd->add_option("--data", a->data, "Training set (.npz, .npy, MNIST IDX, CIFAR-10 .bin, .csv)")->required();
  cmd->add_option("--val", a->val, "Validation set, evaluated after every epoch");
  cmd->add_option("-o,--output", a->out, "Trained model (ONNX)")->required();
  cmd->add_option("--checkpoint", a->checkpoint, "Checkpoint written after every epoch (default: OUTPUT.ckpt)");
  cmd->add_flag("--no-checkpoint", a->no_checkpoint, "Write no checkpoint");
  cmd->add_option("--resume", a->resume, "Continue from a checkpoint");
  cmd->add_flag("--json", a->json, "Print a JSON summary on stdout");
  cmd->add_flag("--profile", a->profile, "Print the time per op type of the training step");
  cmd->add_option("--loss-log", a->loss_log, "Write the loss of every step to this CSV file");
  cmd->add_option("--save-gradients", a->save_gradients,
                  "Write the last step's gradient of every parameter to DIR/<name>.npy");
  add_train_flags(*cmd, a->flags);
  cmd->callback([&action, a] { action = [a] { return run_train(*a); }; });
}

}  // namespace shrink::cli
