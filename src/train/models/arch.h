// The row each architecture file defines (kMlp in mlp.cc, ...): its public description, the checks
// it adds to the common ones, and the builder that turns the graph input into logits.
#pragma once
#include <string>

#include "train/models/layers.h"
#include "train/models/model_zoo.h"

namespace shrink::train {

struct ArchDef {
  ArchInfo info;
  // Arch-specific checks on a spec whose common defaults are filled, and any derived defaults
  // (e.g. transformer heads); fails (bad input).
  void (*resolve)(ModelSpec& spec);
  // Adds the layers from value `input` on; returns the [N, classes] logits value.
  std::string (*build)(LayerBuilder& b, const ModelSpec& spec, const std::string& input);
};

extern const ArchDef kMlp, kCnnSmall, kResNet, kMobileNet, kTransformer;

}  // namespace shrink::train
