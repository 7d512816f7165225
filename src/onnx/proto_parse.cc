// Protobuf parsing with explicit limits.
#include "onnx/proto_parse.h"

#include <climits>

#include <google/protobuf/io/coded_stream.h>

namespace shrink::onnx_io {

bool parse_proto(std::string_view bytes, google::protobuf::MessageLite* msg) {
  if (bytes.size() > size_t(INT_MAX)) return false;  // protobuf cannot address more; weights go external
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()), int(bytes.size()));
  in.SetTotalBytesLimit(INT_MAX);
  in.SetRecursionLimit(kProtoRecursionLimit);
  return msg->ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

}  // namespace shrink::onnx_io
