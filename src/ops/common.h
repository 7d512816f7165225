// Helpers shared by op files: common inference rules, input checks, broadcasting index maps.
#pragma once
#include <span>
#include <vector>

#include "core/threads.h"
#include "ops/op.h"

namespace shrink::ops {

// Output 0 has input 0's dtype and shape.
bool infer_same_as_input0(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out);
// Fails unless input i is float32/float64/float16/bfloat16.
void require_float(const ir::Node& node, const ValueMeta& v, int i);
// Fails unless inputs i and j have the same dtype.
void require_same_dtype(const ir::Node& node, std::span<const ValueMeta> in, int i, int j);

// Maps each output element of a broadcast to the element offset of one input.
// Usage: BroadcastIndex bi(out_shape, in_shape); for (o...) in_ptr[bi.offset(o)]
// For speed, kernels iterate rows via for_each_row instead.
struct BroadcastStrides {
  BroadcastStrides(const Shape& out, const Shape& in);
  std::vector<int64_t> strides;  // per output dim: input stride, 0 where broadcast
};

// Calls fn(out_offset, in_offsets..., inner_len, inner_strides...) for each innermost row of the
// broadcast of `inputs` to `out`. inner stride is 0 (broadcast) or 1 (contiguous).
// Rows are split across threads for large outputs.
void for_each_broadcast_row(const Shape& out, std::span<const Shape> inputs,
                            const std::function<void(int64_t out_off, const int64_t* in_off,
                                                     int64_t len, const int64_t* in_step)>& fn);

}  // namespace shrink::ops
