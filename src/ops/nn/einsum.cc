// Einsum: general Einstein summation (numpy semantics): explicit or implicit output, repeated
// labels within an operand (diagonals), ellipsis with broadcasting, sums over absent labels.
// Written for correctness: one loop over output elements, an inner odometer over summed labels.
#include <algorithm>

#include "ops/attr_reader.h"
#include "ops/common.h"

namespace shrink::ops {
namespace {

constexpr int kEllipsis = -1;
constexpr int kLetters = 52;  // 'A'..'Z' -> 0..25, 'a'..'z' -> 26..51 (ASCII order, as numpy sorts)

struct EinsumAttrs : ir::OpAttrs {
  std::vector<std::vector<int>> terms;  // per input: label ids, kEllipsis for "..."
  bool explicit_output = false;
  std::vector<int> output;
};

// Reads one term of letters and at most one "..."; `pos` advances past it.
std::vector<int> parse_term(const ir::Node& node, const std::string& eq, size_t& pos) {
  std::vector<int> t;
  bool ellipsis = false;
  while (pos < eq.size() && eq[pos] != ',' && eq[pos] != '-') {
    const char c = eq[pos];
    if (c == '.') {
      SHRINK_CHECK(!ellipsis && eq.compare(pos, 3, "...") == 0, node.label(), " bad ellipsis in equation '", eq, "'");
      ellipsis = true;
      t.push_back(kEllipsis);
      pos += 3;
      continue;
    }
    SHRINK_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'), node.label(), " bad character '", c,
                 "' in equation '", eq, "'");
    t.push_back(c >= 'a' ? 26 + (c - 'a') : c - 'A');
    ++pos;
  }
  return t;
}

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  std::string eq_raw = r.get_string("equation", "");
  r.done();
  std::string eq;
  for (char c : eq_raw)
    if (c != ' ') eq += c;
  auto a = std::make_shared<EinsumAttrs>();
  size_t pos = 0;
  for (;;) {
    a->terms.push_back(parse_term(node, eq, pos));
    if (pos < eq.size() && eq[pos] == ',') {
      ++pos;
      continue;
    }
    break;
  }
  if (pos < eq.size()) {
    SHRINK_CHECK(eq.compare(pos, 2, "->") == 0, node.label(), " bad equation '", eq, "'");
    pos += 2;
    a->explicit_output = true;
    a->output = parse_term(node, eq, pos);
    SHRINK_CHECK(pos == eq.size(), node.label(), " bad equation '", eq, "'");
    std::vector<int> sorted = a->output;
    std::sort(sorted.begin(), sorted.end());
    SHRINK_CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(), node.label(),
                 " output labels repeat in '", eq, "'");
  }
  size_t n_in = node.inputs.size();
  while (n_in > 0 && node.inputs[n_in - 1].empty()) --n_in;
  SHRINK_CHECK(a->terms.size() == n_in, node.label(), " equation '", eq, "' has ", a->terms.size(),
               " operands, node has ", n_in, " inputs");
  return a;
}

// Labels resolved against input shapes: slots [0, n_out) are the output dims in order, the rest
// are summed. strides[i][s] is input i's element stride for slot s (0 where absent/broadcast).
struct EinsumPlan {
  Shape out_shape;
  std::vector<int64_t> sizes;
  size_t n_out = 0;
  std::vector<std::vector<int64_t>> strides;
};

EinsumPlan make_plan(const ir::Node& node, const std::vector<Shape>& shapes) {
  const auto& a = node.attrs_as<EinsumAttrs>();
  // Expand each term's ellipsis into right-aligned ids kLetters + k over the broadcast rank.
  int64_t e_rank = 0;
  std::vector<std::vector<int>> terms(a.terms.size());
  for (size_t i = 0; i < a.terms.size(); ++i) {
    const int64_t letters = int64_t(std::count_if(a.terms[i].begin(), a.terms[i].end(), [](int l) { return l >= 0; }));
    const bool has_e = letters != int64_t(a.terms[i].size());
    const int64_t rank = int64_t(shapes[i].size());
    SHRINK_CHECK(has_e ? rank >= letters : rank == letters, node.label(), " operand ", i, " has rank ", rank,
                 ", equation term has ", letters, " labels");
    e_rank = std::max(e_rank, rank - letters);
  }
  for (size_t i = 0; i < a.terms.size(); ++i) {
    const int64_t letters = int64_t(std::count_if(a.terms[i].begin(), a.terms[i].end(), [](int l) { return l >= 0; }));
    const int64_t e = int64_t(shapes[i].size()) - letters;
    for (int l : a.terms[i]) {
      if (l != kEllipsis) terms[i].push_back(l);
      else
        for (int64_t k = e_rank - e; k < e_rank; ++k) terms[i].push_back(kLetters + int(k));
    }
  }
  const int n_ids = kLetters + int(e_rank);
  std::vector<int64_t> size(size_t(n_ids), -1);
  std::vector<int> uses(size_t(n_ids), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    for (size_t d = 0; d < terms[i].size(); ++d) {
      const int l = terms[i][d];
      const int64_t s = shapes[i][d];
      ++uses[size_t(l)];
      int64_t& cur = size[size_t(l)];
      SHRINK_CHECK(cur == -1 || cur == s || cur == 1 || s == 1, node.label(), " label dimension mismatch: ", cur,
                   " vs ", s, " on operand ", i);
      if (cur == -1 || cur == 1) cur = s;
    }
  }
  std::vector<int> out;
  if (a.explicit_output) {
    for (int l : a.output) {
      if (l != kEllipsis) {
        SHRINK_CHECK(size[size_t(l)] >= 0, node.label(), " output label does not appear in any operand");
        out.push_back(l);
      } else {
        for (int k = 0; k < e_rank; ++k) out.push_back(kLetters + k);
      }
    }
    const bool out_e = std::find(a.output.begin(), a.output.end(), kEllipsis) != a.output.end();
    SHRINK_CHECK(out_e || e_rank == 0, node.label(), " operands have ellipsis dims but the output has no '...'");
  } else {
    for (int k = 0; k < e_rank; ++k) out.push_back(kLetters + k);
    for (int l = 0; l < kLetters; ++l)
      if (uses[size_t(l)] == 1) out.push_back(l);
  }
  EinsumPlan p;
  std::vector<int> slots = out;
  for (int l = 0; l < n_ids; ++l)
    if (size[size_t(l)] >= 0 && std::find(out.begin(), out.end(), l) == out.end()) slots.push_back(l);
  p.n_out = out.size();
  for (int l : out) p.out_shape.push_back(size[size_t(l)]);
  for (int l : slots) p.sizes.push_back(size[size_t(l)]);
  checked_numel(p.out_shape, "Einsum output");
  p.strides.assign(terms.size(), std::vector<int64_t>(slots.size(), 0));
  for (size_t i = 0; i < terms.size(); ++i) {
    const auto st = strides_of(shapes[i]);
    for (size_t d = 0; d < terms[i].size(); ++d) {
      if (shapes[i][d] == 1) continue;  // broadcast (or a size-1 label): contributes nothing
      const size_t s = size_t(std::find(slots.begin(), slots.end(), terms[i][d]) - slots.begin());
      p.strides[i][s] += st[d];
    }
  }
  return p;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  std::vector<Shape> shapes;
  for (size_t i = 0; i < in.size(); ++i) {
    require_same_dtype(node, in, 0, int(i));
    shapes.push_back(in[i].shape);
  }
  SHRINK_CHECK(in[0].dtype != DType::kBool, node.label(), " does not accept bool");
  out[0] = ValueMeta{in[0].dtype, make_plan(node, shapes).out_shape};
  return true;
}

template <class T>
void einsum_typed(const EinsumPlan& p, std::span<const Tensor> in, Tensor& y) {
  using C = compute_t<T>;
  using Acc = std::conditional_t<std::is_floating_point_v<C>, double, std::conditional_t<std::is_signed_v<C>, int64_t, uint64_t>>;
  const size_t n_in = in.size(), n_slots = p.sizes.size();
  std::vector<const T*> src(n_in);
  for (size_t i = 0; i < n_in; ++i) src[i] = static_cast<const T*>(in[i].raw());
  T* dst = static_cast<T*>(y.raw());
  int64_t sum_count = 1;
  for (size_t s = p.n_out; s < n_slots; ++s) sum_count *= p.sizes[s];
  for (size_t i = 0; i < n_in; ++i)
    if (in[i].numel() == 0) sum_count = 0;
  parallel_for(y.numel(), std::max<int64_t>(1, 4096 / std::max<int64_t>(sum_count, 1)), [&](int64_t o0, int64_t o1) {
    std::vector<int64_t> base(n_in), off(n_in), idx(n_slots);
    for (int64_t o = o0; o < o1; ++o) {
      std::fill(base.begin(), base.end(), 0);
      int64_t rem = o;
      for (size_t s = p.n_out; s-- > 0;) {
        const int64_t v = rem % p.sizes[s];
        rem /= p.sizes[s];
        for (size_t i = 0; i < n_in; ++i) base[i] += v * p.strides[i][s];
      }
      off = base;
      std::fill(idx.begin(), idx.end(), 0);
      Acc acc = 0;
      for (int64_t r = 0; r < sum_count; ++r) {
        Acc prod = 1;
        for (size_t i = 0; i < n_in; ++i) {
          if constexpr (std::is_floating_point_v<C>) prod *= Acc(C(src[i][off[i]]));
          else prod = Acc(uint64_t(prod) * uint64_t(Acc(src[i][off[i]])));
        }
        if constexpr (std::is_floating_point_v<C>) acc += prod;
        else acc = Acc(uint64_t(acc) + uint64_t(prod));
        for (size_t s = n_slots; s-- > p.n_out;) {
          for (size_t i = 0; i < n_in; ++i) off[i] += p.strides[i][s];
          if (++idx[s] < p.sizes[s]) break;
          for (size_t i = 0; i < n_in; ++i) off[i] -= idx[s] * p.strides[i][s];
          idx[s] = 0;
        }
      }
      dst[o] = T(C(acc));
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  std::vector<Shape> shapes;
  for (const Tensor& t : in) shapes.push_back(t.shape());
  const EinsumPlan p = make_plan(node, shapes);
  visit_numeric(in[0].dtype(), [&](auto tag) { einsum_typed<decltype(tag)>(p, in, out[0]); }, node.label());
}

}  // namespace

extern const OpSchema kEinsum{.op_type = "Einsum", .min_inputs = 1, .max_inputs = 1024, .since_opset = 12,
                              .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
