// Gradient ops for activations, softmax, the cross-entropy loss and training-mode dropout
// (src/ops/grad/): each checked against central finite differences of its forward reference op
// in double, at PyTorch's values on kinks, for thread-count independence and bad input.
#include "grad_check.h"

namespace shrink {
namespace {

using namespace gradtest;

// The documented mask, recomputed with core/rng.h: key = draw(draw(seed) ^ step), u_i = draw(key + i * gamma),
// where draw(z) is the first output of Rng(z).
bool dropout_keep_reference(int64_t seed, int64_t step, int64_t i, float ratio) {
  const uint64_t key = Rng(Rng(uint64_t(seed)).next_u64() ^ uint64_t(step)).next_u64();
  return Rng(key + uint64_t(i) * 0x9e3779b97f4a7c15ull).uniform() >= double(ratio);
}

struct ActivationCase {
  std::string name;       // ActivationGrad's activation
  std::string fwd;        // forward ONNX op
  ir::AttributeMap attrs;  // shared by both (Gelu's approximate, alpha, beta)
  double lo, hi;
  std::vector<double> kinks;
};

const std::vector<ActivationCase>& activation_cases() {
  static const std::vector<ActivationCase> cases = {
      {"Relu", "Relu", {}, -3, 3, {0}},
      {"LeakyRelu", "LeakyRelu", {{"alpha", 0.07f}}, -3, 3, {0}},
      {"LeakyRelu", "LeakyRelu", {}, -3, 3, {0}},
      {"Sigmoid", "Sigmoid", {}, -8, 8, {}},
      {"Tanh", "Tanh", {}, -4, 4, {}},
      {"Gelu", "Gelu", {}, -5, 5, {}},
      {"Gelu", "Gelu", {{"approximate", std::string("tanh")}}, -5, 5, {}},
      {"Erf", "Erf", {}, -3, 3, {}},
      {"HardSwish", "HardSwish", {}, -5, 5, {-3, 3}},
      {"HardSigmoid", "HardSigmoid", {}, -4, 4, {-2.5, 2.5}},
      {"HardSigmoid", "HardSigmoid", {{"alpha", 0.5f}, {"beta", 0.25f}}, -3, 3, {-0.5, 1.5}},
      {"Exp", "Exp", {}, -3, 3, {}},
      {"Log", "Log", {}, 0.1, 5, {}},
      {"Sqrt", "Sqrt", {}, 0.1, 5, {}},
      {"Reciprocal", "Reciprocal", {}, 0.2, 4, {}},
      {"Reciprocal", "Reciprocal", {}, -4, -0.2, {}},
      {"Abs", "Abs", {}, -3, 3, {0}},
  };
  return cases;
}

TEST(OpsGrad, ActivationGradMatchesFiniteDifferences) {
  Rng rng(7);
  for (const Shape& s : {Shape{13}, Shape{3, 7}, Shape{1}, Shape{}, Shape{2, 1, 5}}) {
    for (const auto& c : activation_cases()) {
      Tensor x = random_tensor(rng, s, c.lo, c.hi, c.kinks);
      Tensor dy = random_tensor(rng, s, -1, 1);
      ir::Node fwd = onnx_node(c.fwd, 1, 1, c.attrs);
      ops::bind(fwd, 20);
      ir::AttributeMap ga = c.attrs;
      ga["activation"] = c.name;
      auto dx = run(make_node("ActivationGrad", 2, 1, ga), {dy, x});
      expect_grad_near(dx[0], numeric_vjp(fwd, {x}, 0, dy), c.name + " " + shape_str(s));
    }
  }
}

TEST(OpsGrad, ActivationGradClipAndSoftplus) {
  Rng rng(8);
  Tensor x = random_tensor(rng, {4, 7}, -3, 3, {-1, 2});
  Tensor dy = random_tensor(rng, {4, 7}, -1, 1);
  Tensor lo = Tensor::scalar(-1.0), hi = Tensor::scalar(2.0);
  ir::Node clip = onnx_node("Clip", 3);
  ops::bind(clip, 13);
  auto dx = run(make_node("ActivationGrad", 4, 1, {{"activation", std::string("Clip")}}), {dy, x, lo, hi});
  expect_grad_near(dx[0], numeric_vjp(clip, {x, lo, hi}, 0, dy), "Clip");
  ir::Node clip_min = onnx_node("Clip", 2);
  ops::bind(clip_min, 13);
  dx = run(make_node("ActivationGrad", 3, 1, {{"activation", std::string("Clip")}}), {dy, x, lo});
  expect_grad_near(dx[0], numeric_vjp(clip_min, {x, lo}, 0, dy), "Clip(min)");
  // Only max given: input 2 is absent.
  ir::Node grad_max = make_node("ActivationGrad", 4, 1, {{"activation", std::string("Clip")}});
  grad_max.inputs[2] = "";
  dx = run(grad_max, {dy, x, Tensor(), hi});
  for (int64_t i = 0; i < x.numel(); ++i)
    EXPECT_EQ(dx[0].data<double>()[i], x.data<double>()[i] <= 2.0 ? dy.data<double>()[i] : 0.0);

  auto softplus = [](const std::vector<Tensor>& in) {
    Tensor y(DType::kFloat64, in[0].shape());
    for (int64_t i = 0; i < y.numel(); ++i) y.data<double>()[i] = std::log1p(std::exp(in[0].data<double>()[i]));
    return y;
  };
  dx = run(make_node("ActivationGrad", 2, 1, {{"activation", std::string("Softplus")}}), {dy, x});
  expect_grad_near(dx[0], numeric_vjp(softplus, {x}, 0, dy), "Softplus");
}

TEST(OpsGrad, ActivationGradKinksFollowPyTorch) {
  // torch 1.13, float64, grad of f(x).sum() at these points (PyTorch's kink conventions).
  const std::vector<double> xs = {-3, 3, 0, -1, 2, -4, 4};
  const std::vector<std::pair<ir::AttributeMap, std::vector<double>>> cases = {
      {{{"activation", std::string("HardSwish")}}, {-0.5, 1.5, 0.5, 1.0 / 6 + 0.0, 7.0 / 6, 0, 1}},
      {{{"activation", std::string("HardSigmoid")}, {"alpha", 1.f / 6}},
       {0, 0, 0.1666666716337204, 0.1666666716337204, 0.1666666716337204, 0, 0}},
      {{{"activation", std::string("Relu")}}, {0, 1, 0, 0, 1, 0, 1}},
      {{{"activation", std::string("LeakyRelu")}, {"alpha", 0.1f}}, {0.1f, 1, 0.1f, 0.1f, 1, 0.1f, 1}},
      {{{"activation", std::string("Abs")}}, {-1, 1, 0, -1, 1, -1, 1}},
  };
  Tensor x = Tensor::from_vector(xs, {7});
  Tensor ones = Tensor::from_vector(std::vector<double>(7, 1.0), {7});
  for (const auto& [attrs, want] : cases) {
    auto dx = run(make_node("ActivationGrad", 2, 1, attrs), {ones, x});
    for (size_t i = 0; i < xs.size(); ++i)
      EXPECT_NEAR(dx[0].data<double>()[i], want[i], 1e-15) << std::get<std::string>(attrs.at("activation")) << " at " << xs[i];
  }
  auto clip = run(make_node("ActivationGrad", 4, 1, {{"activation", std::string("Clip")}}),
                  {ones, x, Tensor::scalar(-1.0), Tensor::scalar(2.0)});
  EXPECT_EQ(std::vector<double>(clip[0].data<double>(), clip[0].data<double>() + 7),
            (std::vector<double>{0, 0, 1, 1, 1, 0, 0}));
}

TEST(OpsGrad, ActivationGradRefusesBadAttributesAndTypes) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  EXPECT_TRUE(bad_input([&] { run(make_node("ActivationGrad", 2, 1, {{"activation", std::string("Swish")}}), {x, x}); },
                        "unknown activation 'Swish'"));
  EXPECT_TRUE(bad_input([&] { run(make_node("ActivationGrad", 2, 1, {{"activation", std::string("Relu")}, {"alpha", 1.f}}), {x, x}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("ActivationGrad", 3, 1, {{"activation", std::string("Relu")}}), {x, x, x}); }));
  Tensor xi = Tensor::from_vector(std::vector<int64_t>{1, 2}, {2});
  EXPECT_TRUE(bad_input([&] { run(make_node("ActivationGrad", 2, 1, {{"activation", std::string("Relu")}}), {xi, xi}); }));
  Tensor x3 = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  EXPECT_TRUE(bad_input([&] { run(make_node("ActivationGrad", 2, 1, {{"activation", std::string("Relu")}}), {x, x3}); }));
  // float32: same values as float64 rounded once.
  auto dx = run(make_node("ActivationGrad", 2, 1, {{"activation", std::string("Tanh")}}), {x, x});
  EXPECT_EQ(dx[0].data<float>()[1], float(2.0 * (1.0 - std::tanh(2.0) * std::tanh(2.0))));
}

TEST(OpsGrad, SoftmaxAndLogSoftmaxGradMatchFiniteDifferences) {
  Rng rng(9);
  struct Case { Shape s; int64_t axis; int64_t opset; };
  for (const Case& c : {Case{{3, 5}, -1, 13}, Case{{2, 3, 4}, 1, 13}, Case{{7, 1, 13}, 0, 13}, Case{{1}, 0, 13},
                        Case{{2, 3, 4}, 1, 11}, Case{{3, 13}, -2, 13}}) {
    for (const char* op : {"Softmax", "LogSoftmax"}) {
      ir::Node fwd = onnx_node(op, 1, 1, {{"axis", c.axis}});
      ops::bind(fwd, c.opset);
      Tensor x = random_tensor(rng, c.s, -3, 3);
      Tensor dy = random_tensor(rng, c.s, -1, 1);
      Tensor y = ref(fwd, {x})[0];
      ir::AttributeMap ga = {{"axis", c.axis}};
      if (c.opset < 13) ga["coerce_2d"] = int64_t(1);
      auto dx = run(make_node(std::string(op) + "Grad", 2, 1, ga), {dy, y});
      expect_grad_near(dx[0], numeric_vjp(fwd, {x}, 0, dy), std::string(op) + " " + shape_str(c.s));
    }
  }
  ir::Node big = make_node("SoftmaxGrad", 2, 1, {{"axis", int64_t(1)}});
  ops::bind(big, 20);
  Tensor y = random_tensor(rng, {5, 300, 37}, 0, 1, {}, 0, DType::kFloat32);
  expect_thread_independent(big, {random_tensor(rng, {5, 300, 37}, -1, 1, {}, 0, DType::kFloat32), y});
}

TEST(OpsGrad, SoftmaxCrossEntropyMatchesPyTorch) {
  // torch 1.13: F.cross_entropy(x, [1, -100, 3], label_smoothing=eps) and the grad of 1.5 * loss.
  Tensor x = Tensor::from_vector(std::vector<double>{0.5, -1.25, 2.0, 0.125, 1.0, 1.0, -3.0, 0.75, -0.5, 2.5, 0.25, -2.0}, {3, 4});
  Tensor labels = ints({1, -100, 3});
  const std::vector<std::pair<float, double>> losses = {{0.f, 4.125572547817763}, {0.1f, 3.942760047817763}};
  const std::vector<std::vector<double>> grads = {
      {0.1182451978894778, -0.7294520656686672, 0.5299382110012343, 0.08126865677795499, 0, 0, 0, 0,
       0.032016164013602, 0.6430618444340352, 0.06777821974866956, -0.7428562281963066},
      {0.09949519788947783, -0.6732020656686672, 0.5111882110012345, 0.06251865677795501, 0, 0, 0, 0,
       0.013266164013602002, 0.6243118444340353, 0.04902821974866956, -0.6866062281963067}};
  for (size_t c = 0; c < losses.size(); ++c) {
    ir::AttributeMap a = {{"label_smoothing", losses[c].first}};
    auto loss = run(make_node("SoftmaxCrossEntropy", 2, 1, a), {x, labels});
    EXPECT_EQ(loss[0].shape(), Shape{});
    EXPECT_NEAR(loss[0].data<double>()[0], losses[c].second, 1e-7);  // eps is a float attribute
    auto g = run(make_node("SoftmaxCrossEntropyGrad", 3, 1, a), {Tensor::scalar(1.5), x, labels});
    for (int64_t i = 0; i < 12; ++i) EXPECT_NEAR(g[0].data<double>()[i], grads[c][size_t(i)], 1e-7) << i;
  }
  // ignore_index inside [0, K): torch gives 0.6785627897970558.
  auto l = run(make_node("SoftmaxCrossEntropy", 2, 1, {{"ignore_index", int64_t(0)}, {"label_smoothing", 0.2f}}),
               {x, ints({2, 0, 0})});
  EXPECT_NEAR(l[0].data<double>()[0], 0.6785627897970558, 1e-7);
  // All ignored: loss 0 (PyTorch gives NaN) and a zero gradient.
  l = run(make_node("SoftmaxCrossEntropy", 2), {x, ints({-100, -100, -100})});
  EXPECT_EQ(l[0].data<double>()[0], 0.0);
  auto g = run(make_node("SoftmaxCrossEntropyGrad", 3), {Tensor::scalar(1.0), x, ints({-100, -100, -100})});
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(g[0].data<double>()[i], 0.0);
  EXPECT_TRUE(bad_input([&] { run(make_node("SoftmaxCrossEntropy", 2), {x, ints({1, 4, 0})}); },
                        "label 4 of sample 1 is outside [0, 4)"));
  EXPECT_TRUE(bad_input([&] { run(make_node("SoftmaxCrossEntropyGrad", 3), {Tensor::scalar(1.0), x, ints({-1, 0, 0})}); },
                        "label -1 of sample 0"));
  EXPECT_TRUE(bad_input([&] { run(make_node("SoftmaxCrossEntropy", 2), {x, ints({1, 2})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("SoftmaxCrossEntropy", 2, 1, {{"label_smoothing", 1.5f}}), {x, ints({1, 2, 3})}); }));
}

TEST(OpsGrad, SoftmaxCrossEntropyGradMatchesFiniteDifferences) {
  Rng rng(10);
  for (int64_t n : {1, 5, 7})
    for (int64_t k : {1, 3, 13})
      for (float eps : {0.f, 0.1f}) {
        std::vector<int64_t> lab(static_cast<size_t>(n));
        for (auto& v : lab) v = rng.below(4) == 0 ? -100 : int64_t(rng.below(uint64_t(k)));
        Tensor x = random_tensor(rng, {n, k}, -4, 4), labels = ints(lab);
        ir::AttributeMap a = {{"label_smoothing", eps}};
        ir::Node fwd = make_node("SoftmaxCrossEntropy", 2, 1, a);
        ops::bind(fwd, 20);
        Tensor dl = Tensor::scalar(1.7);
        auto g = run(make_node("SoftmaxCrossEntropyGrad", 3, 1, a), {dl, x, labels});
        expect_grad_near(g[0], numeric_vjp(fwd, {x, labels}, 0, dl), "CE " + std::to_string(n) + "x" + std::to_string(k));
      }
  std::vector<int64_t> lab(3000);
  for (auto& v : lab) v = int64_t(rng.below(37));
  Tensor x = random_tensor(rng, {3000, 37}, -4, 4, {}, 0, DType::kFloat32);
  ir::Node loss = make_node("SoftmaxCrossEntropy", 2), grad = make_node("SoftmaxCrossEntropyGrad", 3);
  ops::bind(loss, 20);
  ops::bind(grad, 20);
  expect_thread_independent(loss, {x, ints(lab)});
  expect_thread_independent(grad, {Tensor::scalar(1.f), x, ints(lab)});
}

TEST(OpsGrad, TrainDropoutMaskIsDeterministicAndScaled) {
  Rng rng(11);
  Tensor x = random_tensor(rng, {200, 501}, -1, 1, {}, 0, DType::kFloat32);
  ir::Node drop = make_node("TrainDropout", 2, 2, {{"ratio", 0.3f}, {"seed", int64_t(42)}});
  ops::bind(drop, 20);
  expect_thread_independent(drop, {x, Tensor::scalar(int64_t(5))});
  auto a = ref(drop, {x, Tensor::scalar(int64_t(5))});
  auto b = ref(drop, {x, Tensor::scalar(int64_t(6))});
  int64_t kept = 0, same = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const bool m = a[1].data<bool>()[i];
    kept += m;
    same += m == b[1].data<bool>()[i];
    EXPECT_EQ(a[0].data<float>()[i], m ? float(double(x.data<float>()[i]) * (1.0 / (1.0 - double(0.3f)))) : 0.f);
    EXPECT_EQ(m, dropout_keep_reference(42, 5, i, 0.3f));
  }
  EXPECT_NEAR(double(kept) / double(x.numel()), 0.7, 0.01);
  EXPECT_LT(double(same) / double(x.numel()), 0.65);  // another step draws another mask
  auto id = run(make_node("TrainDropout", 2, 2, {{"ratio", 0.f}}), {x, Tensor::scalar(int64_t(1))});
  EXPECT_TRUE(id[0].bit_equal(x));
  auto none = run(make_node("TrainDropout", 2, 2, {{"ratio", 1.f}}), {x, Tensor::scalar(int64_t(1))});
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_FALSE(none[1].data<bool>()[i]);
  EXPECT_TRUE(bad_input([&] { run(make_node("TrainDropout", 2, 2, {{"ratio", 1.5f}}), {x, Tensor::scalar(int64_t(1))}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("TrainDropout", 2, 2), {x, Tensor::scalar(1.0)}); }));
}

TEST(OpsGrad, DropoutGradMatchesFiniteDifferences) {
  Rng rng(12);
  for (const Shape& s : {Shape{7, 13}, Shape{1}, Shape{0, 3}}) {
    Tensor x = random_tensor(rng, s, -2, 2), dy = random_tensor(rng, s, -1, 1), step = Tensor::scalar(int64_t(3));
    ir::Node fwd = make_node("TrainDropout", 2, 2, {{"ratio", 0.4f}, {"seed", int64_t(9)}});
    ops::bind(fwd, 20);
    Tensor mask = ref(fwd, {x, step})[1];
    auto dx = run(make_node("DropoutGrad", 2, 1, {{"ratio", 0.4f}}), {dy, mask});
    expect_grad_near(dx[0], numeric_vjp(fwd, {x, step}, 0, dy), "DropoutGrad " + shape_str(s));
  }
}

}  // namespace
}  // namespace shrink
