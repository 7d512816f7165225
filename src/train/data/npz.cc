// .npz datasets through libzip: x.npy and optional y.npy members, stored or deflated (numpy's
// np.savez and np.savez_compressed). Member sizes are checked before anything is inflated.
#include <zip.h>

#include <memory>

#include "core/npy.h"
#include "train/data/readers.h"

namespace shrink::train {
namespace {

// Deflate cannot expand data more than ~1032:1; a member claiming more is corrupt or a bomb.
constexpr uint64_t kMaxDeflateRatio = 1100;

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

std::string read_member(zip_t* za, zip_int64_t index, const std::string& what, const char* name,
                        uint64_t max_bytes) {
  zip_stat_t st;
  zip_stat_init(&st);
  SHRINK_CHECK(zip_stat_index(za, zip_uint64_t(index), 0, &st) == 0, what, ": cannot read member ", name);
  SHRINK_CHECK((st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE) && (st.valid & ZIP_STAT_COMP_METHOD),
               what, ": member ", name, " has no size");
  SHRINK_CHECK(st.comp_method == ZIP_CM_STORE || st.comp_method == ZIP_CM_DEFLATE, what, ": member ", name,
               " uses unsupported compression method ", st.comp_method);
  SHRINK_CHECK(!(st.valid & ZIP_STAT_ENCRYPTION_METHOD) || st.encryption_method == ZIP_EM_NONE, what,
               ": member ", name, " is encrypted");
  SHRINK_CHECK(st.size <= max_bytes, what, ": member ", name, " is ", st.size, " bytes, over the limit of ",
               max_bytes);
  SHRINK_CHECK(st.comp_method != ZIP_CM_STORE || st.size == st.comp_size, what, ": stored member ", name,
               " has inconsistent sizes");
  SHRINK_CHECK(st.size <= st.comp_size * kMaxDeflateRatio + 4096, what, ": member ", name,
               " claims an impossible compression ratio");
  zip_file_t* zf = zip_fopen_index(za, zip_uint64_t(index), 0);
  SHRINK_CHECK(zf, what, ": cannot open member ", name, ": ", zip_strerror(za));
  std::string out(st.size, '\0');
  zip_int64_t got = st.size ? zip_fread(zf, out.data(), st.size) : 0;
  char extra;
  zip_int64_t more = got == zip_int64_t(st.size) ? zip_fread(zf, &extra, 1) : 0;
  std::string err = got < 0 || more < 0 ? zip_file_strerror(zf) : "";
  zip_fclose(zf);
  SHRINK_CHECK(got == zip_int64_t(st.size) && more == 0, what, ": member ", name, " is corrupt",
               err.empty() ? std::string(" or truncated") : ": " + err);
  return out;
}

}  // namespace

Dataset parse_npz(std::string_view bytes, const std::string& what, uint64_t max_bytes, bool allow_nonfinite) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  SHRINK_CHECK(src, what, ": cannot read .npz: ", zip_error_strerror(&error));
  ZipPtr za(zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (!za) {
    zip_source_free(src);
    std::string msg = zip_error_strerror(&error);
    zip_error_fini(&error);
    fail_input(what, ": not a valid .npz (zip) file: ", msg);
  }
  zip_int64_t xi = zip_name_locate(za.get(), "x.npy", 0);
  zip_int64_t yi = zip_name_locate(za.get(), "y.npy", 0);
  if (xi < 0) {
    std::string members;
    zip_int64_t n = zip_get_num_entries(za.get(), 0);
    for (zip_int64_t i = 0; i < n && i < 8; ++i) {
      const char* nm = zip_get_name(za.get(), zip_uint64_t(i), 0);
      members += std::string(i ? ", " : "") + (nm ? nm : "?");
    }
    fail_input(what, ": .npz has no array 'x' (members: ", members.empty() ? "none" : members, ")");
  }
  Tensor x = parse_npy(read_member(za.get(), xi, what, "x.npy", max_bytes), what + ":x.npy");
  Tensor y;
  if (yi >= 0) y = parse_npy(read_member(za.get(), yi, what, "y.npy", max_bytes), what + ":y.npy");
  return validate_dataset(std::move(x), std::move(y), what, allow_nonfinite);
}

std::string serialize_npz(const Dataset& d, bool compress) {
  std::string xs = serialize_npy(d.x), ys = d.y.defined() ? serialize_npy(d.y) : std::string();
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* mem = zip_source_buffer_create(nullptr, 0, 0, &error);
  SHRINK_ASSERT(mem, "zip buffer");
  zip_t* za = zip_open_from_source(mem, ZIP_TRUNCATE, &error);
  SHRINK_ASSERT(za, "zip open");
  zip_source_keep(mem);
  auto add = [&](const char* name, const std::string& data) {
    zip_source_t* s = zip_source_buffer(za, data.data(), data.size(), 0);
    zip_int64_t i = s ? zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8) : -1;
    if (i < 0 && s) zip_source_free(s);
    SHRINK_ASSERT(i >= 0, "zip add ", name, ": ", zip_strerror(za));
    zip_set_file_compression(za, zip_uint64_t(i), compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    // A fixed timestamp keeps the bytes a pure function of the data.
    zip_file_set_mtime(za, zip_uint64_t(i), time_t(1262304000), 0);
  };
  add("x.npy", xs);
  if (d.y.defined()) add("y.npy", ys);
  if (zip_close(za) != 0) {
    std::string msg = zip_strerror(za);
    zip_discard(za);
    zip_source_free(mem);
    fail_internal("writing .npz: ", msg);
  }
  std::string out;
  SHRINK_ASSERT(zip_source_open(mem) == 0, "zip reopen");
  zip_source_seek(mem, 0, SEEK_END);
  zip_int64_t size = zip_source_tell(mem);
  zip_source_seek(mem, 0, SEEK_SET);
  out.resize(size_t(size));
  zip_int64_t got = size ? zip_source_read(mem, out.data(), zip_uint64_t(size)) : 0;
  zip_source_close(mem);
  zip_source_free(mem);
  SHRINK_ASSERT(got == size, "zip read back");
  return out;
}

}  // namespace shrink::train
