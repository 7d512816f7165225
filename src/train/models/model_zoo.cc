// The architecture table, the checks every spec gets, sizing before allocation, and the common frame
// of every model (graph input, `logits` output, opset, metadata).
#include "train/models/model_zoo.h"

#include "core/error.h"
#include "ops/op.h"
#include "train/models/arch.h"

namespace shrink::train {
namespace {

const ArchDef* const kArchs[] = {&kMlp, &kCnnSmall, &kResNet, &kMobileNet, &kTransformer};

constexpr int64_t kMaxInputDim = 4096;
constexpr int64_t kMaxInputElements = int64_t(1) << 24;
constexpr int64_t kMaxClasses = 100000;
constexpr int64_t kMaxWidth = 8192;
constexpr int64_t kMaxDepth = 1000;
constexpr int64_t kMaxVocab = int64_t(1) << 20;

const ArchDef& find_arch(const std::string& name) {
  std::string known;
  for (const ArchDef* a : kArchs) {
    if (name == a->info.name) return *a;
    known += std::string(known.empty() ? "" : ", ") + a->info.name;
  }
  fail_input("unknown architecture '", name, "' (known: ", known, ")");
}

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

// Builds a resolved spec into a fresh graph; a counting build makes every node but no weight data.
ir::Graph build_graph(const ArchDef& arch, const ModelSpec& s, bool count_only, int64_t* parameters) {
  ir::Graph g;
  g.name = std::string("shrink_") + arch.info.name;
  g.opsets = {{"", kModelOpset}};
  g.meta.producer_name = "shrink";
  g.meta.props = {{"shrink.arch", arch.info.name},
                  {"shrink.input", dims_str(s.input)},
                  {"shrink.classes", std::to_string(s.classes)},
                  {"shrink.width", std::to_string(s.width)},
                  {"shrink.depth", std::to_string(s.depth)},
                  {"shrink.seed", std::to_string(s.seed)}};
  const bool tokens = arch.info.input_kind == InputKind::kTokens;
  if (tokens) {
    g.meta.props.push_back({"shrink.vocab", std::to_string(s.vocab)});
    g.meta.props.push_back({"shrink.heads", std::to_string(s.heads)});
    g.meta.props.push_back({"shrink.norm", s.post_norm ? "post" : "pre"});
  }
  std::vector<ir::Dim> dims{{-1, "N"}};
  for (int64_t d : s.input) dims.push_back({d, ""});
  g.inputs.push_back({"input", tokens ? DType::kInt64 : DType::kFloat32, dims, ""});
  LayerBuilder b(g, s.seed, count_only);
  const std::string logits = arch.build(b, s, "input");
  SHRINK_ASSERT(!g.nodes.empty() && g.nodes.back().outputs[0] == logits, "logits must come from the last node");
  g.nodes.back().outputs[0] = "logits";
  g.outputs.push_back({"logits", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {s.classes, ""}}, ""});
  if (parameters) *parameters = b.parameters();
  return g;
}

}  // namespace

const std::vector<ArchInfo>& architectures() {
  static const std::vector<ArchInfo> infos = [] {
    std::vector<ArchInfo> v;
    for (const ArchDef* a : kArchs) v.push_back(a->info);
    return v;
  }();
  return infos;
}

ModelSpec resolve_spec(const ModelSpec& spec) {
  const ArchDef& arch = find_arch(spec.arch);
  ModelSpec s = spec;
  const char* name = arch.info.name;
  if (s.input.empty()) s.input = arch.info.default_input;
  if (s.width == 0) s.width = arch.info.default_width;
  if (s.depth == 0) s.depth = arch.info.default_depth;
  if (arch.info.input_kind == InputKind::kTokens) {
    SHRINK_CHECK(s.input.size() == 1, name, ": input must be a sequence length L, got ", dims_str(s.input));
  } else if (&arch == &kMlp) {
    SHRINK_CHECK(s.input.size() >= 1 && s.input.size() <= 3, name, ": input must have 1 to 3 dims, got ", dims_str(s.input));
  } else {
    SHRINK_CHECK(s.input.size() == 3, name, ": input must be CxHxW, got ", dims_str(s.input));
  }
  int64_t elements = 1;
  for (int64_t d : s.input) {
    SHRINK_CHECK(d >= 1 && d <= kMaxInputDim, name, ": input dims must be in [1, ", kMaxInputDim, "], got ", dims_str(s.input));
    elements *= d;
  }
  SHRINK_CHECK(elements <= kMaxInputElements, name, ": input ", dims_str(s.input), " has more than ", kMaxInputElements,
               " elements");
  SHRINK_CHECK(s.classes >= 2 && s.classes <= kMaxClasses, name, ": classes must be in [2, ", kMaxClasses, "], got ", s.classes);
  SHRINK_CHECK(s.width >= 1 && s.width <= kMaxWidth, name, ": width must be in [1, ", kMaxWidth, "], got ", s.width);
  SHRINK_CHECK(s.depth >= 1 && s.depth <= kMaxDepth, name, ": depth must be in [1, ", kMaxDepth, "], got ", s.depth);
  SHRINK_CHECK(s.vocab >= 2 && s.vocab <= kMaxVocab, name, ": vocab must be in [2, ", kMaxVocab, "], got ", s.vocab);
  SHRINK_CHECK(s.heads >= 0, name, ": heads must be >= 0, got ", s.heads);
  arch.resolve(s);
  int64_t parameters = 0;
  build_graph(arch, s, /*count_only=*/true, &parameters);
  SHRINK_CHECK(parameters <= kMaxModelParameters, name, ": the model would have ", parameters,
               " parameters, more than the limit of ", kMaxModelParameters, " (use a smaller --width or --depth)");
  return s;
}

int64_t count_parameters(const ModelSpec& spec) {
  const ModelSpec s = resolve_spec(spec);
  int64_t parameters = 0;
  build_graph(find_arch(s.arch), s, /*count_only=*/true, &parameters);
  return parameters;
}

ir::Graph build_model(const ModelSpec& spec) {
  const ModelSpec s = resolve_spec(spec);
  ir::Graph g = build_graph(find_arch(s.arch), s, /*count_only=*/false, nullptr);
  ops::bind_all(g);
  ir::verify(g);
  return g;
}

}  // namespace shrink::train
