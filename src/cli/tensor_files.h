// Reading and writing tensors for the CLI: .npy or serialized ONNX TensorProto (.pb), chosen by
// file extension; output file names derived from value names.
#pragma once
#include <string>

#include "core/tensor.h"

namespace shrink::cli {

Tensor read_tensor_file(const std::string& path);
void write_tensor_file(const std::string& dir, const std::string& value_name, const Tensor& t,
                       const std::string& format);
// Characters outside [A-Za-z0-9._-] become '_'.
std::string sanitize_file_name(const std::string& name);

}  // namespace shrink::cli
