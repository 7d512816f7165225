// NumPy .npy files (format 1.0-3.0, little-endian, C order) <-> Tensor.
#pragma once
#include <string>
#include <string_view>

#include "core/tensor.h"

namespace shrink {

// Parses .npy bytes; `what` names the source in errors. Fails (bad input) on a bad magic,
// header, dtype, Fortran order, or data size that does not match the header.
Tensor parse_npy(std::string_view bytes, const std::string& what);
std::string serialize_npy(const Tensor& t);
Tensor read_npy(const std::string& path);
void write_npy(const std::string& path, const Tensor& t);

}  // namespace shrink
