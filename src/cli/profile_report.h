// Per-op-type (and, with SHRINK_PROFILE_NODES set, per-node) timings of a profiled Session, for
// `shrink bench --profile` and `shrink train --profile`.
#pragma once
#include "runtime/session.h"

namespace shrink::cli {

void print_profile(const runtime::Session& s, int runs);

}  // namespace shrink::cli
