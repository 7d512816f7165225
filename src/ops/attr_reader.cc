// Typed attribute access with defaults and precise errors.
#include "ops/attr_reader.h"

namespace shrink::ops {
namespace {
const char* kKindNames[] = {"int", "float", "string", "ints", "floats", "strings", "tensor"};
}

const ir::Attribute* AttrReader::find(const std::string& name, size_t kind) {
  seen_.insert(name);
  auto it = node_.attrs.find(name);
  if (it == node_.attrs.end()) return nullptr;
  SHRINK_CHECK(it->second.index() == kind, node_.label(), " attribute '", name, "' must be ",
               kKindNames[kind], ", got ", kKindNames[it->second.index()]);
  return &it->second;
}

int64_t AttrReader::get_int(const std::string& name, int64_t def) {
  const auto* a = find(name, 0);
  return a ? std::get<int64_t>(*a) : def;
}

int64_t AttrReader::require_int(const std::string& name) {
  const auto* a = find(name, 0);
  SHRINK_CHECK(a, node_.label(), " requires attribute '", name, "'");
  return std::get<int64_t>(*a);
}

float AttrReader::get_float(const std::string& name, float def) {
  const auto* a = find(name, 1);
  return a ? std::get<float>(*a) : def;
}

std::string AttrReader::get_string(const std::string& name, const std::string& def) {
  const auto* a = find(name, 2);
  return a ? std::get<std::string>(*a) : def;
}

std::vector<int64_t> AttrReader::get_ints(const std::string& name, std::vector<int64_t> def) {
  const auto* a = find(name, 3);
  return a ? std::get<std::vector<int64_t>>(*a) : def;
}

std::vector<float> AttrReader::get_floats(const std::string& name, std::vector<float> def) {
  const auto* a = find(name, 4);
  return a ? std::get<std::vector<float>>(*a) : def;
}

std::optional<Tensor> AttrReader::get_tensor(const std::string& name) {
  const auto* a = find(name, 6);
  if (!a) return std::nullopt;
  return std::get<Tensor>(*a);
}

void AttrReader::done() const {
  for (const auto& [name, value] : node_.attrs)
    SHRINK_CHECK(seen_.count(name), node_.label(), " has unknown attribute '", name, "'");
}

}  // namespace shrink::ops
