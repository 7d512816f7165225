// Bounded protobuf parsing: a recursion limit (nested graphs) and a size limit, so malformed
// input fails cleanly instead of exhausting the stack or memory.
#pragma once
#include <string_view>

#include <google/protobuf/message_lite.h>

namespace shrink::onnx_io {

inline constexpr int kProtoRecursionLimit = 64;

// True when `bytes` parse completely as `msg`.
bool parse_proto(std::string_view bytes, google::protobuf::MessageLite* msg);

}  // namespace shrink::onnx_io
