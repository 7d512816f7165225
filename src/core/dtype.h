// Element types: one enum whose values are ONNX TensorProto.DataType codes, one table of traits
// (name, size, kind), and dispatch from a runtime DType to a C++ type for kernels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/half.h"

namespace shrink {

enum class DType : uint8_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,  // recognized only to be refused with a clear message
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

struct DTypeTraits {
  DType dtype;
  std::string_view name;  // numpy-style name: float32, int64, ...
  size_t size;            // bytes per element; 0 when unsupported
  bool is_float;
  bool is_signed;
  bool supported;         // tensors of this type can be held and computed on
};

// Traits of an ONNX data type code; unknown codes get a row with supported=false.
const DTypeTraits& dtype_traits(int onnx_code);
inline const DTypeTraits& traits(DType t) { return dtype_traits(int(t)); }
inline std::string_view dtype_name(DType t) { return traits(t).name; }
inline size_t dtype_size(DType t) { return traits(t).size; }
inline bool is_float(DType t) { return traits(t).is_float; }
inline bool is_integer(DType t) { return !traits(t).is_float && t != DType::kBool; }
// Name of any ONNX type code, including the ones shrink does not support (float8e4m3fn, ...).
std::string_view onnx_type_name(int onnx_code);

template <class T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<Half> { static constexpr DType value = DType::kFloat16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::kBFloat16; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kUInt16; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kUInt32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kUInt64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };
template <class T> inline constexpr DType dtype_of = DTypeOf<T>::value;

// Calls f(T{}) with the C++ type of `t`. `what` names the caller for the error message.
template <class F>
decltype(auto) visit_dtype(DType t, F&& f, std::string_view what = "tensor") {
  switch (t) {
    case DType::kFloat32: return f(float{});
    case DType::kFloat64: return f(double{});
    case DType::kFloat16: return f(Half{});
    case DType::kBFloat16: return f(BFloat16{});
    case DType::kInt8: return f(int8_t{});
    case DType::kInt16: return f(int16_t{});
    case DType::kInt32: return f(int32_t{});
    case DType::kInt64: return f(int64_t{});
    case DType::kUInt8: return f(uint8_t{});
    case DType::kUInt16: return f(uint16_t{});
    case DType::kUInt32: return f(uint32_t{});
    case DType::kUInt64: return f(uint64_t{});
    case DType::kBool: return f(bool{});
    default: fail_input(what, ": unsupported element type ", onnx_type_name(int(t)));
  }
}

// Like visit_dtype, restricted to the numeric types an arithmetic op accepts (no bool).
template <class F>
decltype(auto) visit_numeric(DType t, F&& f, std::string_view what = "tensor") {
  if (t == DType::kBool) fail_input(what, ": bool is not a numeric type here");
  return visit_dtype(t, std::forward<F>(f), what);
}

// Compute type for arithmetic on T: float for 16-bit floats, T otherwise.
template <class T> struct ComputeType { using type = T; };
template <> struct ComputeType<Half> { using type = float; };
template <> struct ComputeType<BFloat16> { using type = float; };
template <class T> using compute_t = typename ComputeType<T>::type;

}  // namespace shrink
