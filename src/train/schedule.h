// Learning-rate schedules as a pure function of the step: constant, step decay, cosine
// annealing, each with optional linear warmup (from 0 to the base rate over `warmup_steps`).
#pragma once
#include <cstdint>
#include <string>

namespace shrink::train {

enum class ScheduleKind { kConstant, kStep, kCosine };

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::kConstant;
  double base_lr = 0.01;
  int64_t warmup_steps = 0;
  int64_t step_size = 0;     // kStep: decay every step_size steps
  double gamma = 0.1;        // kStep: decay factor
  int64_t total_steps = 0;   // kCosine: steps to anneal over
  double min_lr = 0.0;       // kCosine: floor
};

ScheduleKind parse_schedule(const std::string& name);  // "constant" | "step" | "cosine"
// Learning rate for 0-based step `step`.
double learning_rate(const ScheduleConfig& s, int64_t step);

}  // namespace shrink::train
