// Zero-copy kernels for ops that only change the shape (Reshape, Flatten, Squeeze, Unsqueeze,
// Identity, inference-mode Dropout): the output shares the input's storage.
#include <cstring>

#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

class ViewKernel final : public Kernel {
 public:
  explicit ViewKernel(const ir::Node& node) : node_(node) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    std::vector<ops::ValueMeta> metas(in.size());
    for (size_t i = 0; i < in.size(); ++i)
      if (in[i].defined()) metas[i] = {in[i].dtype(), in[i].shape(), &in[i]};
    auto shapes = ops::infer_outputs(node_, metas);
    out[0] = in[0].reshaped(shapes[0].shape);
    for (size_t i = 1; i < out.size(); ++i)  // Dropout's mask output: all true
      if (!node_.outputs[i].empty()) {
        out[i] = Tensor(shapes[i].dtype, shapes[i].shape);
        std::memset(out[i].raw(), 1, out[i].nbytes());
      }
  }
  std::string_view name() const override { return "view"; }
  bool allocates_outputs() const override { return true; }

 private:
  const ir::Node& node_;
};

std::unique_ptr<Kernel> make_view(const ir::Node& node, std::span<const ops::ValueMeta>) {
  return std::make_unique<ViewKernel>(node);
}

std::unique_ptr<Kernel> make_dropout_view(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  // Only inference mode: training_mode absent, or a constant false.
  if (in.size() > 2 && in[2].present() && (!in[2].value || in[2].value->as_int64(0) != 0)) return nullptr;
  return std::make_unique<ViewKernel>(node);
}

}  // namespace

std::vector<KernelEntry> view_kernels() {
  return {{"", "Reshape", make_view},   {"", "Flatten", make_view}, {"", "Squeeze", make_view},
          {"", "Unsqueeze", make_view}, {"", "Identity", make_view}, {"", "Dropout", make_dropout_view}};
}

}  // namespace shrink::runtime
