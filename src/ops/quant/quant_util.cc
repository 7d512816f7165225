// Scale/zero-point validation, quantization granularity resolution and integer operand
// preparation shared by the quant op family.
#include "ops/quant/quant_util.h"

#include "ops/quant/quant_attrs.h"

namespace shrink::ops {

bool is_quant_type(DType t) {
  return t == DType::kUInt8 || t == DType::kInt8 || t == DType::kUInt16 || t == DType::kInt16;
}

bool is_int8_type(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

void refuse_quant_type(const ir::Node& node, const char* what, DType t) {
  fail_input(node.label(), " ", what, " of type ", onnx_type_name(int(t)), " is not supported");
}

DType dtype_attr(int64_t code) {
  if (code <= 0 || code > 255 || !dtype_traits(int(code)).supported) return DType::kUndefined;
  return DType(uint8_t(code));
}

std::string type_code_name(int64_t code) {
  return code > 0 && code < 256 ? std::string(onnx_type_name(int(code))) : std::to_string(code);
}

QuantRange quant_range(DType t) {
  switch (t) {
    case DType::kUInt8: return {0, 255};
    case DType::kInt8: return {-128, 127};
    case DType::kUInt16: return {0, 65535};
    case DType::kInt16: return {-32768, 32767};
    case DType::kInt32: return {INT32_MIN, INT32_MAX};
    default: fail_internal("quant_range: not a quantized type: ", dtype_name(t));
  }
}

void check_scales(const ir::Node& node, const Tensor& scale, const char* what) {
  for (int64_t i = 0; i < scale.numel(); ++i) {
    const double s = scale.as_double(i);
    SHRINK_CHECK(std::isfinite(s) && s > 0, node.label(), " ", what, "[", i, "] = ", s,
                 " is not a valid scale (must be finite and > 0)");
  }
}

void check_scales(const ir::Node& node, const ValueMeta& scale, const char* what) {
  if (scale.value) check_scales(node, *scale.value, what);
}

void validate_scales(const ir::Node& node, std::span<const Tensor* const> constants,
                     std::initializer_list<std::pair<int, const char*>> scale_inputs) {
  for (const auto& [i, what] : scale_inputs)
    if (size_t(i) < constants.size() && constants[size_t(i)]) check_scales(node, *constants[size_t(i)], what);
}

void validate_zero_point_types(const ir::Node& node, std::span<const Tensor* const> constants,
                               std::initializer_list<std::pair<int, int>> operand_zero_point) {
  for (const auto& [x, z] : operand_zero_point) {
    if (size_t(std::max(x, z)) >= constants.size() || !constants[size_t(x)] || !constants[size_t(z)]) continue;
    const DType xt = constants[size_t(x)]->dtype(), zt = constants[size_t(z)]->dtype();
    SHRINK_CHECK(xt == zt, node.label(), " input ", z, " (zero point) is ", dtype_name(zt), ", its operand (input ", x,
                 ") is ", dtype_name(xt), ": they must have the same type");
  }
}

void require_scale_dtype(const ir::Node& node, const ValueMeta& v, const char* what) {
  SHRINK_CHECK(v.dtype == DType::kFloat32 || v.dtype == DType::kFloat16 || v.dtype == DType::kBFloat16,
               node.label(), " ", what, " must be float32, float16 or bfloat16, got ", onnx_type_name(int(v.dtype)));
}

void require_single(const ir::Node& node, const Shape& s, const char* what) {
  SHRINK_CHECK(s.size() <= 1 && numel(s) == 1, node.label(), " ", what, " must be a scalar or hold one element, got ",
               shape_str(s));
}

std::vector<float> read_scales(const ir::Node& node, const Tensor& scale, const char* what) {
  check_scales(node, scale, what);
  std::vector<float> v(size_t(scale.numel()));
  for (int64_t i = 0; i < scale.numel(); ++i) v[size_t(i)] = float(scale.as_double(i));
  return v;
}

std::vector<int32_t> read_zero_points(const Tensor* zp, int64_t count) {
  std::vector<int32_t> v(size_t(count), 0);
  if (zp && zp->defined())
    for (int64_t i = 0; i < count; ++i) v[size_t(i)] = int32_t(zp->as_int64(zp->numel() == 1 ? 0 : i));
  return v;
}

QuantLayout resolve_quant_layout(const ir::Node& node, const Shape& x, const Shape& scale,
                                 const Shape* zero_point, int64_t axis, int64_t block_size) {
  if (zero_point) {
    const bool both_single = scale.size() <= 1 && zero_point->size() <= 1 && numel(scale) == 1 && numel(*zero_point) == 1;
    SHRINK_CHECK(both_single || *zero_point == scale, node.label(), " zero point shape ", shape_str(*zero_point),
                 " differs from scale shape ", shape_str(scale));
  }
  QuantLayout L;
  const int64_t rank = int64_t(x.size());
  if (block_size <= 0 && scale.size() <= 1 && numel(scale) == 1) {  // per-tensor: axis ignored
    L.inner = numel(x);
    return L;
  }
  SHRINK_CHECK(rank > 0, node.label(), " a scalar input needs a single scale, got ", shape_str(scale));
  SHRINK_CHECK(axis >= -rank && axis < rank, node.label(), " axis=", axis, " is out of range for rank ", rank);
  L.axis = axis < 0 ? axis + rank : axis;
  L.axis_len = x[size_t(L.axis)];
  for (int64_t d = 0; d < L.axis; ++d) L.outer *= x[size_t(d)];
  for (int64_t d = L.axis + 1; d < rank; ++d) L.inner *= x[size_t(d)];
  if (block_size > 0) {
    SHRINK_CHECK(int64_t(scale.size()) == rank, node.label(), " blocked quantization needs a scale of rank ", rank,
                 ", got ", shape_str(scale));
    L.granularity = QuantGranularity::kBlocked;
    L.block_size = block_size;
    L.blocks = L.axis_len / block_size + (L.axis_len % block_size != 0);
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t want = d == L.axis ? L.blocks : x[size_t(d)];
      SHRINK_CHECK(scale[size_t(d)] == want, node.label(), " scale shape ", shape_str(scale), " does not fit input ",
                   shape_str(x), " with axis=", L.axis, " block_size=", block_size);
    }
    return L;
  }
  SHRINK_CHECK(scale.size() == 1 && scale[0] == L.axis_len, node.label(), " per-axis scale must have shape [",
               L.axis_len, "] (input ", shape_str(x), ", axis=", L.axis, "), got ", shape_str(scale));
  L.granularity = QuantGranularity::kPerAxis;
  return L;
}

Tensor subtract_zero_point(const Tensor& x, const Tensor& zp, const Shape& zp_shape) {
  Tensor out(DType::kInt32, x.shape());
  int32_t* po = out.data<int32_t>();
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>) {
      const T* px = x.data<T>();
      if (!zp.defined() || zp.numel() == 1) {
        const int32_t z = zp.defined() ? int32_t(zp.data<T>()[0]) : 0;
        parallel_for(x.numel(), 1 << 15, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) po[i] = int32_t(px[i]) - z;
        });
        return;
      }
      const T* pz = zp.data<T>();
      Shape shapes[2] = {x.shape(), zp_shape};
      for_each_broadcast_row(x.shape(), shapes, [&](int64_t o, const int64_t* off, int64_t len, const int64_t* step) {
        for (int64_t i = 0; i < len; ++i)
          po[o + i] = int32_t(px[off[0] + i * step[0]]) - int32_t(pz[off[1] + i * step[1]]);
      });
    } else {
      fail_internal("subtract_zero_point on ", dtype_name(x.dtype()));
    }
  });
  return out;
}

}  // namespace shrink::ops
