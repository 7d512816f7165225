// Trainer: the step loop, validation, checkpoints and NaN/Inf detection.
#include "train/trainer.h"

#include <chrono>
#include <cmath>

#include "runtime/session.h"
#include "train/evaluate.h"

namespace shrink::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int64_t correct_predictions(const Tensor& logits, const Tensor& labels) {
  const int64_t n = logits.dim(0), k = logits.dim(1);
  const float* l = logits.data<float>();
  const int64_t* y = labels.data<int64_t>();
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < k; ++j)
      if (l[i * k + j] > l[i * k + best]) best = j;
    correct += best == y[i];
  }
  return correct;
}

}  // namespace

Trainer::Trainer(const ir::Graph& model, TrainConfig config, const Shape& example_input)
    : model_(model), config_(std::move(config)) {
  SHRINK_CHECK(config_.epochs >= 1, "epochs must be >= 1, got ", config_.epochs);
  SHRINK_CHECK(config_.batch >= 1, "batch size must be >= 1, got ", config_.batch);
  SHRINK_CHECK(config_.schedule.base_lr > 0 && std::isfinite(config_.schedule.base_lr),
               "learning rate must be > 0, got ", config_.schedule.base_lr);
  SHRINK_CHECK(config_.threads >= 1, "threads must be >= 1");
  config_.graph.seed = config_.seed;
  tg_ = build_training_graph(model_, config_.graph, example_input);
  runtime::SessionOptions so;
  so.threads = config_.threads;
  so.optimize = false;
  so.profile = config_.profile;
  session_ = std::make_unique<runtime::Session>(tg_.graph, so);
  for (const auto& p : tg_.params) {
    params_.push_back(model_.initializers.at(p).clone());
    auto m = config_.masks.find(p);
    if (m == config_.masks.end()) {
      masks_.emplace_back();
      continue;
    }
    SHRINK_CHECK(m->second.dtype() == DType::kFloat32 && m->second.shape() == params_.back().shape(), "mask of '",
                 p, "' must be float32 of shape ", shape_str(params_.back().shape()));
    masks_.push_back(m->second);
    float* w = params_.back().data<float>();
    const float* k = m->second.data<float>();
    for (int64_t i = 0; i < params_.back().numel(); ++i) w[i] *= k[i];
  }
  for (const auto& [name, mask] : config_.masks) {
    bool known = false;
    for (const auto& p : tg_.params) known = known || p == name;
    SHRINK_CHECK(known, "mask given for '", name, "', which is not a trained parameter");
  }
  for (const auto& s : tg_.states) states_.push_back(model_.initializers.at(s).clone());
  // Where each graph input comes from, resolved once rather than by name every step.
  std::map<std::string, Feed> by_name{{tg_.data_input, {Feed::kData}}, {tg_.label_input, {Feed::kLabels}}};
  if (!tg_.teacher_input.empty()) by_name[tg_.teacher_input] = {Feed::kTeacher};
  if (!tg_.step_input.empty()) by_name[tg_.step_input] = {Feed::kStep};
  for (size_t i = 0; i < tg_.params.size(); ++i) by_name[tg_.params[i]] = {Feed::kParam, i};
  for (size_t i = 0; i < tg_.states.size(); ++i) by_name[tg_.states[i]] = {Feed::kState, i};
  for (const auto& vi : tg_.graph.inputs) {
    auto it = by_name.find(vi.name);
    SHRINK_ASSERT(it != by_name.end(), "training graph input '", vi.name, "' has no feed");
    feeds_.push_back(it->second);
  }
  optimizer_ = std::make_unique<Optimizer>(config_.optimizer, params_);
}

Trainer::~Trainer() = default;

double Trainer::step(const Tensor& x, const Tensor& y, const Tensor* teacher_logits, Tensor* logits) {
  SHRINK_CHECK(!tg_.teacher_input.empty() == (teacher_logits != nullptr),
               teacher_logits ? "teacher logits given to a training graph without distillation"
                              : "distillation needs teacher logits");
  std::vector<Tensor> inputs;
  inputs.reserve(feeds_.size());
  for (const Feed& f : feeds_) {
    switch (f.kind) {
      case Feed::kData: inputs.push_back(x); break;
      case Feed::kLabels: inputs.push_back(y); break;
      case Feed::kTeacher: inputs.push_back(*teacher_logits); break;
      case Feed::kStep: inputs.push_back(Tensor::scalar<int64_t>(global_step_)); break;
      case Feed::kParam: inputs.push_back(params_[f.index]); break;
      case Feed::kState: inputs.push_back(states_[f.index]); break;
    }
  }
  std::vector<Tensor> outs = session_->run(inputs);
  const double loss = outs[0].as_double(0);
  if (!std::isfinite(loss))
    fail_input("loss is not finite (", loss, ") at step ", global_step_ + 1, " (epoch ", epochs_done_ + 1,
               "); stopped before updating the weights");
  if (logits) *logits = outs[1];
  size_t k = 2;
  std::vector<Tensor> next_states(outs.begin() + 2, outs.begin() + std::ptrdiff_t(2 + states_.size()));
  k += states_.size();
  grads_.assign(outs.begin() + std::ptrdiff_t(k), outs.end());
  // A non-finite gradient (e.g. a NaN input that Relu or max pooling hid from the loss) would
  // poison every weight: stop here, before anything is updated.
  const double norm = grad_norm(grads_);
  if (!std::isfinite(norm))
    fail_input("gradients are not finite at step ", global_step_ + 1, " (epoch ", epochs_done_ + 1,
               "); stopped before updating the weights");
  states_ = std::move(next_states);
  if (config_.clip_norm > 0) scale_to_max_norm(grads_, norm, config_.clip_norm);
  const double lr = learning_rate(config_.schedule, global_step_);
  optimizer_->step(params_, grads_, masks_, float(lr));
  ++global_step_;
  return loss;
}

std::vector<EpochSummary> Trainer::fit(const Dataset& data, const Dataset* val, const ir::Graph* teacher,
                                       const std::function<void(const StepInfo&)>& on_step,
                                       const std::function<void(const EpochSummary&)>& on_epoch) {
  SHRINK_CHECK(data.y.defined(), "training data has no labels");
  SHRINK_CHECK(!config_.graph.distill || teacher, "distillation needs a teacher model");
  LoaderOptions lo = config_.loader;
  lo.batch = config_.batch;
  lo.seed = config_.seed;
  DataLoader loader(data, lo);
  const int64_t steps_per_epoch = loader.num_batches();
  int64_t total = steps_per_epoch * config_.epochs;
  if (config_.max_steps > 0) total = std::min(total, config_.max_steps);
  if (config_.schedule.total_steps == 0) config_.schedule.total_steps = total;
  std::unique_ptr<runtime::Session> teacher_session;
  if (teacher) teacher_session = std::make_unique<runtime::Session>(*teacher, runtime::SessionOptions{.threads = config_.threads});

  std::vector<EpochSummary> history;
  for (int epoch = epochs_done_ + 1; epoch <= config_.epochs && global_step_ < total; ++epoch) {
    const auto t0 = Clock::now();
    loader.start_epoch(epoch - 1);
    Batch b;
    double loss_sum = 0;
    int64_t seen = 0, correct = 0, step_in_epoch = 0;
    while (global_step_ < total && loader.next(b)) {
      Tensor teacher_logits, logits;
      if (teacher_session) teacher_logits = teacher_session->run({b.x})[0];
      const double loss = step(b.x, b.y, teacher_session ? &teacher_logits : nullptr, &logits);
      const int64_t n = b.x.dim(0);
      loss_sum += loss * double(n);
      seen += n;
      correct += correct_predictions(logits, b.y);
      ++step_in_epoch;
      if (on_step) {
        StepInfo s;
        s.epoch = epoch;
        s.step = step_in_epoch;
        s.steps_per_epoch = steps_per_epoch;
        s.global_step = global_step_;
        s.total_steps = total;
        s.loss = loss;
        s.accuracy = double(correct) / double(seen);
        s.seconds = seconds_since(t0);
        s.samples_per_s = double(seen) / std::max(1e-9, s.seconds);
        s.lr = learning_rate(config_.schedule, global_step_ - 1);
        on_step(s);
      }
    }
    EpochSummary e;
    e.epoch = epoch;
    e.seconds = seconds_since(t0);
    e.train_loss = seen ? loss_sum / double(seen) : 0;
    e.train_accuracy = seen ? double(correct) / double(seen) : 0;
    e.samples_per_s = double(seen) / std::max(1e-9, e.seconds);
    epochs_done_ = epoch;
    if (val) {
      EvalResult r = evaluate(model(), *val, EvalOptions{.batch = config_.batch, .threads = config_.threads,
                                                          .mean = config_.loader.mean, .std = config_.loader.std});
      e.has_validation = true;
      e.val_loss = r.loss;
      e.val_accuracy = r.top1;
    }
    history.push_back(e);
    if (on_epoch) on_epoch(e);
  }
  return history;
}

ir::Graph Trainer::model() const {
  ir::Graph g = model_;
  for (size_t i = 0; i < tg_.params.size(); ++i) g.initializers[tg_.params[i]] = params_[i].clone();
  for (size_t i = 0; i < tg_.states.size(); ++i) g.initializers[tg_.states[i]] = states_[i].clone();
  return g;
}

ir::Graph Trainer::checkpoint() const {
  ir::Graph g = model();
  for (auto& [name, t] : optimizer_->state(tg_.params)) g.initializers["shrink.ckpt." + name] = t.clone();
  g.meta.props.emplace_back("shrink.checkpoint.epoch", std::to_string(epochs_done_));
  g.meta.props.emplace_back("shrink.checkpoint.step", std::to_string(global_step_));
  return g;
}

void Trainer::resume(const ir::Graph& g) {
  std::string epoch, step;
  for (const auto& [k, v] : g.meta.props) {
    if (k == "shrink.checkpoint.epoch") epoch = v;
    if (k == "shrink.checkpoint.step") step = v;
  }
  SHRINK_CHECK(!epoch.empty() && !step.empty(), "not a shrink training checkpoint (no shrink.checkpoint metadata)");
  auto take = [&](const std::string& name, Tensor& dst) {
    const Tensor* t = g.initializer(name);
    SHRINK_CHECK(t && t->dtype() == dst.dtype() && t->shape() == dst.shape(), "checkpoint tensor '", name,
                 "' is missing or does not fit the model");
    dst = t->clone();
  };
  for (size_t i = 0; i < tg_.params.size(); ++i) take(tg_.params[i], params_[i]);
  for (size_t i = 0; i < tg_.states.size(); ++i) take(tg_.states[i], states_[i]);
  std::vector<std::pair<std::string, Tensor>> state;
  const std::string prefix = "shrink.ckpt.";
  for (const auto& [name, t] : g.initializers)
    if (name.rfind(prefix, 0) == 0) state.emplace_back(name.substr(prefix.size()), t);
  optimizer_->load_state(state, tg_.params);
  epochs_done_ = std::stoi(epoch);
  global_step_ = std::stoll(step);
}

}  // namespace shrink::train
