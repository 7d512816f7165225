// oneDNN engine/stream singletons and descriptor helpers.
#include "runtime/onednn/context.h"

namespace shrink::runtime::onednn {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

dnnl::memory::dims to_dims(const Shape& s) { return dnnl::memory::dims(s.begin(), s.end()); }

dnnl::memory::desc plain_desc(const Shape& s, dnnl::memory::data_type dt) {
  const std::vector<int64_t> strides = strides_of(s);
  return dnnl::memory::desc(to_dims(s), dt, dnnl::memory::dims(strides.begin(), strides.end()));
}

dnnl::memory::desc blocked_desc(const Shape& s, int64_t block, dnnl::memory::data_type dt) {
  using tag = dnnl::memory::format_tag;
  SHRINK_ASSERT(block == 8 || block == 16, "unsupported channel block ", block);
  const bool b16 = block == 16;
  switch (s.size()) {
    case 3: return dnnl::memory::desc(to_dims(s), dt, b16 ? tag::nCw16c : tag::nCw8c);
    case 4: return dnnl::memory::desc(to_dims(s), dt, b16 ? tag::nChw16c : tag::nChw8c);
    default: return dnnl::memory::desc(to_dims(s), dt, b16 ? tag::nCdhw16c : tag::nCdhw8c);
  }
}

int64_t preferred_channel_block() {
  return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core ? 16 : 8;
}

dnnl::memory wrap(const dnnl::memory::desc& md, const Tensor& t) {
  return dnnl::memory(md, engine(), const_cast<void*>(t.raw()));
}

dnnl::memory reorder_to(const dnnl::memory& src, const dnnl::memory::desc& md) {
  dnnl::memory dst(md, engine());
  dnnl::reorder(src, dst).execute(stream(), const_cast<dnnl::memory&>(src), dst);
  stream().wait();
  return dst;
}

LayoutPort::LayoutPort(const dnnl::memory::desc& plain, const dnnl::memory::desc& wanted, bool is_input)
    : plain_(plain) {
  if (plain == wanted) return;
  scratch_ = dnnl::memory(wanted, engine());
  reorder_ = is_input ? dnnl::reorder(dnnl::reorder::primitive_desc(engine(), plain, engine(), wanted))
                      : dnnl::reorder(dnnl::reorder::primitive_desc(engine(), wanted, engine(), plain));
}

dnnl::memory LayoutPort::in(const Tensor& t) {
  dnnl::memory m = wrap(plain_, t);
  if (!scratch_) return m;
  reorder_.execute(stream(), m, scratch_);
  return scratch_;
}

dnnl::memory LayoutPort::out(Tensor& t) { return scratch_ ? scratch_ : wrap(plain_, t); }

void LayoutPort::finish(Tensor& t) {
  if (!scratch_) return;
  dnnl::memory m = wrap(plain_, t);
  reorder_.execute(stream(), scratch_, m);
}

}  // namespace shrink::runtime::onednn
