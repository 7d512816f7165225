// TrainDropout(X, step) -> (Y, Mask) and DropoutGrad(dY, Mask) -> dX. Element i is kept iff
// dropout_uniform(dropout_key(seed, step), i) >= ratio (grad_attrs.h: a counter-based SplitMix64
// hash), so the mask is a pure function of (seed, step, i) and does not depend on the thread
// count. Y = X * mask / (1 - ratio), dX = dY * mask / (1 - ratio); ratio 0 keeps everything and
// ratio 1 drops everything (Y and dX are zeros).
#include "ops/grad/grad_util.h"

namespace shrink::ops {
namespace {

constexpr int64_t kGrain = 1 << 14;

// Reads `ratio` (the last attribute) and finishes the reader.
void read_ratio(const ir::Node& node, AttrReader& r, TrainDropoutAttrs& a) {
  a.ratio = r.get_float("ratio", 0.5f);
  r.done();
  SHRINK_CHECK(a.ratio >= 0.f && a.ratio <= 1.f, node.label(), " ratio ", a.ratio, " is outside [0, 1]");
}

std::shared_ptr<const ir::OpAttrs> parse_dropout(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<TrainDropoutAttrs>();
  a->seed = r.get_int("seed", 0);
  read_ratio(node, r, *a);
  return a;
}

std::shared_ptr<const ir::OpAttrs> parse_grad(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<TrainDropoutAttrs>();
  read_ratio(node, r, *a);
  return a;
}

double keep_scale(float ratio) { return ratio < 1.f ? 1.0 / (1.0 - double(ratio)) : 0.0; }

bool infer_dropout(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_grad_type(node, in, 0);
  require_int_tensor(node, in[1], 1, "step");
  SHRINK_CHECK(numel(in[1].shape) == 1 && in[1].shape.size() <= 1, node.label(), " step must be a scalar, got ",
               shape_str(in[1].shape));
  out[0] = {in[0].dtype, in[0].shape};
  if (out.size() > 1) out[1] = {DType::kBool, in[0].shape};
  return true;
}

void compute_dropout(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<TrainDropoutAttrs>();
  const uint64_t key = dropout_key(a.seed, in[1].as_int64(0));
  const double ratio = a.ratio, scale = keep_scale(a.ratio);
  bool* mask = out.size() > 1 && out[1].defined() ? out[1].data<bool>() : nullptr;
  visit_grad_float(node, in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].data<T>();
    T* y = out[0].data<T>();
    parallel_for(in[0].numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const bool keep = ratio == 0.0 || dropout_uniform(key, i) >= ratio;
        y[i] = keep ? T(double(x[i]) * scale) : T(0);
        if (mask) mask[i] = keep;
      }
    });
  });
}

bool infer_grad(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_grad_type(node, in, 0);
  SHRINK_CHECK(in[1].dtype == DType::kBool, node.label(), " mask must be bool, got ", dtype_name(in[1].dtype));
  require_same_shape(node, in, 0, 1);
  out[0] = {in[0].dtype, in[0].shape};
  return true;
}

void compute_grad(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const double scale = keep_scale(node.attrs_as<TrainDropoutAttrs>().ratio);
  const bool* mask = in[1].data<bool>();
  visit_grad_float(node, in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* dy = in[0].data<T>();
    T* dx = out[0].data<T>();
    parallel_for(in[0].numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) dx[i] = mask[i] ? T(double(dy[i]) * scale) : T(0);
    });
  });
}

}  // namespace

extern const OpSchema kTrainDropout{.op_type = "TrainDropout", .domain = kGradDomain, .min_inputs = 2,
                                    .max_inputs = 2, .max_outputs = 2, .parse = parse_dropout,
                                    .infer = infer_dropout, .compute = compute_dropout};
extern const OpSchema kDropoutGrad{.op_type = "DropoutGrad", .domain = kGradDomain, .min_inputs = 2,
                                   .max_inputs = 2, .parse = parse_grad, .infer = infer_grad,
                                   .compute = compute_grad};

}  // namespace shrink::ops
