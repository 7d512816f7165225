// .npy / .pb tensor files for `shrink run`.
#include "cli/tensor_files.h"

#include "core/file_io.h"
#include "core/npy.h"
#include "onnx/tensor_proto.h"

namespace shrink::cli {

static bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Tensor read_tensor_file(const std::string& path) {
  if (ends_with(path, ".npy")) return read_npy(path);
  if (ends_with(path, ".pb")) return onnx_io::read_tensor_pb(path);
  fail_input("'", path, "': input files must be .npy or .pb (serialized TensorProto)");
}

std::string sanitize_file_name(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      c = '_';
  if (s.empty() || s == "." || s == "..") s = "_" + s;
  return s;
}

void write_tensor_file(const std::string& dir, const std::string& value_name, const Tensor& t,
                       const std::string& format) {
  std::string path = dir + "/" + sanitize_file_name(value_name) + "." + format;
  if (format == "npy") write_npy(path, t);
  else onnx_io::write_tensor_pb(path, t, value_name);
}

}  // namespace shrink::cli
