// Helpers shared by the shape family: reading small integer inputs (shapes, axes, pads), axis
// checks that name the node, and dtype-agnostic copy loops (elements moved as 1/2/4/8-byte
// unsigned words, since data movement never looks at values).
#pragma once
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "ops/attr_reader.h"
#include "ops/common.h"

namespace shrink::ops {

// Input i exists (inside the span and not an absent optional).
inline bool has_input(std::span<const ValueMeta> in, size_t i) { return i < in.size() && in[i].present(); }
inline bool has_input(std::span<const Tensor> in, size_t i) { return i < in.size() && in[i].defined(); }

// Fails unless input i holds a type shrink can store (refuses string and the sub-byte types).
void require_storable(const ir::Node& node, const ValueMeta& v, int i);
// Values of an int32/int64 tensor of rank <= 1 (a shape, axes, pads...), naming `what` in errors.
std::vector<int64_t> read_int_list(const ir::Node& node, const Tensor& t, const char* what);
// Like normalize_axis, with the node in the message.
int64_t node_axis(const ir::Node& node, int64_t axis, int64_t rank, const char* what = "axis");
// Normalizes a list of axes for `rank` and refuses duplicates.
std::vector<int64_t> node_axes(const ir::Node& node, std::vector<int64_t> axes, int64_t rank, const char* what = "axes");
// checked_numel with the node in the message.
int64_t node_numel(const ir::Node& node, const Shape& shape, const char* what);

// Calls f(U{}) with the unsigned word type of an element of `bytes` bytes.
template <class F>
void visit_word(size_t bytes, F&& f) {
  switch (bytes) {
    case 1: f(uint8_t{}); break;
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    case 8: f(uint64_t{}); break;
    default: fail_internal("internal: element size ", bytes, " is not a word size");
  }
}

// Transpose's perm for an input of this rank (default: reversed), checked to be a permutation.
std::vector<int64_t> transpose_perm(const ir::Node& node, size_t rank);
// dst[o] = src[base + sum_k o_k * src_strides[k]] for every index o of `out` (strides in elements,
// may be 0 for broadcast or negative for reversed slices). Covers Transpose, Slice and Expand.
void strided_copy(const Tensor& src, Tensor& dst, int64_t base, std::span<const int64_t> src_strides);

// What ONNX Slice (opset 10+) selects from a tensor of shape `in`: per axis, start/end made
// positive and clamped, count ceil((end - start) / step). Element o of the result is
// in[base + sum_k o_k * strides[k]]. Shared by Slice and SliceGrad; fails naming the node.
struct SlicePlan {
  Shape out;
  int64_t base = 0;              // element offset of the first selected element
  std::vector<int64_t> strides;  // input stride per output dim (times the step)
};
SlicePlan plan_slice(const ir::Node& node, const Shape& in, const Tensor& starts, const Tensor& ends,
                     const Tensor* axes, const Tensor* steps);

// Copies all of src's bytes into dst (same element count and type): the reshape-like kernels.
inline void copy_bytes(const Tensor& src, Tensor& dst) {
  if (dst.nbytes() > 0) std::memcpy(dst.raw(), src.raw(), dst.nbytes());
}

// Product of dims [b, e) of a validated shape.
inline int64_t prod(const Shape& s, size_t b, size_t e) {
  int64_t n = 1;
  for (size_t i = b; i < e; ++i) n *= s[i];
  return n;
}

}  // namespace shrink::ops
