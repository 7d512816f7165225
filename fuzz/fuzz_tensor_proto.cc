// libFuzzer target: serialized TensorProto bytes -> Tensor (typed fields, raw data; external data
// is refused without a model folder).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "onnx/proto_parse.h"
#include "onnx/tensor_proto.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    onnx::TensorProto p;
    if (shrink::onnx_io::parse_proto(std::string_view(reinterpret_cast<const char*>(data), size), &p))
      (void)shrink::onnx_io::tensor_from_proto(p, {}, "fuzz");
  } catch (const shrink::Error&) {
  }
  return 0;
}
