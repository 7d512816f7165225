// TrainFlags: registration, validation and translation into a TrainConfig.
#include "cli/train_options.h"

#include "runtime/session.h"

namespace shrink::cli {

void add_train_flags(CLI::App& cmd, TrainFlags& f) {
  cmd.add_option("--epochs", f.epochs, "Epochs")->capture_default_str();
  cmd.add_option("--batch", f.batch, "Batch size")->capture_default_str();
  cmd.add_option("--lr", f.lr, "Learning rate")->capture_default_str();
  cmd.add_option("--optimizer", f.optimizer, "sgd | adam | adamw")->capture_default_str();
  cmd.add_option("--momentum", f.momentum, "SGD momentum")->capture_default_str();
  cmd.add_flag("--nesterov", f.nesterov, "Nesterov momentum (SGD)");
  cmd.add_option("--weight-decay", f.weight_decay, "Weight decay (L2 for sgd/adam, decoupled for adamw)")
      ->capture_default_str();
  cmd.add_option("--schedule", f.schedule, "Learning-rate schedule: constant | step | cosine")->capture_default_str();
  cmd.add_option("--warmup", f.warmup, "Linear warmup steps")->capture_default_str();
  cmd.add_option("--step-size", f.step_size, "Step schedule: decay every N steps (default: a third of training)");
  cmd.add_option("--gamma", f.gamma, "Step schedule: decay factor")->capture_default_str();
  cmd.add_option("--clip-norm", f.clip_norm, "Clip gradients to this global L2 norm (0: off)")->capture_default_str();
  cmd.add_option("--label-smoothing", f.label_smoothing, "Cross-entropy label smoothing")->capture_default_str();
  cmd.add_option("--freeze", f.freeze, "Initializers not to train (comma-separated)")->delimiter(',');
  cmd.add_option("--mean", f.mean, "Per-channel normalization mean (comma-separated)")->delimiter(',');
  cmd.add_option("--std", f.std, "Per-channel normalization std (comma-separated)")->delimiter(',');
  cmd.add_option("--augment", f.augment, "Image augmentation: crop (random crop, padding 4), flip")->delimiter(',');
  cmd.add_flag("--no-shuffle", f.no_shuffle, "Visit samples in file order (for reproducing a run elsewhere)");
  cmd.add_flag("--no-dropout", f.no_dropout, "Train with Dropout disabled (identity)");
  cmd.add_option("--max-steps", f.max_steps, "Stop after this many steps in total (0: no limit)");
  cmd.add_option("--seed", f.seed, "Seed for shuffling, augmentation and dropout")->capture_default_str();
  cmd.add_option("--threads", f.threads, "Threads")->capture_default_str();
}

train::TrainConfig make_train_config(const TrainFlags& f) {
  train::TrainConfig c;
  SHRINK_CHECK(f.epochs >= 1 && f.epochs <= 100000, "--epochs must be in 1..100000, got ", f.epochs);
  SHRINK_CHECK(f.batch >= 1 && f.batch <= 65536, "--batch must be in 1..65536, got ", f.batch);
  SHRINK_CHECK(f.lr > 0 && f.lr < 1e3, "--lr must be > 0, got ", f.lr);
  SHRINK_CHECK(f.threads >= 1 && f.threads <= 256, "--threads must be in 1..256, got ", f.threads);
  SHRINK_CHECK(f.momentum >= 0 && f.momentum < 1, "--momentum must be in [0, 1), got ", f.momentum);
  SHRINK_CHECK(f.weight_decay >= 0, "--weight-decay must be >= 0");
  SHRINK_CHECK(f.clip_norm >= 0, "--clip-norm must be >= 0");
  SHRINK_CHECK(f.max_steps >= 0 && f.warmup >= 0 && f.step_size >= 0, "step counts must be >= 0");
  SHRINK_CHECK(f.mean.size() == f.std.size(), "--mean and --std need the same number of values");
  for (float s : f.std) SHRINK_CHECK(s > 0, "--std values must be > 0");
  c.epochs = f.epochs;
  c.batch = f.batch;
  c.optimizer.kind = train::parse_optimizer(f.optimizer);
  c.optimizer.momentum = c.optimizer.kind == train::OptimizerKind::kSgd ? f.momentum : 0.f;
  c.optimizer.nesterov = f.nesterov;
  SHRINK_CHECK(!f.nesterov || (c.optimizer.kind == train::OptimizerKind::kSgd && f.momentum > 0),
               "--nesterov needs sgd with momentum > 0");
  c.optimizer.weight_decay = f.weight_decay;
  c.schedule.kind = train::parse_schedule(f.schedule);
  c.schedule.base_lr = f.lr;
  c.schedule.warmup_steps = f.warmup;
  c.schedule.step_size = f.step_size;
  c.schedule.gamma = f.gamma;
  c.clip_norm = f.clip_norm;
  c.max_steps = f.max_steps;
  c.loader.shuffle = !f.no_shuffle;
  c.graph.dropout = !f.no_dropout;
  c.seed = f.seed;
  c.threads = f.threads;
  c.graph.cross_entropy.label_smoothing = f.label_smoothing;
  c.graph.frozen = std::set<std::string>(f.freeze.begin(), f.freeze.end());
  c.loader.mean = f.mean;
  c.loader.std = f.std;
  for (const auto& a : f.augment) {
    if (a == "crop") c.loader.crop_padding = 4;
    else if (a == "flip") c.loader.hflip = true;
    else fail_input("unknown --augment '", a, "' (expected crop, flip)");
  }
  return c;
}

ModelInput model_input(const ir::Graph& g) {
  const ir::ValueInfo* found = nullptr;
  for (const auto& vi : g.inputs) {
    if (g.is_initializer(vi.name)) continue;
    SHRINK_CHECK(!found, "the model has more than one data input ('", found->name, "', '", vi.name,
                 "'); training and evaluation need exactly one");
    found = &vi;
  }
  SHRINK_CHECK(found, "the model has no data input");
  SHRINK_CHECK(found->dims && !found->dims->empty(), "model input '", found->name,
               "' must have a declared shape [batch, ...]");
  ModelInput m{found->name, found->dtype, {}};
  for (size_t i = 1; i < found->dims->size(); ++i) {
    const ir::Dim& d = (*found->dims)[i];
    SHRINK_CHECK(d.fixed(), "model input '", found->name, "' dim ", i, " is not fixed; samples must have a fixed shape");
    m.sample.push_back(d.value);
  }
  return m;
}

void check_dataset(const train::Dataset& data, const ModelInput& in, int64_t classes, const std::string& path) {
  try {
    train::check_fits(data, in.sample, in.dtype, classes);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kBadInput) throw;
    fail_input(path, ": ", e.what());
  }
}

int64_t model_classes(const ir::Graph& g, const ModelInput& in) {
  SHRINK_CHECK(!g.outputs.empty(), "the model has no output");
  const auto& out = g.outputs[0];
  if (out.dims && out.dims->size() == 2 && (*out.dims)[1].fixed()) return (*out.dims)[1].value;
  // Run one sample to find out.
  Shape s{1};
  s.insert(s.end(), in.sample.begin(), in.sample.end());
  runtime::Session session(g);
  Tensor y = session.run({Tensor(in.dtype, s)})[0];
  SHRINK_CHECK(y.rank() == 2, "the model's first output must be logits [N, classes], got ", shape_str(y.shape()));
  return y.dim(1);
}

}  // namespace shrink::cli
