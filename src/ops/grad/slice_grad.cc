// SliceGrad(dY, X, starts, ends, [axes], [steps]) -> dX: zeros of X's shape with dY written at
// the positions ONNX Slice (opset 13) selects, resolved by the Slice op's own plan_slice
// (negative and clamped bounds, negative steps and axes). Selected positions are distinct, so
// rows of dY are scattered in parallel. X only supplies the shape and type.
#include "ops/grad/grad_util.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

SlicePlan plan(const ir::Node& node, const Shape& x, std::span<const Tensor> in) {
  return plan_slice(node, x, in[2], in[3], has_input(in, 4) ? &in[4] : nullptr, has_input(in, 5) ? &in[5] : nullptr);
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  require_same_dtype(node, in, 0, 1);
  out[0] = {in[1].dtype, in[1].shape};
  bool known = true;
  for (size_t i = 2; i < in.size(); ++i) known = known && (!in[i].present() || in[i].value);
  if (known) {
    const SlicePlan p = plan_slice(node, in[1].shape, *in[2].value, *in[3].value,
                                   has_input(in, 4) ? in[4].value : nullptr, has_input(in, 5) ? in[5].value : nullptr);
    SHRINK_CHECK(in[0].shape == p.out, node.label(), " dY has shape ", shape_str(in[0].shape), ", the slice gives ",
                 shape_str(p.out));
  }
  return true;
}

// dst[base + sum_k o_k * strides[k]] = src[o] for every index o of src's shape.
template <class U>
void strided_scatter(const U* src, const Shape& shape, U* dst, int64_t base, std::span<const int64_t> strides) {
  const int64_t total = numel(shape);
  if (total == 0) return;
  if (shape.empty()) {
    dst[base] = src[0];
    return;
  }
  const size_t rank = shape.size();
  const int64_t row = shape[rank - 1], step = strides[rank - 1];
  parallel_for(total / row, std::max<int64_t>(1, 16384 / row), [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> idx(rank - 1, 0);
    int64_t off = base;
    for (size_t k = rank - 1, r = size_t(r0); k-- > 0;) {
      idx[k] = int64_t(r % size_t(shape[k]));
      r /= size_t(shape[k]);
      off += idx[k] * strides[k];
    }
    for (int64_t r = r0; r < r1; ++r) {
      const U* s = src + r * row;
      for (int64_t j = 0; j < row; ++j) dst[off + j * step] = s[j];
      for (size_t k = rank - 1; k-- > 0;) {
        off += strides[k];
        if (++idx[k] < shape[k]) break;
        off -= strides[k] * shape[k];
        idx[k] = 0;
      }
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const SlicePlan p = plan(node, in[1].shape(), in);
  SHRINK_CHECK(in[0].shape() == p.out, node.label(), " dY has shape ", shape_str(in[0].shape()),
               ", the slice gives ", shape_str(p.out));
  if (out[0].nbytes() > 0) std::memset(out[0].raw(), 0, out[0].nbytes());
  visit_word(dtype_size(out[0].dtype()), [&](auto tag) {
    using U = decltype(tag);
    strided_scatter(static_cast<const U*>(in[0].raw()), in[0].shape(), static_cast<U*>(out[0].raw()), p.base,
                    p.strides);
  });
}

}  // namespace

extern const OpSchema kSliceGrad{.op_type = "SliceGrad", .domain = kGradDomain, .min_inputs = 4, .max_inputs = 6,
                                 .infer = infer, .compute = compute};

}  // namespace shrink::ops
