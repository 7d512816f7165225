// Tile: repeat input 0 repeats[i] times along each axis i. The kernel builds each output row
// by repeating one input row, reading outer dims modulo the input dims.
#include <algorithm>

#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  SHRINK_CHECK(in[1].dtype == DType::kInt64 && in[1].shape.size() == 1, node.label(),
               " repeats must be a 1-D int64 tensor");
  if (!in[1].value) return false;
  auto reps = read_int_list(node, *in[1].value, "repeats");
  const Shape& s = in[0].shape;
  SHRINK_CHECK(reps.size() == s.size(), node.label(), " has ", reps.size(), " repeats for rank ", s.size());
  Shape o(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    SHRINK_CHECK(reps[i] >= 0, node.label(), " repeats ", shape_str(reps), " has a negative entry");
    SHRINK_CHECK(s[i] == 0 || reps[i] <= kMaxElements / s[i], node.label(), " repeats ", shape_str(reps),
                 " give too many elements");
    o[i] = s[i] * reps[i];
  }
  node_numel(node, o, "output shape");
  out[0] = {in[0].dtype, o};
  return true;
}

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) {
  const Shape& s = in[0].shape();
  const Shape& os = out[0].shape();
  if (out[0].numel() == 0) return;
  if (os.empty()) {
    copy_bytes(in[0], out[0]);
    return;
  }
  const size_t rank = os.size();
  const size_t elem = dtype_size(in[0].dtype());
  const int64_t in_row = s[rank - 1], out_row = os[rank - 1];
  const auto in_strides = strides_of(s);
  const int64_t rows = out[0].numel() / out_row;
  const auto* src = static_cast<const std::byte*>(in[0].raw());
  auto* dst = static_cast<std::byte*>(out[0].raw());
  parallel_for(rows, std::max<int64_t>(1, 16384 / out_row), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t off = 0;
      for (int64_t k = int64_t(rank) - 2, q = r; k >= 0; --k) {
        off += (q % os[size_t(k)]) % s[size_t(k)] * in_strides[size_t(k)];
        q /= os[size_t(k)];
      }
      std::byte* d = dst + size_t(r * out_row) * elem;
      for (int64_t j = 0; j < out_row; j += in_row)
        std::memcpy(d + size_t(j) * elem, src + size_t(off) * elem, size_t(in_row) * elem);
    }
  });
}

}  // namespace

extern const OpSchema kTile{.op_type = "Tile", .min_inputs = 2, .max_inputs = 2, .since_opset = 6, .infer = infer,
                            .compute = compute};

}  // namespace shrink::ops
