// Dropout: a copy in inference mode (mask all true). In training mode (opset 12+, input 2 true)
// with ratio > 0, elements are kept with probability 1-ratio and scaled by 1/(1-ratio); the mask
// comes from core/rng.h seeded by the `seed` attribute, so runs are reproducible.
#include <cstring>

#include "core/rng.h"
#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

constexpr uint64_t kDefaultSeed = 0x5eed;

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<DropoutAttrs>();
  if (opset >= 12) {
    a->ratio_input = true;
    if (r.has("seed")) a->seed = r.get_int("seed", 0);
  } else {
    a->ratio = r.get_float("ratio", 0.5f);
    SHRINK_CHECK(!node.has_input(1), node.label(), " takes ratio as an attribute before opset 12");
  }
  r.done();
  SHRINK_CHECK(a->ratio >= 0.f && a->ratio <= 1.f, node.label(), " ratio ", a->ratio, " is outside [0, 1]");
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  if (has_input(in, 1)) {
    require_float(node, in[1], 1);
    SHRINK_CHECK(numel(in[1].shape) == 1, node.label(), " ratio must be a scalar, got ", shape_str(in[1].shape));
  }
  if (has_input(in, 2))
    SHRINK_CHECK(in[2].dtype == DType::kBool && numel(in[2].shape) == 1, node.label(),
                 " training_mode must be a bool scalar");
  out[0] = {in[0].dtype, in[0].shape};
  if (out.size() > 1) out[1] = {DType::kBool, in[0].shape};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<DropoutAttrs>();
  float ratio = a.ratio;
  if (has_input(in, 1)) ratio = float(in[1].as_double(0));
  const bool training = has_input(in, 2) && in[2].as_int64(0) != 0;
  bool* mask = out.size() > 1 && out[1].defined() ? out[1].data<bool>() : nullptr;
  if (!training || ratio == 0.f) {
    copy_bytes(in[0], out[0]);
    if (mask) std::memset(mask, 1, size_t(out[1].numel()));
    return;
  }
  SHRINK_CHECK(ratio > 0.f && ratio <= 1.f, node.label(), " ratio ", ratio, " is outside [0, 1]");
  // The mask is drawn sequentially so that it does not depend on the thread count.
  Rng rng(a.seed ? uint64_t(*a.seed) : kDefaultSeed);
  const int64_t n = in[0].numel();
  std::vector<bool> keep(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) keep[size_t(i)] = rng.uniform() >= double(ratio);
  visit_dtype(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      using C = compute_t<T>;
      const C scale = ratio < 1.f ? C(1) / (C(1) - C(ratio)) : C(0);
      const T* x = in[0].data<T>();
      T* y = out[0].data<T>();
      for (int64_t i = 0; i < n; ++i) y[i] = keep[size_t(i)] ? T(C(x[i]) * scale) : T(C(0));
    }
  });
  if (mask)
    for (int64_t i = 0; i < n; ++i) mask[i] = keep[size_t(i)];
}

}  // namespace

extern const OpSchema kDropout{.op_type = "Dropout", .max_inputs = 3, .max_outputs = 2, .since_opset = 10,
                               .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
