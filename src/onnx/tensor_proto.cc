// TensorProto decoding and encoding.
#include "onnx/tensor_proto.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <type_traits>
#include <utility>

#include "core/file_io.h"
#include "onnx/proto_parse.h"

namespace shrink::onnx_io {
namespace {

namespace fs = std::filesystem;

// Copies a repeated field into the tensor, converting element by element. Integers narrower than
// their field (int8 / uint8 / int16 / uint16 in int32_data, uint32 in uint64_data) must fit: a
// zero point of 300 stored for uint8 is refused, not wrapped to 44.
template <class T, class Field>
void fill_from_field(Tensor& t, const Field& field, const std::string& what) {
  SHRINK_CHECK(int64_t(field.size()) == t.numel(), what, " has ", field.size(), " values, its dims say ",
               t.numel());
  T* dst = static_cast<T*>(t.raw());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const auto v = field.Get(int(i));
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && std::is_integral_v<decltype(v)>)
      SHRINK_CHECK(std::in_range<T>(v), what, " value ", v, " (element ", i, ") is out of range for ",
                   dtype_name(t.dtype()));
    dst[i] = static_cast<T>(v);
  }
}

// Number of values in the typed field that holds `dtype` (ONNX stores small ints in int32_data,
// uint32/uint64 in uint64_data, 16-bit floats as bit patterns in int32_data).
int64_t typed_field_size(const onnx::TensorProto& p, DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return p.float_data_size();
    case DType::kFloat64: return p.double_data_size();
    case DType::kInt64: return p.int64_data_size();
    case DType::kUInt32:
    case DType::kUInt64: return p.uint64_data_size();
    default: return p.int32_data_size();
  }
}

std::string read_external(const onnx::TensorProto& p, const ExternalDataPolicy& policy, size_t need,
                          const std::string& what) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : p.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset" || kv.key() == "length") {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(kv.value().c_str(), &end, 10);
      SHRINK_CHECK(errno == 0 && end && *end == '\0' && v >= 0, what, " external data ", kv.key(),
                   " '", kv.value(), "' is not a non-negative integer");
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  SHRINK_CHECK(!location.empty(), what, " has external data without a location");
  SHRINK_CHECK(!policy.base_dir.empty(), what, " has external data, which is not allowed here");
  fs::path loc(location);
  SHRINK_CHECK(!loc.is_absolute(), what, " external data path '", location, "' is absolute");
  for (const auto& part : loc)
    SHRINK_CHECK(part != "..", what, " external data path '", location, "' leaves the model folder");
  std::error_code ec;
  fs::path base = fs::canonical(policy.base_dir, ec);
  SHRINK_CHECK(!ec, what, ": cannot resolve model folder '", policy.base_dir, "'");
  fs::path full = fs::canonical(base / loc, ec);
  SHRINK_CHECK(!ec, what, " external data file '", location, "' not found");
  auto rel = full.lexically_relative(base);
  SHRINK_CHECK(!rel.empty() && *rel.begin() != "..", what, " external data path '", location,
               "' leads outside the model folder");
  struct stat st {};
  SHRINK_CHECK(::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode), what, " external data '", location,
               "' is not a regular file");
  uint64_t size = uint64_t(st.st_size);
  SHRINK_CHECK(uint64_t(offset) <= size, what, " external data offset ", offset, " is past the end of '",
               location, "' (", size, " bytes)");
  if (length < 0) length = int64_t(size - uint64_t(offset));
  SHRINK_CHECK(uint64_t(offset) + uint64_t(length) <= size, what, " external data [", offset, ", +", length,
               ") runs past the end of '", location, "' (", size, " bytes)");
  SHRINK_CHECK(size_t(length) == need, what, " external data is ", length, " bytes, dims need ", need);
  std::string data(need, '\0');
  std::ifstream in(full, std::ios::binary);
  in.seekg(offset);
  in.read(data.data(), std::streamsize(need));
  SHRINK_CHECK(size_t(in.gcount()) == need, what, ": cannot read external data '", location, "'");
  return data;
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& p, const ExternalDataPolicy& policy, const std::string& what) {
  const DTypeTraits& tr = dtype_traits(p.data_type());
  SHRINK_CHECK(p.data_type() != 0, what, " has no data type");
  SHRINK_CHECK(tr.supported, what, " has unsupported element type ", tr.name);
  SHRINK_CHECK(p.dims_size() <= 64, what, " has rank ", p.dims_size(), " (too large)");
  Shape shape(p.dims().begin(), p.dims().end());
  int64_t n = checked_numel(shape, (what + " dims").c_str());
  SHRINK_CHECK(!p.has_segment(), what, " is segmented, which is not supported");
  const size_t need = size_t(n) * tr.size;
  SHRINK_CHECK(need <= kMaxTensorBytes, what, " is too large (", need, " bytes)");
  const bool external = p.data_location() == onnx::TensorProto::EXTERNAL;
  if (external || p.has_raw_data()) {
    std::string ext;
    const std::string& raw = external ? (ext = read_external(p, policy, need, what)) : p.raw_data();
    SHRINK_CHECK(raw.size() == need, what, " raw_data is ", raw.size(), " bytes, dims need ", need);
    Tensor t(tr.dtype, shape);
    if (need) std::memcpy(t.raw(), raw.data(), need);
    if (tr.dtype == DType::kBool)
      for (int64_t i = 0; i < n; ++i) static_cast<uint8_t*>(t.raw())[i] = static_cast<uint8_t*>(t.raw())[i] != 0;
    return t;
  }
  // Typed fields: check the value count against the dims before allocating anything.
  SHRINK_CHECK(typed_field_size(p, tr.dtype) == n, what, " has ", typed_field_size(p, tr.dtype),
               " values, its dims say ", n);
  Tensor t(tr.dtype, shape);
  switch (tr.dtype) {
    case DType::kFloat32: fill_from_field<float>(t, p.float_data(), what); break;
    case DType::kFloat64: fill_from_field<double>(t, p.double_data(), what); break;
    case DType::kInt64: fill_from_field<int64_t>(t, p.int64_data(), what); break;
    case DType::kUInt32: fill_from_field<uint32_t>(t, p.uint64_data(), what); break;
    case DType::kUInt64: fill_from_field<uint64_t>(t, p.uint64_data(), what); break;
    case DType::kInt32: fill_from_field<int32_t>(t, p.int32_data(), what); break;
    case DType::kInt16: fill_from_field<int16_t>(t, p.int32_data(), what); break;
    case DType::kInt8: fill_from_field<int8_t>(t, p.int32_data(), what); break;
    case DType::kUInt16: fill_from_field<uint16_t>(t, p.int32_data(), what); break;
    case DType::kUInt8: fill_from_field<uint8_t>(t, p.int32_data(), what); break;
    case DType::kBool: fill_from_field<bool>(t, p.int32_data(), what); break;
    case DType::kFloat16:
    case DType::kBFloat16: fill_from_field<uint16_t>(t, p.int32_data(), what); break;  // bit patterns
    default: fail_input(what, " has unsupported element type ", tr.name);
  }
  return t;
}

void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* p) {
  p->set_name(name);
  p->set_data_type(int(t.dtype()));
  for (int64_t d : t.shape()) p->add_dims(d);
  p->set_raw_data(t.raw(), t.nbytes());
}

Tensor read_tensor_pb(const std::string& path) {
  std::string bytes = read_file(path);
  onnx::TensorProto p;
  SHRINK_CHECK(parse_proto(bytes, &p), path, ": not a valid serialized TensorProto");
  return tensor_from_proto(p, {}, path);
}

void write_tensor_pb(const std::string& path, const Tensor& t, const std::string& name) {
  onnx::TensorProto p;
  tensor_to_proto(t, name, &p);
  write_file_atomic(path, p.SerializeAsString());
}

}  // namespace shrink::onnx_io
