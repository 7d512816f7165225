// Node attributes as typed values (the ONNX attribute kinds shrink supports). Ops turn these into
// their own typed attribute structs at import (ops/op.h); export writes them back unchanged.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace shrink::ir {

using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
                               std::vector<std::string>, Tensor>;
// Ordered by name so that printing and export are deterministic.
using AttributeMap = std::map<std::string, Attribute>;

// Base of each op's typed attribute struct (ConvAttrs, GemmAttrs, ...).
struct OpAttrs {
  virtual ~OpAttrs() = default;
};

const char* attribute_kind_name(const Attribute& a);

}  // namespace shrink::ir
