// Command-line options shared by the commands that train (train, and later prune / distill /
// quantize --qat): optimizer, schedule, batch, epochs, data preprocessing. One place, so that
// their flags and defaults agree.
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ir/graph.h"
#include "train/trainer.h"

namespace shrink::cli {

struct TrainFlags {
  int epochs = 1;
  int64_t batch = 64;
  double lr = 0.05;
  std::string optimizer = "sgd";
  float momentum = 0.9f;
  bool nesterov = false;
  float weight_decay = 0.f;
  std::string schedule = "cosine";
  int64_t warmup = 0;
  int64_t step_size = 0;
  double gamma = 0.1;
  double clip_norm = 0;
  float label_smoothing = 0.f;
  std::vector<std::string> freeze;
  std::vector<float> mean, std;
  std::vector<std::string> augment;
  int64_t max_steps = 0;
  bool no_shuffle = false;
  bool no_dropout = false;
  uint64_t seed = 0;
  int threads = 1;
};

void add_train_flags(CLI::App& cmd, TrainFlags& f);
// The trainer configuration the flags describe (validated; bad values are bad input).
train::TrainConfig make_train_config(const TrainFlags& f);
// Model input: the single non-initializer graph input's name, dtype and per-sample shape (fixed
// dims after the batch dim); fails when the model's input is not a batch of fixed-size samples.
struct ModelInput {
  std::string name;
  DType dtype;
  Shape sample;
};
ModelInput model_input(const ir::Graph& g);
// train::check_fits, with the dataset's file named in the message.
void check_dataset(const train::Dataset& data, const ModelInput& in, int64_t classes, const std::string& path);
// The number of classes the model's first output has (its fixed last dim, else inferred).
int64_t model_classes(const ir::Graph& g, const ModelInput& in);

}  // namespace shrink::cli
