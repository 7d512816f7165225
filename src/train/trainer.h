// Trainer: minibatch training of a classifier graph on the shrink runtime. Each step runs the
// training graph (forward, loss, backward) in one Session and updates the parameters with the
// optimizer; BatchNorm running statistics are carried from step to step. Deterministic for a
// fixed seed and thread count. A checkpoint is the model graph (the weights so far) carrying the
// optimizer state as extra initializers and the position as metadata, so that saved as ONNX by
// the CLI it also runs as a model.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "train/data/loader.h"
#include "train/optimizer.h"
#include "train/schedule.h"
#include "train/training_graph.h"

namespace shrink::runtime {
class Session;
}

namespace shrink::train {

struct TrainConfig {
  int epochs = 1;
  int64_t batch = 64;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;       // base_lr is the learning rate
  double clip_norm = 0;          // 0: no clipping
  uint64_t seed = 0;             // shuffling, augmentation, dropout
  int threads = 1;
  int64_t max_steps = 0;         // stop after this many steps in total (0: no limit)
  bool profile = false;          // time every node of the training graph (see session())
  TrainGraphOptions graph;       // loss, distillation, frozen parameters
  LoaderOptions loader;          // normalization and augmentation (batch and seed are set from above)
  std::map<std::string, Tensor> masks;  // parameter -> 0/1 mask kept through updates
};

struct StepInfo {
  int epoch = 0;                 // 1-based
  int64_t step = 0, steps_per_epoch = 0, global_step = 0, total_steps = 0;
  double loss = 0, accuracy = 0, samples_per_s = 0, lr = 0, seconds = 0;
};

struct EpochSummary {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0, samples_per_s = 0, seconds = 0;
  bool has_validation = false;
  double val_loss = 0, val_accuracy = 0;
};

class Trainer {
 public:
  // `example_input` is the shape of a batch of the data input (e.g. {64, 3, 32, 32}).
  Trainer(const ir::Graph& model, TrainConfig config, const Shape& example_input);
  ~Trainer();
  // The state to save after an epoch, and its restoration (weights, statistics, optimizer
  // state, position).
  ir::Graph checkpoint() const;
  void resume(const ir::Graph& checkpoint);
  int epochs_done() const { return epochs_done_; }
  int64_t global_step() const { return global_step_; }
  // Trains on `data`; `val` (may be null) is evaluated after every epoch. `teacher` (distillation
  // only) gives the soft targets.
  std::vector<EpochSummary> fit(const Dataset& data, const Dataset* val, const ir::Graph* teacher = nullptr,
                                const std::function<void(const StepInfo&)>& on_step = {},
                                const std::function<void(const EpochSummary&)>& on_epoch = {});
  // The model (inference form) with the current weights and statistics.
  ir::Graph model() const;
  const TrainingGraph& training_graph() const { return tg_; }
  // One training step on a batch (exposed for tests and benchmarks); returns the loss.
  double step(const Tensor& x, const Tensor& y, const Tensor* teacher_logits = nullptr, Tensor* logits = nullptr);
  // Gradients of the last step, aligned with training_graph().params.
  const std::vector<Tensor>& last_gradients() const { return grads_; }
  std::vector<Tensor>& parameters() { return params_; }
  const runtime::Session& session() const { return *session_; }

 private:
  ir::Graph model_;
  TrainConfig config_;
  TrainingGraph tg_;
  std::unique_ptr<runtime::Session> session_;
  std::vector<Tensor> params_, states_, grads_, masks_;
  struct Feed {
    enum Kind { kData, kLabels, kTeacher, kStep, kParam, kState } kind;
    size_t index = 0;  // into params_ / states_
  };
  std::vector<Feed> feeds_;  // one per training-graph input, in order
  std::unique_ptr<Optimizer> optimizer_;
  int64_t global_step_ = 0;
  int epochs_done_ = 0;
};

}  // namespace shrink::train
