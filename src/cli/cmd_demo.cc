// `shrink demo`: the main job on the built-in default, end to end with no download: synthetic data ->
// train cnn-small (images) and the transformer (sequences) with shrink -> quantize each (dynamic, and
// static with calibration) -> evaluate -> the seed's comparison table (method, size ratio, accuracy
// change, latency ratio, retraining needed) for the methods shrink has.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cli/commands.h"
#include "cli/latency.h"
#include "cli/progress.h"
#include "cli/train_options.h"
#include "compress/quant/quantize.h"
#include "onnx/model_io.h"
#include "runtime/session.h"
#include "train/data/synth.h"
#include "train/evaluate.h"
#include "train/models/model_zoo.h"

namespace shrink::cli {
namespace {

struct DemoArgs {
  std::string out_dir = "shrink-demo";
  bool quick = false;
  int threads = 1;
  int iters = 200;
};

// One model of the demo: its data, architecture and training recipe.
struct Job {
  std::string name, task;
  train::ModelSpec spec;
  TrainFlags flags;
  train::Dataset train, test;
};

struct Row {
  std::string model, method;
  int64_t bytes = 0;
  double top1 = 0, latency_ms = 0;
  bool retrain = false;
};

std::vector<Job> make_jobs(const DemoArgs& a) {
  const int64_t n_img = a.quick ? 512 : 2000, n_seq = a.quick ? 512 : 4000, n_test = a.quick ? 256 : 1000;
  Job cnn{.name = "cnn-small", .task = "images 1x28x28, 10 classes"};
  cnn.spec = {.arch = "cnn-small", .input = {1, 28, 28}};
  cnn.flags.epochs = a.quick ? 2 : 10;
  cnn.flags.batch = 32;
  cnn.flags.lr = 0.02;
  cnn.flags.momentum = 0.9f;
  cnn.flags.schedule = "cosine";
  cnn.train = train::synth_images(n_img, train::derive_seed(0, "train"), {28, 1});
  cnn.test = train::synth_images(n_test, train::derive_seed(0, "test"), {28, 1});
  Job tr{.name = "transformer", .task = "token sequences of 32, 8 classes"};
  tr.spec = {.arch = "transformer", .classes = 8};
  tr.flags.epochs = a.quick ? 1 : 4;
  tr.flags.batch = 32;
  tr.flags.lr = 0.003;
  tr.flags.optimizer = "adam";
  tr.flags.schedule = "constant";
  tr.train = train::synth_sequences(n_seq, train::derive_seed(0, "train"));
  tr.test = train::synth_sequences(n_test, train::derive_seed(0, "test"));
  for (Job* j : {&cnn, &tr}) j->flags.threads = a.threads;
  return {cnn, tr};
}

ir::Graph train_model(const Job& j, const std::string& step) {
  const train::TrainConfig config = make_train_config(j.flags);
  ir::Graph model = train::build_model(j.spec);
  Shape example{std::min<int64_t>(config.batch, j.train.size())};
  const Shape sample = j.train.sample_shape();
  example.insert(example.end(), sample.begin(), sample.end());
  train::Trainer trainer(model, config, example);
  Progress progress;
  auto on_step = [&](const train::StepInfo& s) {
    char buf[192];
    std::snprintf(buf, sizeof buf, "%s training %s: epoch %d/%d step %lld/%lld loss %.3f", step.c_str(),
                  j.name.c_str(), s.epoch, config.epochs, (long long)s.step, (long long)s.steps_per_epoch, s.loss);
    progress.update(buf, double(s.global_step) / double(std::max<int64_t>(1, s.total_steps)), s.seconds);
  };
  auto on_epoch = [&](const train::EpochSummary& e) {
    char buf[192];
    std::snprintf(buf, sizeof buf, "%s training %s: epoch %d/%d loss %.3f, test top-1 %.2f%% (%s)", step.c_str(),
                  j.name.c_str(), e.epoch, config.epochs, e.train_loss, 100 * e.val_accuracy,
                  format_duration(e.seconds).c_str());
    progress.finish(buf);
  };
  trainer.fit(j.train, &j.test, nullptr, on_step, on_epoch);
  return trainer.model();
}

Row measure(const std::string& model, const std::string& method, const ir::Graph& g, const Job& j, const DemoArgs& a) {
  Row r{.model = model, .method = method, .bytes = compress::initializer_bytes(g)};
  r.top1 = train::evaluate(g, j.test, {.threads = a.threads}).top1;
  Shape s = j.test.x.shape();
  s[0] = 1;
  Tensor x1(j.test.x.dtype(), s);
  std::memcpy(x1.raw(), j.test.x.raw(), x1.nbytes());
  runtime::Session session(g, {.threads = 1});
  r.latency_ms = measure_latency(session, {x1}, 3, a.iters, 1).median_ms;
  return r;
}

std::string counts(const compress::QuantReport& r) {
  std::string s;
  for (const auto& [op, n] : r.quantized) s += (s.empty() ? "" : " ") + op + ":" + std::to_string(n);
  return s.empty() ? "nothing" : s;
}

void print_table(const std::vector<Row>& rows) {
  std::printf("\n| model | method | size (bytes) | compression | top-1 | accuracy change | latency ms (batch 1) | "
              "latency ratio | needs retraining |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  const Row* base = nullptr;
  for (const Row& r : rows) {
    if (r.method == "float") base = &r;
    const bool is_base = &r == base;
    char change[32] = "-";
    if (!is_base) std::snprintf(change, sizeof change, "%+.2f points", 100 * (r.top1 - base->top1));
    std::printf("| %s | %s | %lld | %.2fx | %.2f%% | %s | %.3f | %.2f | %s |\n", r.model.c_str(), r.method.c_str(),
                (long long)r.bytes, double(base->bytes) / double(std::max<int64_t>(1, r.bytes)), 100 * r.top1,
                change, r.latency_ms, r.latency_ms / base->latency_ms, is_base ? "-" : r.retrain ? "yes" : "no");
  }
}

int demo(const DemoArgs& a) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(a.out_dir, ec);
  SHRINK_CHECK(!ec && fs::is_directory(a.out_dir), "cannot create '", a.out_dir, "'", ec ? ": " + ec.message() : "");
  std::printf("shrink demo: synthetic data -> train with shrink -> int8 quantization (dynamic, static) -> evaluate%s\n",
              a.quick ? " (--quick: small data, short training; accuracies are not meaningful)" : "");
  std::fflush(stdout);
  std::vector<Job> jobs = make_jobs(a);
  std::vector<Row> rows;
  const int total = int(jobs.size()) * 2;
  int step = 0;
  auto tag = [&] { return "[" + std::to_string(++step) + "/" + std::to_string(total) + "]"; };
  for (const Job& j : jobs) {
    const std::string base = (fs::path(a.out_dir) / j.name).string();
    std::printf("%s %s on %lld synthetic %s (%lld test samples), %d epochs\n", tag().c_str(), j.name.c_str(),
                (long long)j.train.size(), j.task.c_str(), (long long)j.test.size(), j.flags.epochs);
    std::fflush(stdout);
    ir::Graph model = train_model(j, "  ");
    onnx_io::save_model(model, base + ".onnx");
    std::printf("%s %s: quantize (dynamic; static minmax on 256 calibration samples), evaluate, time\n",
                tag().c_str(), j.name.c_str());
    std::fflush(stdout);
    rows.push_back(measure(j.name, "float", model, j, a));
    compress::QuantReport dr, sr;
    ir::Graph dq = compress::quantize_dynamic(model, {}, &dr);
    onnx_io::save_model(dq, base + ".int8-dynamic.onnx");
    rows.push_back(measure(j.name, "INT8 dynamic (" + counts(dr) + ")", dq, j, a));
    compress::CalibrationData calib{.data = j.train, .samples = 256, .threads = a.threads};
    ir::Graph sq = compress::quantize_static(model, {}, calib, &sr);
    onnx_io::save_model(sq, base + ".int8-static.onnx");
    rows.push_back(measure(j.name, "INT8 static (" + counts(sr) + ")", sq, j, a));
  }
  print_table(rows);
  std::printf("\nSizes are the models' initializer bytes; latency is the median of %d batch-1 runs on 1 thread.\n"
              "Models written to %s/. Pruning, distillation and low-rank rows of the seed's table come with those\n"
              "commands. Reproduce a row by hand: docs/quantization.md.\n",
              a.iters, a.out_dir.c_str());
  return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand("demo", "Run the main job on the built-in default: train, quantize, compare");
  cmd->footer(
      "Synthetic images and sequences (built in, no download); trains cnn-small and the transformer with shrink,\n"
      "quantizes each to int8 (dynamic, and static with 256 calibration samples), evaluates top-1 and batch-1\n"
      "latency, and prints the comparison table. About 2-4 minutes on 2 cores; --quick for a smoke run.");
  cmd->add_option("--out-dir", a->out_dir, "Folder for the models the demo writes")->capture_default_str();
  cmd->add_flag("--quick", a->quick, "Small data and short training (seconds; accuracies not meaningful)");
  cmd->add_option("--threads", a->threads, "Threads for training and evaluation")->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--iters", a->iters, "Timed runs per latency figure")->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->callback([&action, a] { action = [a] { return demo(*a); }; });
}

}  // namespace shrink::cli
