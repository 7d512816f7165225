// The trainer end to end on `shrink init` models and the synthetic datasets: learning happens,
// runs are bit-reproducible, checkpoint + resume continues exactly, masks and frozen parameters
// hold, BatchNorm statistics move, dropout is seeded, and bad situations (NaN loss, nothing to
// train, unknown mask) are bad input with a clear message.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/session.h"
#include "train/data/synth.h"
#include "train/evaluate.h"
#include "train/models/model_zoo.h"
#include "train/trainer.h"

namespace shrink::train {
namespace {

Dataset small_images(int64_t n, uint64_t seed) {
  return synth_images(n, seed, {.size = 16, .channels = 3});
}

ir::Graph small_cnn(uint64_t seed = 1) {
  return build_model({.arch = "cnn-small", .input = {3, 16, 16}, .classes = 10, .width = 8, .depth = 2, .seed = seed});
}

TrainConfig sgd(int epochs, int64_t batch, double lr) {
  TrainConfig c;
  c.epochs = epochs;
  c.batch = batch;
  c.optimizer = {.kind = OptimizerKind::kSgd, .momentum = 0.9f};
  c.schedule.base_lr = lr;
  return c;
}

std::vector<Tensor> weights_of(const ir::Graph& g) {
  std::vector<Tensor> w;
  for (const auto& [name, t] : g.initializers) w.push_back(t);
  return w;
}

bool same_weights(const ir::Graph& a, const ir::Graph& b) {
  auto wa = weights_of(a), wb = weights_of(b);
  if (wa.size() != wb.size()) return false;
  for (size_t i = 0; i < wa.size(); ++i)
    if (!wa[i].bit_equal(wb[i])) return false;
  return true;
}

TEST(TrainTrainer, CnnLearnsAndEvalUsesTrainedWeights) {
  // Fitting 64 samples: the training loss must fall and the samples be learnt well above chance
  // (these synthetic shapes take thousands of samples to learn; the curve itself is checked against
  // PyTorch in tests/oracles/train_vs_torch.py).
  Dataset data = small_images(64, 3);
  TrainConfig c = sgd(25, 16, 0.01);
  c.optimizer = {.kind = OptimizerKind::kAdam};
  Trainer t(small_cnn(), c, {16, 3, 16, 16});
  auto history = t.fit(data, &data);
  ASSERT_EQ(history.size(), 25u);
  EXPECT_LT(history.back().train_loss, 0.8 * history.front().train_loss);
  EXPECT_GT(history.back().val_accuracy, 0.25);  // 10 classes: chance is 0.1
  EvalResult r = evaluate(t.model(), data);
  EXPECT_DOUBLE_EQ(r.top1, history.back().val_accuracy);
  EXPECT_EQ(r.samples, 64);
  // BatchNorm running statistics moved away from their initial 0 / 1.
  const ir::Graph trained = t.model();
  const Tensor& mean = trained.initializers.at("layer0.bn.running_mean");
  EXPECT_NE(mean.data<float>()[0], 0.f);
}

TEST(TrainTrainer, BitReproducibleAndResumeContinuesExactly) {
  Dataset data = small_images(192, 5);
  TrainConfig c = sgd(2, 32, 0.05);
  c.optimizer.kind = OptimizerKind::kAdamW;
  c.optimizer.weight_decay = 0.01f;
  c.schedule.kind = ScheduleKind::kCosine;
  Trainer a(small_cnn(), c, {32, 3, 16, 16});
  a.fit(data, nullptr);
  Trainer b(small_cnn(), c, {32, 3, 16, 16});
  b.fit(data, nullptr);
  EXPECT_TRUE(same_weights(a.model(), b.model()));

  Trainer first(small_cnn(), c, {32, 3, 16, 16});
  first.fit(data, nullptr, nullptr, {}, [&](const EpochSummary& e) {
    if (e.epoch == 1) {
      ir::Graph ckpt = first.checkpoint();
      Trainer resumed(small_cnn(), c, {32, 3, 16, 16});
      resumed.resume(ckpt);
      EXPECT_EQ(resumed.epochs_done(), 1);
      resumed.fit(data, nullptr);
      EXPECT_TRUE(same_weights(resumed.model(), a.model()));
    }
  });
}

TEST(TrainTrainer, MasksAndFrozenParametersHold) {
  Dataset data = small_images(64, 6);
  ir::Graph model = small_cnn();
  TrainConfig c = sgd(1, 16, 0.1);
  Tensor mask(DType::kFloat32, model.initializers.at("fc.weight").shape());
  for (int64_t i = 0; i < mask.numel(); ++i) mask.data<float>()[i] = i % 3 == 0 ? 0.f : 1.f;
  c.masks["fc.weight"] = mask;
  c.graph.frozen = {"layer0.conv.weight"};
  Trainer t(model, c, {16, 3, 16, 16});
  t.fit(data, nullptr);
  ir::Graph trained = t.model();
  const Tensor& w = trained.initializers.at("fc.weight");
  for (int64_t i = 0; i < w.numel(); i += 3) ASSERT_EQ(w.data<float>()[i], 0.f);
  EXPECT_FALSE(w.bit_equal(model.initializers.at("fc.weight")));
  EXPECT_TRUE(trained.initializers.at("layer0.conv.weight").bit_equal(model.initializers.at("layer0.conv.weight")));
}

TEST(TrainTrainer, NanLossStopsNamingTheStep) {
  Dataset data = small_images(64, 7);
  for (int64_t i = 0; i < 3 * 16 * 16; ++i) data.x.data<float>()[20 * 3 * 16 * 16 + i] = NAN;  // sample 20
  TrainConfig c = sgd(1, 16, 0.1);
  c.loader.shuffle = false;
  Trainer t(small_cnn(), c, {16, 3, 16, 16});
  try {
    t.fit(data, nullptr);
    FAIL() << "expected the NaN loss to stop training";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("at step 2 "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not finite"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.global_step(), 1);  // the bad step updated nothing
}

TEST(TrainTrainer, DropoutIsSeededPerStep) {
  Dataset data = synth_sequences(64, 8, {.length = 8, .vocab = 16, .classes = 4});
  ir::Graph model = build_model({.arch = "transformer", .input = {8}, .classes = 4, .width = 16, .depth = 1,
                                 .vocab = 16, .heads = 2});
  TrainConfig c = sgd(1, 16, 0.01);
  c.loader.shuffle = false;
  Trainer a(model, c, {16, 8}), b(model, c, {16, 8});
  const double la = a.step(data.x, data.y), lb = b.step(data.x, data.y);
  EXPECT_EQ(la, lb);  // same seed, same step: same masks
  TrainConfig nodrop = c;
  nodrop.graph.dropout = false;
  Trainer d(model, nodrop, {16, 8});
  EXPECT_NE(d.step(data.x, data.y), la);
}

TEST(TrainTrainer, BadSituationsAreBadInput) {
  ir::Graph model = small_cnn();
  TrainConfig c = sgd(1, 16, 0.1);
  c.masks["nonexistent"] = Tensor(DType::kFloat32, {1});
  EXPECT_THROW(Trainer(model, c, {16, 3, 16, 16}), Error);
  TrainConfig frozen_all = sgd(1, 16, 0.1);
  for (const auto& [name, t] : model.initializers) frozen_all.graph.frozen.insert(name);
  try {
    Trainer t(model, frozen_all, {16, 3, 16, 16});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nothing to train"), std::string::npos) << e.what();
  }
  TrainConfig bad_lr = sgd(1, 16, -1);
  EXPECT_THROW(Trainer(model, bad_lr, {16, 3, 16, 16}), Error);
}

}  // namespace
}  // namespace shrink::train
