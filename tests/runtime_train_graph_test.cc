// Whole training graphs (model in training mode + loss + backward, parameters and BatchNorm
// statistics as graph inputs) on the fast kernels against the reference kernels: every output
// (loss, logits, updated running statistics, every parameter gradient) of small zoo models, so the
// gradient ops' oneDNN / cpu kernels and the run-time-weight forward kernels are checked together.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/rng.h"
#include "runtime/session.h"
#include "train/models/model_zoo.h"
#include "train/training_graph.h"

namespace shrink {
namespace {

constexpr double kTrainGraphTolerance = 1e-3;  // relative to each output's max |reference|, fp32

TEST(TrainGraphKernels, FastKernelsMatchReferenceOnZooModels) {
  std::set<std::string> used;
  for (const char* arch : {"cnn-small", "resnet", "mobilenet", "transformer", "mlp"}) {
    SCOPED_TRACE(arch);
    train::ModelSpec spec{.arch = arch, .classes = 5, .width = 8, .depth = 1, .seed = 3};
    if (std::string(arch) == "transformer") spec.width = 16;
    if (std::string(arch) == "resnet") spec.depth = 8;
    spec = train::resolve_spec(spec);
    const ir::Graph model = train::build_model(spec);
    constexpr int64_t kBatch = 3;
    Shape x_shape{kBatch};
    x_shape.insert(x_shape.end(), spec.input.begin(), spec.input.end());
    const train::TrainingGraph tg = train::build_training_graph(model, {.dropout = false}, x_shape);
    Rng rng(9);
    std::vector<Tensor> inputs;
    for (const auto& in : tg.graph.inputs) {
      if (const Tensor* t = model.initializer(in.name)) {
        inputs.push_back(*t);
      } else if (in.name == tg.data_input && in.dtype == DType::kFloat32) {
        Tensor t(DType::kFloat32, x_shape);
        for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = rng.uniform(-1.f, 1.f);
        inputs.push_back(t);
      } else {  // token ids or labels
        const bool data = in.name == tg.data_input;
        Shape s = data ? x_shape : Shape{kBatch};
        Tensor t(in.dtype, s);
        for (int64_t i = 0; i < t.numel(); ++i) {
          const int64_t v = int64_t(rng.below(uint64_t(data ? spec.vocab : spec.classes)));
          if (in.dtype == DType::kInt64) t.data<int64_t>()[i] = v;
          else t.data<int32_t>()[i] = int32_t(v);
        }
        inputs.push_back(t);
      }
    }
    runtime::Session fast(tg.graph), ref(tg.graph, {.optimize = false, .reference_only = true});
    auto a = fast.run(inputs), b = ref.run(inputs);
    ASSERT_EQ(a.size(), b.size());
    int fast_kernels = 0;
    for (const auto& [node, kernel] : fast.kernel_names()) {
      fast_kernels += kernel != "ref";
      used.insert(kernel);
    }
    EXPECT_GT(fast_kernels, 0);
    // Each output relative to its own scale, floored at 1e-3 of the largest: some gradients are
    // zero in exact arithmetic (a bias before a training-mode BatchNorm, attention's key bias) and
    // only rounding noise in both runs.
    std::vector<double> diff(a.size(), 0), scale(a.size(), 0);
    double largest = 1e-30;
    for (size_t k = 0; k < a.size(); ++k) {
      ASSERT_EQ(a[k].shape(), b[k].shape()) << tg.graph.outputs[k].name;
      for (int64_t i = 0; i < b[k].numel(); ++i) {
        diff[k] = std::max(diff[k], std::fabs(a[k].as_double(i) - b[k].as_double(i)));
        scale[k] = std::max(scale[k], std::fabs(b[k].as_double(i)));
      }
      largest = std::max(largest, scale[k]);
    }
    for (size_t k = 0; k < a.size(); ++k)
      EXPECT_LE(diff[k] / std::max(scale[k], 1e-3 * largest), kTrainGraphTolerance) << tg.graph.outputs[k].name;
  }
  for (const char* k : {"onednn:conv", "onednn:conv_bwd_data", "onednn:conv_bwd_weights", "cpu:batch_norm_train",
                        "cpu:batch_norm_bwd", "onednn:layer_norm_bwd"})
    EXPECT_TRUE(used.count(k)) << k << " did not run";
}

}  // namespace
}  // namespace shrink
