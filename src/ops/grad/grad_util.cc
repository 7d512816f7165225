// Input checks shared by the gradient ops.
#include "ops/grad/grad_util.h"

namespace shrink::ops {

void require_grad_type(const ir::Node& node, std::span<const ValueMeta> in, int i, bool allow_int64) {
  const DType t = in[size_t(i)].dtype;
  const bool ok = t == DType::kFloat32 || t == DType::kFloat64 || (allow_int64 && t == DType::kInt64);
  SHRINK_CHECK(ok, node.label(), " input ", i, " must be float32 or float64", allow_int64 ? " or int64" : "",
               ", got ", dtype_name(t));
}

void require_same_shape(const ir::Node& node, std::span<const ValueMeta> in, int i, int j) {
  SHRINK_CHECK(in[size_t(i)].shape == in[size_t(j)].shape, node.label(), " inputs ", i, " and ", j,
               " have different shapes (", shape_str(in[size_t(i)].shape), ", ", shape_str(in[size_t(j)].shape), ")");
}

void require_int_tensor(const ir::Node& node, const ValueMeta& v, int i, const char* what) {
  SHRINK_CHECK(v.dtype == DType::kInt64 || v.dtype == DType::kInt32, node.label(), " input ", i, " (", what,
               ") must be int64 or int32, got ", dtype_name(v.dtype));
}

}  // namespace shrink::ops
