// The gradient-rule table: (domain, op type) -> rule. Adding a differentiable op = writing its
// rule and adding one row here.
#include <map>

#include "autograd/rules/rules.h"

namespace shrink::autograd {
namespace {

struct Row {
  const char* domain;
  const char* op_type;
  GradRule rule;
};

constexpr Row kRules[] = {
    {"", "Add", rules::add},
    {"", "Sub", rules::sub},
    {"", "Mul", rules::mul},
    {"", "Div", rules::div},
    {"", "Pow", rules::pow},
    {"", "Neg", rules::neg},
    {"", "Identity", rules::identity},
    {"", "Sum", rules::sum},
    {"", "Cast", rules::cast},
    {"", "Where", rules::where},
    {"", "Expand", rules::expand},
    {"", "Relu", rules::activation},
    {"", "LeakyRelu", rules::activation},
    {"", "Sigmoid", rules::activation},
    {"", "Tanh", rules::activation},
    {"", "Gelu", rules::activation},
    {"", "Erf", rules::activation},
    {"", "HardSwish", rules::activation},
    {"", "HardSigmoid", rules::activation},
    {"", "Exp", rules::activation},
    {"", "Log", rules::activation},
    {"", "Sqrt", rules::activation},
    {"", "Reciprocal", rules::activation},
    {"", "Abs", rules::activation},
    {"", "Clip", rules::activation},
    {"", "Softmax", rules::softmax},
    {"", "LogSoftmax", rules::log_softmax},
    {"", "MatMul", rules::matmul},
    {"", "Gemm", rules::gemm},
    {"", "Conv", rules::conv},
    {"", "ConvTranspose", rules::conv_transpose},
    {"", "MaxPool", rules::max_pool},
    {"", "AveragePool", rules::average_pool},
    {"", "GlobalAveragePool", rules::global_average_pool},
    {"", "BatchNormalization", rules::batch_norm},
    {"", "LayerNormalization", rules::layer_norm},
    {"", "Reshape", rules::reshape},
    {"", "Flatten", rules::reshape},
    {"", "Squeeze", rules::reshape},
    {"", "Unsqueeze", rules::reshape},
    {"", "Transpose", rules::transpose},
    {"", "Concat", rules::concat},
    {"", "Split", rules::split},
    {"", "Slice", rules::slice},
    {"", "Gather", rules::gather},
    {"", "ReduceSum", rules::reduce_sum},
    {"", "ReduceMean", rules::reduce_mean},
    {"", "Dropout", rules::dropout},
    {kShrinkDomain, "TrainDropout", rules::train_dropout},
    {kShrinkDomain, "SoftmaxCrossEntropy", rules::softmax_cross_entropy},
};

}  // namespace

GradRule find_grad_rule(const std::string& domain, const std::string& op_type) {
  static const std::map<std::pair<std::string, std::string>, GradRule> table = [] {
    std::map<std::pair<std::string, std::string>, GradRule> m;
    for (const Row& r : kRules) m[{r.domain, r.op_type}] = r.rule;
    return m;
  }();
  auto it = table.find({domain == "ai.onnx" ? "" : domain, op_type});
  return it == table.end() ? nullptr : it->second;
}

std::vector<std::string> differentiable_ops() {
  std::vector<std::string> v;
  for (const Row& r : kRules) v.push_back(std::string(r.domain).empty() ? r.op_type : std::string(r.domain) + "." + r.op_type);
  return v;
}

}  // namespace shrink::autograd
