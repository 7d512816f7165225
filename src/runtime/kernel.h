// Kernels: executable implementations of one node. For each op the runtime keeps an ordered list
// of factories, fastest first; the reference kernel (the op's schema compute) always comes last.
#pragma once
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "ops/op.h"

namespace shrink::runtime {

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Computes out[] from in[]. Unless allocates_outputs(), out[] arrive allocated with the shapes
  // and dtypes the op's inference gives (zeroed only when needs_zeroed_outputs()).
  virtual void run(std::span<const Tensor> in, std::span<Tensor> out) = 0;
  virtual std::string_view name() const = 0;
  virtual bool needs_zeroed_outputs() const { return false; }
  // View kernels (Reshape, Squeeze, ...) set out[] themselves, sharing the input's storage.
  virtual bool allocates_outputs() const { return false; }
};

// Returns a kernel for `node` with inputs described by `in`, or null when it does not apply.
using KernelFactory = std::unique_ptr<Kernel> (*)(const ir::Node& node, std::span<const ops::ValueMeta> in);

struct KernelEntry {
  std::string_view domain;
  std::string_view op_type;
  KernelFactory factory;
  std::string_view backend = "";  // "view", "blas", "onednn"; set by the backend's table
};

// Fast kernels for the node (ordered), falling back to the reference kernel. Backends named in
// `skip` are passed over (tests use it to reach a kernel further down the list).
std::unique_ptr<Kernel> select_kernel(const ir::Node& node, std::span<const ops::ValueMeta> in,
                                      bool reference_only = false, const std::vector<std::string>& skip = {});

}  // namespace shrink::runtime
