// print_profile: time by op type and kernel, largest first.
#include "cli/profile_report.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace shrink::cli {

void print_profile(const runtime::Session& s, int runs) {
  std::map<std::pair<std::string, std::string>, std::pair<double, int>> by_op;
  double total = 0;
  for (const auto& p : s.profile()) {
    auto& e = by_op[{p.op_type, p.kernel}];
    e.first += p.total_ms / std::max<int64_t>(p.runs, 1);
    e.second += 1;
    total += p.total_ms / std::max<int64_t>(p.runs, 1);
  }
  std::vector<std::pair<double, std::string>> rows;
  for (const auto& [k, v] : by_op) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %-22s %-16s %5d nodes %10.3f ms/run %6.1f%%", k.first.c_str(), k.second.c_str(),
                  v.second, v.first, 100.0 * v.first / std::max(total, 1e-12));
    rows.emplace_back(v.first, buf);
  }
  std::sort(rows.rbegin(), rows.rend());
  if (std::getenv("SHRINK_PROFILE_NODES"))
    for (const auto& p : s.profile())
      std::printf("  node %-40s %-18s %-16s %8.3f ms\n", p.node.c_str(), p.op_type.c_str(), p.kernel.c_str(),
                  p.total_ms / std::max<int64_t>(p.runs, 1));
  std::printf("profile (%d runs, %.3f ms/run in kernels):\n", runs, total);
  for (const auto& r : rows) std::printf("%s\n", r.second.c_str());
}

}  // namespace shrink::cli
