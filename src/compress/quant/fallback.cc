// Fallback loop: one evaluation per step; the quantizer re-emits the QDQ model from its calibrated
// ranges, so no step recalibrates.
#include "compress/quant/fallback.h"

#include "core/error.h"

namespace shrink::compress {

FallbackResult fall_back_until_accurate(const StaticQuantizer& sq, const std::vector<std::string>& order,
                                        const train::Dataset& eval, const train::EvalOptions& options,
                                        double float_top1, double max_drop_points,
                                        const std::function<void(const FallbackStep&)>& on_step) {
  SHRINK_CHECK(max_drop_points >= 0 && max_drop_points <= 100, "the accuracy drop budget must be in 0..100 points, got ",
               max_drop_points);
  FallbackResult r;
  r.float_top1 = float_top1;
  std::set<std::string> keep_float;
  // A small slack keeps 1 - 0.99 = 0.010000000000000009 from missing a budget of exactly 1 point.
  auto within = [&](double top1) { return (float_top1 - top1) * 100 <= max_drop_points + 1e-9; };
  size_t next = 0;
  std::string node;
  while (true) {
    r.model = sq.quantize(keep_float, &r.report);
    r.top1 = train::evaluate(r.model, eval, options).top1;
    r.steps.push_back({node, r.top1});
    if (on_step) on_step(r.steps.back());
    if (within(r.top1) || next == order.size()) break;
    node = order[next++];
    keep_float.insert(node);
    r.float_nodes.push_back(node);
  }
  r.met = within(r.top1);
  r.all_float = keep_float.size() == sq.candidates().size();
  return r;
}

}  // namespace shrink::compress
