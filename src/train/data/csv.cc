// CSV datasets: one sample per row, numeric cells, comma-separated (no quoting). A first row with
// any non-numeric cell is a header. The label column is the one named `label` or `y` in the
// header, else the last column; LoadOptions::label_column names another or "none" (unlabelled).
#include <charconv>
#include <cmath>
#include <vector>

#include "train/data/readers.h"

namespace shrink::train {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> cells;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i)
    if (i == line.size() || line[i] == ',') {
      cells.push_back(trim(line.substr(start, i - start)));
      start = i + 1;
    }
  return cells;
}

// Whether the cell is a number at all (nan and inf count: they are bad cells, not header names).
bool parse_any_number(std::string_view s, double& v) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && (ec == std::errc() || ec == std::errc::result_out_of_range) && p == s.data() + s.size();
}

bool parse_number(std::string_view s, double& v) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
}

}  // namespace

Dataset parse_csv(std::string_view text, const std::string& what, const LoadOptions& o) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i)
    if (i == text.size() || text[i] == '\n') {
      std::string_view l = trim(text.substr(start, i - start));
      if (!l.empty()) lines.push_back(l);
      start = i + 1;
    }
  SHRINK_CHECK(!lines.empty(), what, ": empty CSV");
  std::vector<std::string_view> first = split(lines[0]);
  bool header = false;
  double v;
  for (auto c : first) header = header || !parse_any_number(c, v);
  size_t cols = first.size();
  int64_t label = -1;
  if (o.label_column == "none") {
    label = -1;
  } else if (!o.label_column.empty()) {
    SHRINK_CHECK(header, what, ": label column '", o.label_column, "' given but the CSV has no header row");
    for (size_t c = 0; c < cols; ++c)
      if (first[c] == o.label_column) label = int64_t(c);
    SHRINK_CHECK(label >= 0, what, ": no column named '", o.label_column, "' in the header");
  } else {
    if (header)
      for (size_t c = 0; c < cols; ++c)
        if (first[c] == "label" || first[c] == "y") label = int64_t(c);
    if (label < 0) label = int64_t(cols) - 1;
  }
  size_t features = cols - (label >= 0 ? 1 : 0);
  SHRINK_CHECK(features > 0, what, ": CSV has no feature columns");
  int64_t n = int64_t(lines.size()) - (header ? 1 : 0);
  SHRINK_CHECK(n > 0, what, ": CSV has a header but no rows");
  Shape sample = o.input_shape.empty() ? Shape{int64_t(features)} : o.input_shape;
  SHRINK_CHECK(checked_numel(sample, "--input-shape") == int64_t(features), what, ": input shape ",
               shape_str(sample), " does not hold the ", features, " feature columns");
  Shape xs{n};
  xs.insert(xs.end(), sample.begin(), sample.end());
  Dataset d{Tensor(DType::kFloat32, xs), label >= 0 ? Tensor(DType::kInt64, {n}) : Tensor()};
  float* x = d.x.data<float>();
  for (int64_t r = 0; r < n; ++r) {
    size_t line_no = size_t(r) + (header ? 1 : 0);
    std::vector<std::string_view> cells = split(lines[line_no]);
    SHRINK_CHECK(cells.size() == cols, what, ": line ", line_no + 1, " has ", cells.size(), " cells, expected ",
                 cols);
    for (size_t c = 0; c < cols; ++c) {
      SHRINK_CHECK(parse_number(cells[c], v), what, ": line ", line_no + 1, " column ", c + 1, ": '",
                   cells[c].substr(0, 32), "' is not a finite number");
      if (int64_t(c) == label) {
        SHRINK_CHECK(v >= 0 && v < 2147483648.0 && v == std::floor(v), what, ": line ", line_no + 1,
                     ": label '", cells[c], "' is not a non-negative integer");
        d.y.data<int64_t>()[r] = int64_t(v);
      } else {
        SHRINK_CHECK(std::fabs(v) <= 3.4e38, what, ": line ", line_no + 1, " column ", c + 1,
                     ": value out of float32 range");
        *x++ = float(v);
      }
    }
  }
  return d;
}

}  // namespace shrink::train
