// learning_rate: warmup, then the schedule's decay (as torch.optim.lr_scheduler StepLR /
// CosineAnnealingLR evaluated per step).
#include "train/schedule.h"

#include <cmath>
#include <numbers>

#include "core/error.h"

namespace shrink::train {

ScheduleKind parse_schedule(const std::string& name) {
  if (name == "constant" || name == "none") return ScheduleKind::kConstant;
  if (name == "step") return ScheduleKind::kStep;
  if (name == "cosine") return ScheduleKind::kCosine;
  fail_input("unknown learning-rate schedule '", name, "' (expected constant, step or cosine)");
}

double learning_rate(const ScheduleConfig& s, int64_t step) {
  if (step < s.warmup_steps) return s.base_lr * double(step + 1) / double(s.warmup_steps);
  const int64_t t = step - s.warmup_steps;
  switch (s.kind) {
    case ScheduleKind::kConstant: return s.base_lr;
    case ScheduleKind::kStep:
      return s.step_size > 0 ? s.base_lr * std::pow(s.gamma, double(t / s.step_size)) : s.base_lr;
    case ScheduleKind::kCosine: {
      const int64_t span = std::max<int64_t>(1, s.total_steps - s.warmup_steps);
      const double progress = std::min(1.0, double(t) / double(span));
      return s.min_lr + (s.base_lr - s.min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    }
  }
  return s.base_lr;
}

}  // namespace shrink::train
