// Optimizers and schedules against independent double-precision transcriptions of the PyTorch
// update rules (torch.optim.SGD/Adam/AdamW docs), masks, clipping, and checkpointed state.
#include <gtest/gtest.h>

#include <cmath>

#include "train/optimizer.h"
#include "train/schedule.h"

namespace shrink::train {
namespace {

// Runs `steps` updates of a 3-element parameter with gradient g_t = p_t * c + t (so that it
// changes from step to step) and compares with the scalar transcription `ref`.
template <class Ref>
void expect_matches(OptimizerConfig cfg, float lr, int steps, Ref ref) {
  std::vector<Tensor> params = {Tensor::from_vector<float>({0.5f, -1.f, 2.f}, {3})};
  Optimizer opt(cfg, params);
  std::vector<double> p = {0.5, -1.0, 2.0};
  std::vector<double> m(3, 0), v(3, 0);
  for (int t = 1; t <= steps; ++t) {
    std::vector<Tensor> grads = {Tensor(DType::kFloat32, {3})};
    for (int i = 0; i < 3; ++i) grads[0].data<float>()[i] = params[0].data<float>()[i] * 0.3f + float(t);
    for (int i = 0; i < 3; ++i) ref(p[size_t(i)], double(grads[0].data<float>()[i]), m[size_t(i)], v[size_t(i)], t);
    opt.step(params, grads, {}, lr);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(params[0].data<float>()[i], p[size_t(i)], 1e-5 * (1 + std::abs(p[size_t(i)])));
  }
}

TEST(TrainOptimizer, SgdMomentumNesterovWeightDecay) {
  OptimizerConfig c{.kind = OptimizerKind::kSgd, .momentum = 0.9f, .dampening = 0.1f, .nesterov = false,
                    .weight_decay = 0.01f};
  expect_matches(c, 0.1f, 5, [](double& p, double g, double& buf, double&, int t) {
    g += 0.01 * p;
    buf = t == 1 ? g : 0.9 * buf + 0.9 * g;
    p -= 0.1 * buf;
  });
  c.dampening = 0;
  c.nesterov = true;
  expect_matches(c, 0.05f, 5, [](double& p, double g, double& buf, double&, int t) {
    g += 0.01 * p;
    buf = t == 1 ? g : 0.9 * buf + g;
    p -= 0.05 * (g + 0.9 * buf);
  });
}

TEST(TrainOptimizer, AdamAndAdamW) {
  auto adam = [](bool decoupled) {
    return [decoupled](double& p, double g, double& m, double& v, int t) {
      const double lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
      if (decoupled) p *= 1 - lr * wd;
      else g += wd * p;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      p -= lr * (m / (1 - std::pow(b1, t))) / (std::sqrt(v / (1 - std::pow(b2, t))) + eps);
    };
  };
  expect_matches({.kind = OptimizerKind::kAdam, .weight_decay = 0.1f}, 0.01f, 6, adam(false));
  expect_matches({.kind = OptimizerKind::kAdamW, .weight_decay = 0.1f}, 0.01f, 6, adam(true));
}

TEST(TrainOptimizer, MaskKeepsPrunedWeightsAtZero) {
  std::vector<Tensor> params = {Tensor::from_vector<float>({1.f, 0.f, 3.f, 0.f}, {4})};
  std::vector<Tensor> masks = {Tensor::from_vector<float>({1.f, 0.f, 1.f, 0.f}, {4})};
  Optimizer opt({.kind = OptimizerKind::kAdamW, .weight_decay = 0.1f}, params);
  for (int t = 0; t < 4; ++t) {
    std::vector<Tensor> grads = {Tensor::from_vector<float>({0.5f, -2.f, 1.f, 3.f}, {4})};
    opt.step(params, grads, masks, 0.1f);
  }
  EXPECT_EQ(params[0].data<float>()[1], 0.f);
  EXPECT_EQ(params[0].data<float>()[3], 0.f);
  EXPECT_NE(params[0].data<float>()[0], 1.f);
}

TEST(TrainOptimizer, ClipByGlobalNorm) {
  std::vector<Tensor> grads = {Tensor::from_vector<float>({3.f, 0.f}, {2}), Tensor::from_vector<float>({4.f}, {1})};
  EXPECT_NEAR(clip_grad_norm(grads, 1.0), 5.0, 1e-9);
  EXPECT_NEAR(grad_norm(grads), 1.0, 1e-5);
  EXPECT_NEAR(grads[0].data<float>()[0], 0.6f, 1e-5);
  std::vector<Tensor> small = {Tensor::from_vector<float>({0.1f}, {1})};
  clip_grad_norm(small, 1.0);
  EXPECT_EQ(small[0].data<float>()[0], 0.1f);  // under the limit: untouched
}

TEST(TrainOptimizer, StateRoundTripContinuesIdentically) {
  auto run = [](bool reload) {
    std::vector<Tensor> params = {Tensor::from_vector<float>({1.f, 2.f}, {2})};
    auto opt = std::make_unique<Optimizer>(OptimizerConfig{.kind = OptimizerKind::kAdam}, params);
    for (int t = 0; t < 6; ++t) {
      if (reload && t == 3) {
        auto state = opt->state({"w"});
        for (auto& [k, s] : state) s = s.clone();
        opt = std::make_unique<Optimizer>(OptimizerConfig{.kind = OptimizerKind::kAdam}, params);
        opt->load_state(state, {"w"});
      }
      std::vector<Tensor> grads = {Tensor::from_vector<float>({float(t), -1.f}, {2})};
      opt->step(params, grads, {}, 0.1f);
    }
    return params[0];
  };
  EXPECT_TRUE(run(false).bit_equal(run(true)));
}

TEST(TrainOptimizer, UnknownNamesAreBadInput) {
  EXPECT_THROW(parse_optimizer("rmsprop"), Error);
  EXPECT_THROW(parse_schedule("linear"), Error);
}

TEST(TrainSchedule, WarmupStepAndCosine) {
  ScheduleConfig s{.kind = ScheduleKind::kStep, .base_lr = 0.1, .warmup_steps = 4, .step_size = 10, .gamma = 0.5};
  EXPECT_DOUBLE_EQ(learning_rate(s, 0), 0.025);
  EXPECT_DOUBLE_EQ(learning_rate(s, 3), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(s, 13), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(s, 14), 0.05);
  EXPECT_DOUBLE_EQ(learning_rate(s, 24), 0.025);
  ScheduleConfig c{.kind = ScheduleKind::kCosine, .base_lr = 1.0, .total_steps = 100};
  EXPECT_DOUBLE_EQ(learning_rate(c, 0), 1.0);
  EXPECT_NEAR(learning_rate(c, 50), 0.5, 1e-12);
  EXPECT_NEAR(learning_rate(c, 100), 0.0, 1e-12);
  EXPECT_NEAR(learning_rate(c, 500), 0.0, 1e-12);
}

}  // namespace
}  // namespace shrink::train
