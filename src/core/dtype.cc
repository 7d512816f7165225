// The dtype table: one row per ONNX data type code.
#include "core/dtype.h"

#include <array>

namespace shrink {
namespace {

constexpr std::array<DTypeTraits, 27> kTable = {{
    {DType::kUndefined, "undefined", 0, false, false, false},
    {DType::kFloat32, "float32", 4, true, true, true},
    {DType::kUInt8, "uint8", 1, false, false, true},
    {DType::kInt8, "int8", 1, false, true, true},
    {DType::kUInt16, "uint16", 2, false, false, true},
    {DType::kInt16, "int16", 2, false, true, true},
    {DType::kInt32, "int32", 4, false, true, true},
    {DType::kInt64, "int64", 8, false, true, true},
    {DType::kString, "string", 0, false, false, false},
    {DType::kBool, "bool", 1, false, false, true},
    {DType::kFloat16, "float16", 2, true, true, true},
    {DType::kFloat64, "float64", 8, true, true, true},
    {DType::kUInt32, "uint32", 4, false, false, true},
    {DType::kUInt64, "uint64", 8, false, false, true},
    {DType(14), "complex64", 0, false, false, false},
    {DType(15), "complex128", 0, false, false, false},
    {DType::kBFloat16, "bfloat16", 2, true, true, true},
    {DType(17), "float8e4m3fn", 0, false, false, false},
    {DType(18), "float8e4m3fnuz", 0, false, false, false},
    {DType(19), "float8e5m2", 0, false, false, false},
    {DType(20), "float8e5m2fnuz", 0, false, false, false},
    {DType(21), "uint4", 0, false, false, false},
    {DType(22), "int4", 0, false, false, false},
    {DType(23), "float4e2m1", 0, false, false, false},
    {DType(24), "float8e8m0", 0, false, false, false},
    {DType(25), "uint2", 0, false, false, false},
    {DType(26), "int2", 0, false, false, false},
}};

constexpr bool table_is_indexed_by_code() {
  for (size_t i = 0; i < kTable.size(); ++i)
    if (size_t(kTable[i].dtype) != i) return false;
  return true;
}
static_assert(table_is_indexed_by_code(), "kTable row i must describe ONNX type code i");

const DTypeTraits kUnknown{DType::kUndefined, "unknown", 0, false, false, false};

}  // namespace

const DTypeTraits& dtype_traits(int onnx_code) {
  if (onnx_code < 0 || size_t(onnx_code) >= kTable.size()) return kUnknown;
  return kTable[size_t(onnx_code)];
}

std::string_view onnx_type_name(int onnx_code) { return dtype_traits(onnx_code).name; }

}  // namespace shrink
