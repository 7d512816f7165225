// com.shrink NhwcQConv when depthwise (group = C = M, 2-D, any kernel size, stride, dilation,
// padding) with AVX2: channels-last u8 / s8 x, exact int32 accumulation, the reference epilogue
// (int8_requant.h). Ahead of oneDNN 2.6's jit_uni_int8 depthwise kernel (vpmulld per tap), which
// it beats on MobileNetV2's shapes (docs/int8_depthwise.md).
//
// Two taps of 16 channels are widened to int16 and interleaved so that vpmaddwd adds both taps'
// products per channel into int32: exact for any 8-bit operands (|x w| <= 255 * 255). Taps outside
// the image read a row filled with x's zero point (ONNX pads with the zero point); the zero point
// itself is taken out once per channel: acc = sum x w - x_zp * sum w, with w = w - w_zp[c].
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "core/threads.h"
#include "ops/internal/channels_last.h"
#include "runtime/cpu/int8_requant.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

using namespace ops;  // QInput names

constexpr int64_t kBlock = 16;        // channels per step
constexpr int64_t kMaxTaps = 64;      // kernels up to 64 taps (the tap pointers live on the stack)
constexpr int64_t kBlocksPerItem = 4;  // channel blocks per unit of parallel work

// The int32 accumulators of 16 channels, in order.
struct Acc16 {
  __m256i first, second;
};

template <bool kSignedX>
inline __m256i widen(const uint8_t* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return kSignedX ? _mm256_cvtepi8_epi16(v) : _mm256_cvtepu8_epi16(v);
}

class DepthwiseQConvKernel final : public Kernel {
 public:
  DepthwiseQConvKernel(const ConvGeometry& g, std::span<const ValueMeta> in, const QActivation& act)
      : g_(g), channels_(g.in_channels), blocks_((channels_ + kBlock - 1) / kBlock),
        taps_(g.kernel[0] * g.kernel[1]), pairs_((taps_ + 1) / 2), signed_x_(in[kQX].dtype == DType::kInt8) {
    const int64_t padded = blocks_ * kBlock;
    requant_ = Int8Requant::make(in, act, channels_, padded);
    const Tensor* xzp = size_t(kQXZp) < in.size() && in[kQXZp].present() ? in[kQXZp].value : nullptr;
    const int32_t zx = xzp ? int32_t(xzp->as_int64(0)) : 0;
    zero_row_.assign(size_t(padded), uint8_t(zx));  // the zero point's byte (s8 as two's complement)
    tap_offsets_.assign(size_t(2 * pairs_), 0);  // the odd tap's partner reads tap 0 (weights 0)
    for (int64_t t = 0; t < taps_; ++t)
      tap_offsets_[size_t(t)] = ((t / g.kernel[1]) * g.dilations[0] * g.in_spatial[1] + (t % g.kernel[1]) * g.dilations[1]) * channels_;
    // w - w_zp[c] by tap; the sums give the zero-point correction.
    const Tensor& w = *in[kQW].value;
    const Tensor* wzp = size_t(kQWZp) < in.size() && in[kQWZp].present() ? in[kQWZp].value : nullptr;
    std::vector<int16_t> wt(size_t(2 * pairs_ * padded), 0);  // [tap][channel]
    correction_.assign(size_t(padded), 0);
    for (int64_t c = 0; c < channels_; ++c) {
      const int64_t z = wzp ? wzp->as_int64(wzp->numel() == 1 ? 0 : c) : 0;
      int32_t sum = 0;
      for (int64_t t = 0; t < taps_; ++t) {
        const int16_t v = int16_t(w.as_int64(c * taps_ + t) - z);
        wt[size_t(t * padded + c)] = v;
        sum += v;
      }
      correction_[size_t(c)] = -zx * sum;
    }
    // Per pair of taps (a, b) and block: the layout of unpacklo / unpackhi_epi16(a, b), i.e.
    // channels 0-3 and 8-11 in the first vector, 4-7 and 12-15 in the second.
    weights_.assign(size_t(pairs_ * blocks_ * 2 * kBlock), 0);
    for (int64_t p = 0; p < pairs_; ++p)
      for (int64_t b = 0; b < blocks_; ++b) {
        int16_t* dst = weights_.data() + (b * pairs_ + p) * 2 * kBlock;
        const int16_t* wa = wt.data() + 2 * p * padded + b * kBlock;
        const int16_t* wb = wa + padded;
        for (int j = 0; j < 4; ++j)
          for (int half = 0; half < 2; ++half) {
            dst[8 * half + 2 * j] = wa[8 * half + j], dst[8 * half + 2 * j + 1] = wb[8 * half + j];
            dst[16 + 8 * half + 2 * j] = wa[8 * half + 4 + j], dst[16 + 8 * half + 2 * j + 1] = wb[8 * half + 4 + j];
          }
      }
    // 3x3, stride 1 or 2 along rows: pairs by column instead ((row 0, row 1), (row 2, 0)), so that
    // the widened, interleaved input columns serve every output that reads them.
    stream_ = g.kernel[0] == 3 && g.kernel[1] == 3 && (g.strides[1] == 1 || g.strides[1] == 2) &&
              g.dilations[0] == 1 && g.dilations[1] == 1;
    if (!stream_) return;
    column_weights_.assign(size_t(blocks_ * 3 * 4 * kBlock), 0);
    for (int64_t b = 0; b < blocks_; ++b)
      for (int64_t kw = 0; kw < 3; ++kw)
        for (int64_t pair = 0; pair < 2; ++pair) {
          int16_t* dst = column_weights_.data() + ((b * 3 + kw) * 2 + pair) * 2 * kBlock;
          const int16_t* wa = wt.data() + (2 * pair * 3 + kw) * padded + b * kBlock;
          const int16_t* wb = pair == 0 ? wa + 3 * padded : nullptr;
          for (int j = 0; j < 4; ++j)
            for (int half = 0; half < 2; ++half) {
              dst[8 * half + 2 * j] = wa[8 * half + j], dst[8 * half + 2 * j + 1] = wb ? wb[8 * half + j] : 0;
              dst[16 + 8 * half + 2 * j] = wa[8 * half + 4 + j];
              dst[16 + 8 * half + 2 * j + 1] = wb ? wb[8 * half + 4 + j] : 0;
            }
        }
  }

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    using ops::Activation;
    switch (requant_.act.activation) {
      case Activation::kRelu: return run_as<Activation::kRelu>(in[kQX], out[0]);
      case Activation::kClip: return run_as<Activation::kClip>(in[kQX], out[0]);
      default: return run_as<Activation::kNone>(in[kQX], out[0]);
    }
  }
  std::string_view name() const override { return "cpu:qconv-dw"; }

 private:
  template <ops::Activation kAct>
  void run_as(const Tensor& xt, Tensor& y) const {
    const auto* x = static_cast<const uint8_t*>(xt.raw());
    const int64_t rows = g_.batch * g_.out_spatial[0], chunks = (blocks_ + kBlocksPerItem - 1) / kBlocksPerItem;
    const int64_t work = g_.out_spatial[1] * std::min(blocks_, kBlocksPerItem) * kBlock * taps_;
    parallel_for(rows * chunks, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(work, 1)), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const int64_t first = (i % chunks) * kBlocksPerItem;
        const int64_t r = i / chunks, last = std::min(blocks_, first + kBlocksPerItem);
        if (stream_ && g_.strides[1] == 1)
          signed_x_ ? row_3x3<true, kAct, 1>(x, y, r, first, last) : row_3x3<false, kAct, 1>(x, y, r, first, last);
        else if (stream_)
          signed_x_ ? row_3x3<true, kAct, 2>(x, y, r, first, last) : row_3x3<false, kAct, 2>(x, y, r, first, last);
        else if (pairs_ == 5) signed_x_ ? row<true, 5, kAct>(x, y, r, first, last) : row<false, 5, kAct>(x, y, r, first, last);
        else signed_x_ ? row<true, 0, kAct>(x, y, r, first, last) : row<false, 0, kAct>(x, y, r, first, last);
      }
    });
  }

  // Output row r (image r / H', row r % H'), channel blocks [b0, b1). kPairs: pairs_ when known
  // at compile time (3x3: 5), else 0.
  template <bool kSignedX, int kPairs, ops::Activation kAct>
  void row(const uint8_t* x, Tensor& y, int64_t r, int64_t b0, int64_t b1) const {
    const int64_t H = g_.in_spatial[0], W = g_.in_spatial[1], OH = g_.out_spatial[0], OW = g_.out_spatial[1];
    const int64_t KH = g_.kernel[0], KW = g_.kernel[1], C = channels_, n = r / OH, oh = r % OH;
    const int64_t sw = g_.strides[1], pw = g_.pad_begin[1], dw = g_.dilations[1];
    const Int8RequantLanes<kAct> lanes(requant_);
    const uint8_t* rows[kMaxTaps];  // input row of each kernel row, null in the padding
    bool all_rows = true;
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = oh * g_.strides[0] - g_.pad_begin[0] + kh * g_.dilations[0];
      rows[kh] = ih >= 0 && ih < H ? x + (n * H + ih) * W * C : nullptr;
      all_rows = all_rows && rows[kh];
    }
    const uint8_t* taps[kMaxTaps];
    taps[2 * pairs_ - 1] = zero_row_.data();  // the odd tap's partner (its weights are 0)
    const int64_t* offsets = tap_offsets_.data();
    for (int64_t ow = 0; ow < OW; ++ow) {
      const int64_t iw0 = ow * sw - pw, at = (r * OW + ow) * C;
      if (all_rows && iw0 >= 0 && iw0 + (KW - 1) * dw < W) {  // inside the image: taps at fixed offsets
        const uint8_t* base = rows[0] + iw0 * C;
        for (int64_t b = b0; b < b1; ++b) {
          if ((b + 1) * kBlock > C) break;
          store(y, at, b, lanes, accumulate<kSignedX, kPairs>([&](int64_t t) { return base + offsets[t]; }, b * kBlock, b), kBlock);
        }
      } else {
        for (int64_t kh = 0, t = 0; kh < KH; ++kh)
          for (int64_t kw = 0, iw = iw0; kw < KW; ++kw, ++t, iw += dw)
            taps[t] = rows[kh] && iw >= 0 && iw < W ? rows[kh] + iw * C : zero_row_.data();
        for (int64_t b = b0; b < b1; ++b) {
          if ((b + 1) * kBlock > C) break;
          store(y, at, b, lanes, accumulate<kSignedX, kPairs>([&](int64_t t) { return taps[t]; }, b * kBlock, b), kBlock);
        }
      }
      if (b1 * kBlock <= C) continue;
      // The last, partial block: its taps copied where 16-byte loads stay inside.
      if (all_rows && iw0 >= 0 && iw0 + (KW - 1) * dw < W)
        for (int64_t t = 0; t < taps_; ++t) taps[t] = rows[0] + iw0 * C + offsets[t];
      const int64_t c = (b1 - 1) * kBlock;
      alignas(16) uint8_t tail[kMaxTaps][kBlock] = {};
      for (int64_t t = 0; t < 2 * pairs_; ++t) std::memcpy(tail[t], taps[t] + c, size_t(C - c));
      store(y, at, b1 - 1, lanes, accumulate<kSignedX, kPairs>([&](int64_t t) { return &tail[t][0]; }, 0, b1 - 1), C - c);
    }
  }

  // Output row r, channel blocks [b0, b1), for 3x3 kernels at stride 1 or 2 along the row: each
  // input column is loaded, widened and interleaved once per block (as (row 0, row 1) and (row 2, 0)
  // pairs) and added into every output that reads it.
  template <bool kSignedX, ops::Activation kAct, int kStride>
  void row_3x3(const uint8_t* x, Tensor& y, int64_t r, int64_t b0, int64_t b1) const {
    const int64_t H = g_.in_spatial[0], W = g_.in_spatial[1], OH = g_.out_spatial[0], OW = g_.out_spatial[1];
    const int64_t C = channels_, n = r / OH, oh = r % OH, pw = g_.pad_begin[1];
    const Int8RequantLanes<kAct> lanes(requant_);
    const uint8_t* rows[3];  // null in the padding
    for (int64_t kh = 0; kh < 3; ++kh) {
      const int64_t ih = oh * g_.strides[0] - g_.pad_begin[0] + kh;
      rows[kh] = ih >= 0 && ih < H ? x + (n * H + ih) * W * C : nullptr;
    }
    struct Column {
      __m256i lo01, hi01, lo2, hi2;
    };
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t c = b * kBlock;
      if (c + kBlock > C) {  // the partial last block: the general path
        row<kSignedX, 0, kAct>(x, y, r, b, b + 1);
        break;
      }
      // Padded rows read the zero-point row at every column (step 0).
      const uint8_t* zero = zero_row_.data() + c;
      const uint8_t *base0 = rows[0] ? rows[0] + c : zero, *base1 = rows[1] ? rows[1] + c : zero;
      const uint8_t* base2 = rows[2] ? rows[2] + c : zero;
      const int64_t step0 = rows[0] ? C : 0, step1 = rows[1] ? C : 0, step2 = rows[2] ? C : 0;
      auto load = [&](int64_t iw) {
        const bool in = iw >= 0 && iw < W;
        const __m256i a = widen<kSignedX>(in ? base0 + iw * step0 : zero);
        const __m256i m = widen<kSignedX>(in ? base1 + iw * step1 : zero);
        const __m256i d = widen<kSignedX>(in ? base2 + iw * step2 : zero);
        return Column{_mm256_unpacklo_epi16(a, m), _mm256_unpackhi_epi16(a, m),
                      _mm256_unpacklo_epi16(d, _mm256_setzero_si256()), _mm256_unpackhi_epi16(d, _mm256_setzero_si256())};
      };
      const auto* w = reinterpret_cast<const __m256i*>(column_weights_.data() + b * 3 * 4 * kBlock);
      auto add = [&](const Column& col, int kw, __m256i& lo, __m256i& hi) {
        const __m256i* k = w + 4 * kw;
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(col.lo01, _mm256_loadu_si256(k)));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(col.hi01, _mm256_loadu_si256(k + 1)));
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(col.lo2, _mm256_loadu_si256(k + 2)));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(col.hi2, _mm256_loadu_si256(k + 3)));
      };
      // All accumulators of the row first, then their epilogue: each loop keeps its own values in
      // registers. Each input column is added into the three outputs that read it as soon as it
      // is loaded (kw = 2 finishes output ow, kw = 0 starts output ow + 2).
      const __m256i corr0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(correction_.data() + c));
      const __m256i corr1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(correction_.data() + c + 8));
      thread_local std::vector<Acc16> acc;
      acc.resize(size_t(OW));
      __m256i lo0 = _mm256_setzero_si256(), hi0 = lo0, lo1 = lo0, hi1 = lo0, lo2 = lo0, hi2 = lo0;
      add(load(-pw), 0, lo0, hi0);
      if constexpr (kStride == 1) {
        const Column first = load(1 - pw);
        add(first, 1, lo0, hi0);
        add(first, 0, lo1, hi1);
      }
      // Output ow: column ow + 2 - pw finishes (lo, hi), advances (nlo, nhi), starts (slo, shi).
      auto step = [&](int64_t ow, __m256i& lo, __m256i& hi, __m256i& nlo, __m256i& nhi, __m256i& slo, __m256i& shi) {
        const Column col = load(ow + 2 - pw);
        add(col, 2, lo, hi);
        acc[size_t(ow)] = {_mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), corr0),
                           _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x31), corr1)};
        add(col, 1, nlo, nhi);
        slo = _mm256_setzero_si256(), shi = _mm256_setzero_si256();
        add(col, 0, slo, shi);
      };
      if constexpr (kStride == 1) {
        for (int64_t ow = 0; ow < OW; ow += 3) {
          step(ow, lo0, hi0, lo1, hi1, lo2, hi2);
          if (ow + 1 >= OW) break;
          step(ow + 1, lo1, hi1, lo2, hi2, lo0, hi0);
          if (ow + 2 >= OW) break;
          step(ow + 2, lo2, hi2, lo0, hi0, lo1, hi1);
        }
      } else {  // stride 2: output ow reads columns 2 ow - pw + (0, 1, 2); the last is the next one's first
        for (int64_t ow = 0; ow < OW; ++ow) {
          add(load(2 * ow + 1 - pw), 1, lo0, hi0);
          const Column col = load(2 * ow + 2 - pw);
          add(col, 2, lo0, hi0);
          acc[size_t(ow)] = {_mm256_add_epi32(_mm256_permute2x128_si256(lo0, hi0, 0x20), corr0),
                             _mm256_add_epi32(_mm256_permute2x128_si256(lo0, hi0, 0x31), corr1)};
          lo0 = _mm256_setzero_si256(), hi0 = _mm256_setzero_si256();
          add(col, 0, lo0, hi0);
        }
      }
      if (!requant_.requant) {
        for (int64_t ow = 0; ow < OW; ++ow) store(y, (r * OW + ow) * C, b, lanes, acc[size_t(ow)], kBlock);
        continue;
      }
      uint8_t* dst = static_cast<uint8_t*>(y.raw()) + r * OW * C + c;
      const float *mult = requant_.mult.data() + c, *bias = requant_.bias.data() + c;
      requant_.signed_y ? quantize_run<kAct, true>(lanes, mult, bias, acc.data(), OW, dst, C)
                        : quantize_run<kAct, false>(lanes, mult, bias, acc.data(), OW, dst, C);
    }
  }

  // The epilogue of n outputs of one block (accumulators acc[i]) into dst + i * stride.
  template <ops::Activation kAct, bool kSignedY>
  static void quantize_run(const Int8RequantLanes<kAct>& lanes, const float* mult, const float* bias, const Acc16* acc,
                           int64_t n, uint8_t* dst, int64_t stride) {
    for (int64_t i = 0; i < n; ++i) {
      const __m256 v0 = lanes.value(acc[i].first, mult, bias), v1 = lanes.value(acc[i].second, mult + 8, bias + 8);
      __m256i q0, q1;
      lanes.quantize(v0, v1, q0, q1);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i * stride), pack_int8(q0, q1, kSignedY));
    }
  }

  // Accumulators of block b's 16 channels from tap(t) + offset, in channel order.
  template <bool kSignedX, int kPairs, class Tap>
  [[gnu::always_inline]] Acc16 accumulate(Tap tap, int64_t offset, int64_t b) const {
    const int64_t pairs = kPairs ? kPairs : pairs_;
    __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
    const auto* w = reinterpret_cast<const __m256i*>(weights_.data() + b * pairs * 2 * kBlock);
#pragma GCC unroll 8
    for (int64_t p = 0; p < pairs; ++p) {
      const __m256i a = widen<kSignedX>(tap(2 * p) + offset), c = widen<kSignedX>(tap(2 * p + 1) + offset);
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, c), _mm256_loadu_si256(w + 2 * p)));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, c), _mm256_loadu_si256(w + 2 * p + 1)));
    }
    const __m256i* corr = reinterpret_cast<const __m256i*>(correction_.data() + b * kBlock);
    return {_mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), _mm256_loadu_si256(corr)),
            _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x31), _mm256_loadu_si256(corr + 1))};
  }

  // The epilogue of block b's first `count` channels into y at element at + b * 16.
  template <ops::Activation kAct>
  [[gnu::always_inline]] void store(Tensor& y, int64_t at, int64_t b, const Int8RequantLanes<kAct>& lanes, Acc16 acc,
                                    int64_t count) const {
    const int64_t c = b * kBlock;
    const float *mult = requant_.mult.data() + c, *bias = requant_.bias.data() + c;
    const __m256 v0 = lanes.value(acc.first, mult, bias), v1 = lanes.value(acc.second, mult + 8, bias + 8);
    if (!requant_.requant) {
      alignas(32) float f[kBlock];
      _mm256_store_ps(f, v0);
      _mm256_store_ps(f + 8, v1);
      std::memcpy(y.data<float>() + at + c, f, size_t(count) * sizeof(float));
      return;
    }
    __m256i q0, q1;
    lanes.quantize(v0, v1, q0, q1);
    const __m128i q = pack_int8(q0, q1, requant_.signed_y);
    uint8_t* dst = static_cast<uint8_t*>(y.raw()) + at + c;
    if (count == kBlock) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), q);
      return;
    }
    alignas(16) uint8_t bytes[kBlock];
    _mm_store_si128(reinterpret_cast<__m128i*>(bytes), q);
    std::memcpy(dst, bytes, size_t(count));
  }

  ConvGeometry g_;
  int64_t channels_, blocks_, taps_, pairs_;
  bool signed_x_;
  Int8Requant requant_;
  std::vector<uint8_t> zero_row_;
  std::vector<int16_t> weights_;     // [block][pair][2 x 16], see the constructor
  std::vector<int32_t> correction_;  // -x_zp * sum of the channel's weights
  bool stream_ = false;               // row_3x3 applies
  std::vector<int16_t> column_weights_;  // [block][kw][(row 0, row 1), (row 2, 0)][2 x 16]
  std::vector<int64_t> tap_offsets_;  // of each tap from the first, inside the image (2 * pairs_)
};

bool constant(std::span<const ValueMeta> in, int i) {
  return size_t(i) >= in.size() || !in[size_t(i)].present() || in[size_t(i)].value;
}

std::unique_ptr<Kernel> make_depthwise_qconv(const ir::Node& node, std::span<const ValueMeta> in) {
  if (in.size() < size_t(kQW) + 1 || in[kQX].shape.size() != 4 || in[kQW].shape.size() != 4) return nullptr;
  for (int i : {int(kQXScale), int(kQXZp), int(kQW), int(kQWScale), int(kQWZp), int(kQBias), int(kQYScale), int(kQYZp)})
    if (!constant(in, i)) return nullptr;
  const ir::Node& inner = node.attrs_as<ChannelsLastAttrs>().inner;
  std::vector<ValueMeta> plain(in.begin(), in.end()), out(1);
  plain[kQX].shape = nchw_shape(in[kQX].shape, node);
  if (!schema_of(node).infer(node, in, out)) return nullptr;  // fails (bad input) on invalid parameters
  const auto& attrs = inner.attrs_as<QConvAttrs>();
  const ConvGeometry g = resolve_conv(inner, attrs, plain[kQX].shape, in[kQW].shape);
  const bool depthwise = g.group > 1 && g.group == g.in_channels && g.group == g.out_channels;
  if (!depthwise || g.kernel[0] * g.kernel[1] > kMaxTaps || numel(g.output_shape()) == 0) return nullptr;
  return std::make_unique<DepthwiseQConvKernel>(g, plain, attrs.act);
}

}  // namespace

std::vector<KernelEntry> cpu_qconv_depthwise_kernels() { return {{"com.shrink", "NhwcQConv", make_depthwise_qconv}}; }

}  // namespace shrink::runtime
