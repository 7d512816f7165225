// onnx.TensorProto <-> Tensor, in every encoding ONNX allows: typed fields, raw_data (little-
// endian) and external data files. External data is read only from inside `base_dir`: absolute
// paths, '..' and symlinks that lead outside are refused.
#pragma once
#include <string>

#include "core/tensor.h"
#include "onnx/onnx_pb.h"

namespace shrink::onnx_io {

struct ExternalDataPolicy {
  std::string base_dir;  // folder of the model file; empty: external data is refused
};

// Decodes; `what` names the tensor in errors ("initializer 'w'").
Tensor tensor_from_proto(const onnx::TensorProto& p, const ExternalDataPolicy& policy, const std::string& what);
// Encodes as raw_data (or typed fields for nothing: raw is what exporters write today).
void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* p);
// Parses a serialized TensorProto file (.pb), as the ONNX test data store them.
Tensor read_tensor_pb(const std::string& path);
void write_tensor_pb(const std::string& path, const Tensor& t, const std::string& name);

}  // namespace shrink::onnx_io
