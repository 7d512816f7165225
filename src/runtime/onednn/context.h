// The process-wide oneDNN CPU engine and stream, and small helpers to describe plain (row-major)
// tensors to oneDNN. Kernels build primitives once per input shape and keep them.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "core/tensor.h"

namespace shrink::runtime::onednn {

dnnl::engine& engine();
dnnl::stream& stream();

dnnl::memory::dims to_dims(const Shape& s);
// Plain row-major f32 descriptor for a shape (rank 1..6).
dnnl::memory::desc plain_desc(const Shape& s, dnnl::memory::data_type dt = dnnl::memory::data_type::f32);
// Channel-blocked f32 descriptor (nCw8c/nChw8c/nCdhw8c or the 16-channel forms) for a logical shape.
dnnl::memory::desc blocked_desc(const Shape& s, int64_t block,
                                dnnl::memory::data_type dt = dnnl::memory::data_type::f32);
// The channel block oneDNN's fp32 convolutions prefer on this CPU: 16 with AVX-512, else 8.
int64_t preferred_channel_block();
// A memory object over a tensor's storage (no copy).
dnnl::memory wrap(const dnnl::memory::desc& md, const Tensor& t);
// Reorders `src` into a freshly allocated memory of descriptor `md` (e.g. a blocked weight layout).
dnnl::memory reorder_to(const dnnl::memory& src, const dnnl::memory::desc& md);

// One tensor argument of a primitive whose chosen layout may differ from the graph's plain one:
// a scratch memory in the primitive's layout and the reorder to it (input) or from it (output),
// built once; when the layouts agree the tensor is passed as is.
class LayoutPort {
 public:
  LayoutPort() = default;
  LayoutPort(const dnnl::memory::desc& plain, const dnnl::memory::desc& wanted, bool is_input);
  // The memory to pass for an input tensor (reordered into the scratch when needed).
  dnnl::memory in(const Tensor& t);
  // The memory to pass for an output tensor; finish() then reorders the result into t.
  dnnl::memory out(Tensor& t);
  void finish(Tensor& t);

 private:
  dnnl::memory::desc plain_;
  dnnl::memory scratch_;
  dnnl::reorder reorder_;
};

}  // namespace shrink::runtime::onednn
