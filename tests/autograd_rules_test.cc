// Every gradient rule against central finite differences: a one-node float64 graph per case,
// the loss sum_i <R_i, y_i> with random cotangents, all input elements perturbed (gradcheck.h).
// Shapes are small and awkward (odd sizes, groups, strides, broadcasting from size-1 dims).
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "autograd/grad_context.h"
#include "core/rng.h"
#include "ops/op.h"

namespace shrink {
namespace {

struct Arg {
  Tensor value;
  bool grad = true;      // differentiate w.r.t. it (a graph input)
  bool constant = false; // an initializer (shape/axes operands)
};

Arg rnd(Shape s, uint64_t seed, double lo = -1, double hi = 1) {
  Rng r(seed);
  Tensor t(DType::kFloat64, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = lo + (hi - lo) * r.uniform();
  return {t};
}
Arg ints(std::vector<int64_t> v) { return {Tensor::from_vector(v, {int64_t(v.size())}), false, true}; }
Arg nograd(Arg a) { a.grad = false; return a; }

// Builds the one-node graph and runs gradcheck over the differentiable inputs.
void check(const std::string& op, std::vector<Arg> args, ir::AttributeMap attrs = {}, int n_out = 1,
           const std::string& domain = "", double tol = 1e-6, int64_t opset = 17) {
  SCOPED_TRACE(op);
  ir::Graph g;
  g.opsets = {{"", opset}, {"com.shrink", 1}};
  ir::Node n;
  n.name = "node";
  n.op_type = op;
  n.domain = domain;
  n.attrs = attrs;
  std::map<std::string, Tensor> inputs;
  std::vector<std::string> wrt;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = "in" + std::to_string(i);
    if (!args[i].value.defined()) {
      n.inputs.push_back("");
      continue;
    }
    n.inputs.push_back(name);
    if (args[i].constant) {
      g.initializers[name] = args[i].value;
      continue;
    }
    g.inputs.push_back(ir::ValueInfo{name, args[i].value.dtype(), std::nullopt});
    inputs[name] = args[i].value;
    if (args[i].grad) wrt.push_back(name);
  }
  for (int i = 0; i < n_out; ++i) {
    n.outputs.push_back("out" + std::to_string(i));
    g.outputs.push_back(ir::ValueInfo{n.outputs.back(), DType::kFloat64, std::nullopt});
  }
  g.nodes.push_back(n);
  autograd::GradCheckResult r = autograd::gradcheck(g, wrt, inputs);
  EXPECT_GT(r.checked, 0);
  EXPECT_LE(r.max_error, tol) << r.worst;
}

TEST(AutogradRules, BroadcastingArithmetic) {
  check("Add", {rnd({2, 3, 4}, 1), rnd({3, 1}, 2)});
  check("Sub", {rnd({1, 5}, 3), rnd({4, 1}, 4)});
  check("Mul", {rnd({2, 3, 4}, 5), rnd({4}, 6)});
  check("Div", {rnd({3, 4}, 7), rnd({3, 1}, 8, 0.5, 2.0)});
  check("Pow", {rnd({3, 4}, 9, 0.5, 2.0), rnd({4}, 10, -1.5, 2.0)});
  check("Sum", {rnd({2, 3}, 11), rnd({3}, 12), rnd({2, 1}, 13)});
  check("Neg", {rnd({5}, 14)});
  check("Identity", {rnd({2, 2}, 15)});
  check("Expand", {rnd({3, 1}, 16), ints({2, 3, 4})});
  check("Where", {{Tensor::from_vector<bool>({true, false, false, true, true, false}, {2, 3}), false, false},
                  rnd({2, 3}, 17), rnd({3}, 18)});
}

TEST(AutogradRules, Activations) {
  check("Relu", {rnd({3, 7}, 20)});
  check("LeakyRelu", {rnd({3, 7}, 21)}, {{"alpha", 0.2f}});
  check("Sigmoid", {rnd({3, 7}, 22, -4, 4)});
  check("Tanh", {rnd({3, 7}, 23, -3, 3)});
  check("Erf", {rnd({3, 7}, 24, -2, 2)});
  check("Gelu", {rnd({3, 7}, 37, -3, 3)}, {}, 1, "", 1e-6, 20);
  check("Gelu", {rnd({3, 7}, 38, -3, 3)}, {{"approximate", std::string("tanh")}}, 1, "", 1e-6, 20);
  check("HardSwish", {rnd({3, 7}, 25, -2.9, 2.9)});
  check("HardSigmoid", {rnd({3, 7}, 26, -2, 2)}, {{"alpha", 0.3f}, {"beta", 0.4f}});
  check("Exp", {rnd({3, 7}, 27)});
  check("Log", {rnd({3, 7}, 28, 0.2, 3)});
  check("Sqrt", {rnd({3, 7}, 29, 0.2, 3)});
  check("Reciprocal", {rnd({3, 7}, 30, 0.5, 3)});
  check("Abs", {rnd({3, 7}, 31)});
  check("Clip", {rnd({3, 7}, 32, -2, 2), nograd(rnd({}, 33, -0.9, -0.8)), nograd(rnd({}, 34, 0.8, 0.9))});
  check("Softmax", {rnd({2, 3, 5}, 35, -2, 2)}, {{"axis", int64_t(1)}});
  check("LogSoftmax", {rnd({4, 6}, 36, -2, 2)}, {{"axis", int64_t(-1)}});
}

TEST(AutogradRules, MatMulAndGemm) {
  check("MatMul", {rnd({3, 4}, 40), rnd({4, 5}, 41)});
  check("MatMul", {rnd({2, 3, 4}, 42), rnd({4, 5}, 43)});        // activation x weight
  check("MatMul", {rnd({2, 1, 3, 4}, 44), rnd({3, 4, 2}, 45)});  // batch broadcasting both ways
  check("Gemm", {rnd({3, 4}, 46), rnd({4, 5}, 47), rnd({5}, 48)});
  check("Gemm", {rnd({4, 3}, 49), rnd({5, 4}, 50), rnd({3, 1}, 51)},
        {{"transA", int64_t(1)}, {"transB", int64_t(1)}, {"alpha", 0.7f}, {"beta", 1.3f}});
  check("Gemm", {rnd({3, 4}, 52), rnd({5, 4}, 53)}, {{"transB", int64_t(1)}});
}

TEST(AutogradRules, ConvAndConvTranspose) {
  check("Conv", {rnd({2, 3, 7, 6}, 60), rnd({4, 3, 3, 3}, 61), rnd({4}, 62)},
        {{"pads", std::vector<int64_t>{1, 0, 2, 1}}, {"strides", std::vector<int64_t>{2, 1}}});
  check("Conv", {rnd({1, 6, 5, 5}, 63), rnd({4, 3, 3, 3}, 64)},
        {{"group", int64_t(2)}, {"dilations", std::vector<int64_t>{2, 1}}, {"auto_pad", std::string("SAME_UPPER")}});
  check("Conv", {rnd({2, 3, 6, 5}, 65), rnd({3, 1, 3, 3}, 66), rnd({3}, 67)},
        {{"group", int64_t(3)}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});  // depthwise
  check("Conv", {rnd({2, 2, 9}, 68), rnd({3, 2, 2}, 69)}, {{"strides", std::vector<int64_t>{3}}});  // 1-D
  check("ConvTranspose", {rnd({2, 4, 3, 4}, 70), rnd({4, 3, 3, 3}, 71), rnd({3}, 72)},
        {{"strides", std::vector<int64_t>{2, 2}}, {"pads", std::vector<int64_t>{1, 0, 1, 1}}});
  check("ConvTranspose", {rnd({1, 4, 3, 3}, 73), rnd({4, 1, 2, 2}, 74)}, {{"group", int64_t(2)}});
}

TEST(AutogradRules, PoolingAndNormalization) {
  check("MaxPool", {rnd({2, 3, 7, 6}, 80)},
        {{"kernel_shape", std::vector<int64_t>{3, 2}}, {"strides", std::vector<int64_t>{2, 2}},
         {"pads", std::vector<int64_t>{1, 0, 1, 1}}});
  check("AveragePool", {rnd({2, 3, 7, 6}, 81)},
        {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{2, 2}},
         {"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"count_include_pad", int64_t(0)}});
  check("GlobalAveragePool", {rnd({2, 3, 5, 4}, 82)});
  check("BatchNormalization",
        {rnd({3, 4, 3, 2}, 83), rnd({4}, 84, 0.5, 1.5), rnd({4}, 85), nograd(rnd({4}, 86)), nograd(rnd({4}, 87, 0.5, 1))},
        {{"training_mode", int64_t(1)}, {"epsilon", 1e-3f}}, 1, "", 1e-5);
  check("LayerNormalization", {rnd({2, 3, 5}, 88), rnd({5}, 89, 0.5, 1.5), rnd({5}, 90)}, {{"epsilon", 1e-3f}});
  check("LayerNormalization", {rnd({2, 3, 4}, 91), rnd({3, 4}, 92, 0.5, 1.5)}, {{"axis", int64_t(1)}});
}

TEST(AutogradRules, DataMovement) {
  check("Reshape", {rnd({2, 3, 4}, 100), ints({4, -1})});
  check("Flatten", {rnd({2, 3, 4}, 101)}, {{"axis", int64_t(2)}});
  check("Squeeze", {rnd({2, 1, 3}, 102), ints({1})});
  check("Unsqueeze", {rnd({2, 3}, 103), ints({0, 3})});
  check("Transpose", {rnd({2, 3, 4}, 104)}, {{"perm", std::vector<int64_t>{2, 0, 1}}});
  check("Concat", {rnd({2, 3}, 105), rnd({2, 1}, 106), rnd({2, 4}, 107)}, {{"axis", int64_t(-1)}});
  check("Split", {rnd({5, 2}, 108), ints({2, 3})}, {{"axis", int64_t(0)}}, 2);
  check("Slice", {rnd({5, 6}, 109), ints({4, 1}), ints({0, 6}), ints({0, 1}), ints({-2, 2})});
  check("Gather", {rnd({5, 3}, 110), {Tensor::from_vector<int64_t>({4, 0, -1, 2, 4}, {5}), false, false}},
        {{"axis", int64_t(0)}});
  check("ReduceSum", {rnd({2, 3, 4}, 111), ints({0, 2})}, {{"keepdims", int64_t(0)}});
  check("ReduceMean", {rnd({2, 3, 4}, 112)}, {{"axes", std::vector<int64_t>{1}}});
  check("Cast", {rnd({3}, 113)}, {{"to", int64_t(DType::kFloat64)}});
}

TEST(AutogradRules, TrainingOps) {
  check("TrainDropout", {rnd({4, 5}, 120), {Tensor::scalar<int64_t>(7), false, false}},
        {{"ratio", 0.3f}, {"seed", int64_t(5)}}, 2, "com.shrink");
  check("SoftmaxCrossEntropy",
        {rnd({4, 5}, 121, -2, 2), {Tensor::from_vector<int64_t>({1, 4, -100, 0}, {4}), false, false}},
        {{"label_smoothing", 0.1f}, {"ignore_index", int64_t(-100)}}, 1, "com.shrink");
}

TEST(AutogradRules, EveryListedOpHasARule) {
  // The op list of the training issue; a missing rule fails here before any model does.
  for (const char* op : {"Gemm", "MatMul", "Conv", "ConvTranspose", "BatchNormalization", "LayerNormalization",
                         "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Gelu", "Erf", "HardSwish", "Clip", "Add", "Sub",
                         "Mul", "Div", "Pow", "Sqrt", "Exp", "Log", "Softmax", "LogSoftmax", "MaxPool",
                         "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Squeeze",
                         "Unsqueeze", "Concat", "Split", "Slice", "Gather", "Expand", "ReduceMean", "ReduceSum",
                         "Where", "Dropout", "Identity", "Cast"})
    EXPECT_NE(autograd::find_grad_rule("", op), nullptr) << op;
}

TEST(AutogradRules, MissingRuleNamesTheNode) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back(ir::ValueInfo{"x", DType::kFloat64, std::nullopt});
  g.nodes.push_back(ir::Node{.name = "rounding", .op_type = "Round", .inputs = {"x"}, .outputs = {"y"}});
  g.outputs.push_back(ir::ValueInfo{"y", DType::kFloat64, std::nullopt});
  try {
    autograd::gradcheck(g, {"x"}, {{"x", rnd({3}, 1).value}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("rounding"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace shrink
