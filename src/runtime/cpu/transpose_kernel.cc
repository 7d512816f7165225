// Transpose as copies of whole runs: the permutation is first simplified (size-1 axes dropped,
// output axes that stay adjacent in the input merged), then
//  - nothing left to permute (only size-1 axes moved, e.g. [S, 1, D] -> [1, S, D]): the output is
//    a view of the input (the same bytes in the same order);
//  - the innermost axis unmoved (attention's [S, H, D] <-> [H, S, D]): one memcpy per run of it;
//  - else the two axes that are innermost in the input and in the output are copied in 16 x 16
//    tiles (reads and writes both in cache lines), the other axes walked outside.
// A copy, so bit-identical to the reference by construction; any element size of 1, 2, 4 or 8 bytes.
// NCHW <-> NHWC of the types oneDNN reorders are left to oneDNN.
#include <algorithm>
#include <cstring>

#include "core/threads.h"
#include "ops/shape/shape_util.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

constexpr int64_t kTile = 16;
constexpr int64_t kGrainBytes = int64_t(1) << 14;

// The output's axes (outermost first) with their sizes and strides in the input, simplified.
struct Plan {
  std::vector<int64_t> dims, in_strides;
};

Plan simplify(const Shape& in, const std::vector<int64_t>& perm) {
  std::vector<int64_t> stride(in.size(), 1);
  for (size_t i = in.size(); i-- > 1;) stride[i - 1] = stride[i] * in[i];
  Plan p;
  for (int64_t a : perm) {
    const int64_t d = in[size_t(a)], s = stride[size_t(a)];
    if (d == 1) continue;
    if (!p.dims.empty() && p.in_strides.back() == s * d) {  // adjacent in the input too: merge
      p.dims.back() *= d;
      p.in_strides.back() = s;
    } else {
      p.dims.push_back(d);
      p.in_strides.push_back(s);
    }
  }
  return p;
}

// Visits every index of dims[0 .. axes) except `skip` (>= axes for none) in order, calling
// fn(in_offset, out_offset) with out_strides the output's.
template <class Fn>
void walk(const Plan& p, const std::vector<int64_t>& out_strides, size_t axes, size_t skip, int64_t begin, int64_t end,
          Fn&& fn) {
  // Outer indices [begin, end) in the row-major order of the walked axes.
  std::vector<size_t> walked;
  for (size_t i = 0; i < axes; ++i)
    if (i != skip) walked.push_back(i);
  for (int64_t o = begin; o < end; ++o) {
    int64_t rest = o, in_off = 0, out_off = 0;
    for (size_t k = walked.size(); k-- > 0;) {
      const size_t ax = walked[k];
      const int64_t idx = rest % p.dims[ax];
      rest /= p.dims[ax];
      in_off += idx * p.in_strides[ax];
      out_off += idx * out_strides[ax];
    }
    fn(in_off, out_off);
  }
}

template <class T>
void transpose_tiles(const T* src, T* dst, const Plan& p, const std::vector<int64_t>& out_strides, size_t j) {
  // Output axis j has input stride 1; the last output axis (stride 1 in the output) has input stride sl.
  const size_t last = p.dims.size() - 1;
  const int64_t nj = p.dims[j], nl = p.dims[last], sl = p.in_strides[last], oj = out_strides[j];
  int64_t outer = 1;
  for (size_t i = 0; i < last; ++i)
    if (i != j) outer *= p.dims[i];
  const int64_t grain = std::max<int64_t>(1, kGrainBytes / int64_t(sizeof(T) * nj * nl));
  parallel_for(outer, grain, [&](int64_t b, int64_t e) {
    walk(p, out_strides, last, j, b, e, [&](int64_t in_off, int64_t out_off) {
      for (int64_t j0 = 0; j0 < nj; j0 += kTile)
        for (int64_t l0 = 0; l0 < nl; l0 += kTile) {
          const int64_t j1 = std::min(nj, j0 + kTile), l1 = std::min(nl, l0 + kTile);
          for (int64_t jj = j0; jj < j1; ++jj) {
            const T* s = src + in_off + jj;
            T* d = dst + out_off + jj * oj;
            for (int64_t ll = l0; ll < l1; ++ll) d[ll] = s[ll * sl];
          }
        }
    });
  });
}

class TransposeKernel final : public Kernel {
 public:
  TransposeKernel(Plan p, size_t elem, Shape out_shape) : p_(std::move(p)), elem_(elem), out_shape_(std::move(out_shape)) {
    out_strides_.assign(p_.dims.size(), 1);
    for (size_t i = p_.dims.size(); i-- > 1;) out_strides_[i - 1] = out_strides_[i] * p_.dims[i];
  }

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    if (p_.dims.size() <= 1) {
      out[0] = in[0].reshaped(out_shape_);
      return;
    }
    const auto* src = static_cast<const char*>(in[0].raw());
    auto* dst = static_cast<char*>(out[0].raw());
    const size_t bytes = size_t(in[0].numel()) * elem_;
    if (bytes == 0) return;
    const size_t last = p_.dims.size() - 1;
    if (p_.in_strides[last] == 1) {  // runs of the innermost axis stay whole
      const size_t run = size_t(p_.dims[last]) * elem_;
      const int64_t runs = int64_t(bytes / run);
      parallel_for(runs, std::max<int64_t>(1, kGrainBytes / int64_t(run)), [&](int64_t b, int64_t e) {
        walk(p_, out_strides_, last, last, b, e, [&](int64_t in_off, int64_t out_off) {
          std::memcpy(dst + size_t(out_off) * elem_, src + size_t(in_off) * elem_, run);
        });
      });
      return;
    }
    const size_t j = size_t(std::find(p_.in_strides.begin(), p_.in_strides.end(), 1) - p_.in_strides.begin());
    switch (elem_) {
      case 1: return transpose_tiles(reinterpret_cast<const uint8_t*>(src), reinterpret_cast<uint8_t*>(dst), p_, out_strides_, j);
      case 2: return transpose_tiles(reinterpret_cast<const uint16_t*>(src), reinterpret_cast<uint16_t*>(dst), p_, out_strides_, j);
      case 4: return transpose_tiles(reinterpret_cast<const uint32_t*>(src), reinterpret_cast<uint32_t*>(dst), p_, out_strides_, j);
      default: return transpose_tiles(reinterpret_cast<const uint64_t*>(src), reinterpret_cast<uint64_t*>(dst), p_, out_strides_, j);
    }
  }
  std::string_view name() const override { return p_.dims.size() <= 1 ? "view" : "cpu:transpose"; }
  bool allocates_outputs() const override { return p_.dims.size() <= 1; }

 private:
  Plan p_;
  size_t elem_;
  Shape out_shape_;
  std::vector<int64_t> out_strides_;
};

std::unique_ptr<Kernel> make_transpose(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (in.empty() || !in[0].present() || in[0].dtype == DType::kString) return nullptr;
  const size_t elem = dtype_size(in[0].dtype);
  if (elem != 1 && elem != 2 && elem != 4 && elem != 8) return nullptr;
  std::vector<ops::ValueMeta> out(1);
  if (!ops::schema_of(node).infer(node, in, out)) return nullptr;  // fails (bad input) on a bad perm
  const std::vector<int64_t> perm = ops::transpose_perm(node, in[0].shape.size());
  Plan p = simplify(in[0].shape, perm);
  // The NCHW <-> NHWC border transposes of the int8 / blocked regions stay with oneDNN's reorder
  // (runtime/onednn/blocked_reorder.cc), unless nothing moves.
  const bool layout = in[0].shape.size() == 4 && (perm == std::vector<int64_t>{0, 2, 3, 1} ||
                                                   perm == std::vector<int64_t>{0, 3, 1, 2});
  const DType t = in[0].dtype;
  if (layout && p.dims.size() > 1 &&
      (t == DType::kFloat32 || t == DType::kInt32 || t == DType::kUInt8 || t == DType::kInt8))
    return nullptr;
  return std::make_unique<TransposeKernel>(std::move(p), elem, out[0].shape);
}

}  // namespace

std::vector<KernelEntry> cpu_transpose_kernels() { return {{"", "Transpose", make_transpose}}; }

}  // namespace shrink::runtime
