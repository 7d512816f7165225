// .npy reading and writing. The header is a Python dict literal; we parse exactly the three keys
// numpy writes and refuse anything else with a message naming the file.
#include "core/npy.h"

#include <cstring>

#include "core/file_io.h"

namespace shrink {
namespace {

struct NpyType {
  std::string_view descr;
  DType dtype;
};
constexpr NpyType kNpyTypes[] = {
    {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<f2", DType::kFloat16},
    {"|i1", DType::kInt8},    {"<i2", DType::kInt16},   {"<i4", DType::kInt32},
    {"<i8", DType::kInt64},   {"|u1", DType::kUInt8},   {"<u2", DType::kUInt16},
    {"<u4", DType::kUInt32},  {"<u8", DType::kUInt64},  {"|b1", DType::kBool},
    {"<V2", DType::kBFloat16},  // no numpy bfloat16: written as raw 2-byte void
};

std::string_view descr_of(DType t) {
  for (const auto& n : kNpyTypes)
    if (n.dtype == t) return n.descr;
  fail_input("cannot write ", dtype_name(t), " as .npy");
}

// Returns the text after `key`'s colon in the header dict, or fails.
std::string_view field(std::string_view header, std::string_view key, const std::string& what) {
  size_t k = header.find(key);
  SHRINK_CHECK(k != std::string_view::npos, what, ": .npy header has no ", key);
  size_t c = header.find(':', k + key.size());
  SHRINK_CHECK(c != std::string_view::npos, what, ": bad .npy header");
  size_t s = header.find_first_not_of(' ', c + 1);
  SHRINK_CHECK(s != std::string_view::npos, what, ": bad .npy header");
  return header.substr(s);
}

Shape parse_shape(std::string_view v, const std::string& what) {
  SHRINK_CHECK(!v.empty() && v[0] == '(', what, ": bad .npy shape");
  size_t end = v.find(')');
  SHRINK_CHECK(end != std::string_view::npos, what, ": bad .npy shape");
  Shape shape;
  std::string_view body = v.substr(1, end - 1);
  size_t i = 0;
  while (i < body.size()) {
    while (i < body.size() && (body[i] == ' ' || body[i] == ',')) ++i;
    if (i >= body.size()) break;
    SHRINK_CHECK(body[i] >= '0' && body[i] <= '9', what, ": bad .npy shape");
    int64_t d = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') {
      SHRINK_CHECK(d < (int64_t(1) << 50), what, ": .npy dim too large");
      d = d * 10 + (body[i++] - '0');
    }
    shape.push_back(d);
    SHRINK_CHECK(shape.size() <= 32, what, ": .npy rank too large");
  }
  return shape;
}

}  // namespace

Tensor parse_npy(std::string_view b, const std::string& what) {
  SHRINK_CHECK(b.size() >= 10 && std::memcmp(b.data(), "\x93NUMPY", 6) == 0, what,
               ": not a .npy file (bad magic)");
  int major = uint8_t(b[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = uint8_t(b[8]) | (size_t(uint8_t(b[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    SHRINK_CHECK(b.size() >= 12, what, ": truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= size_t(uint8_t(b[8 + i])) << (8 * i);
    offset = 12;
  } else {
    fail_input(what, ": unsupported .npy version ", major);
  }
  SHRINK_CHECK(header_len <= b.size() - offset, what, ": truncated .npy header");
  std::string_view header = b.substr(offset, header_len);
  std::string_view descr = field(header, "'descr'", what);
  SHRINK_CHECK(descr.size() >= 2 && descr[0] == '\'', what, ": bad .npy descr");
  descr = descr.substr(1, descr.find('\'', 1) == std::string_view::npos ? 0 : descr.find('\'', 1) - 1);
  DType dtype = DType::kUndefined;
  for (const auto& n : kNpyTypes)
    if (n.descr == descr || (descr.size() == 3 && n.descr[1] == descr[1] && n.descr[2] == descr[2] &&
                             (descr[0] == '=' || descr[0] == '|' || descr[0] == '<') &&
                             n.dtype != DType::kBFloat16))
      dtype = n.dtype;
  SHRINK_CHECK(dtype != DType::kUndefined, what, ": unsupported .npy dtype '", descr, "'");
  std::string_view fortran = field(header, "'fortran_order'", what);
  SHRINK_CHECK(fortran.substr(0, 5) == "False", what, ": Fortran-order .npy is not supported");
  Shape shape = parse_shape(field(header, "'shape'", what), what);
  int64_t n = checked_numel(shape, ".npy shape");
  size_t need = size_t(n) * dtype_size(dtype);
  size_t have = b.size() - offset - header_len;
  SHRINK_CHECK(have == need, what, ": .npy data is ", have, " bytes, header says ", need);
  Tensor t(dtype, shape);
  if (need) std::memcpy(t.raw(), b.data() + offset + header_len, need);
  if (dtype == DType::kBool)
    for (int64_t i = 0; i < n; ++i)
      SHRINK_CHECK(static_cast<uint8_t*>(t.raw())[i] <= 1, what, ": bool .npy holds a value other than 0/1");
  return t;
}

std::string serialize_npy(const Tensor& t) {
  std::string header = "{'descr': '" + std::string(descr_of(t.dtype())) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < t.shape().size(); ++i) header += std::to_string(t.shape()[i]) + ", ";
  if (t.shape().size() > 1) header.resize(header.size() - 2);
  else if (t.shape().size() == 1) header.resize(header.size() - 1);
  header += "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

Tensor read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

void write_npy(const std::string& path, const Tensor& t) { write_file_atomic(path, serialize_npy(t)); }

}  // namespace shrink
