// Malformed dataset files: every reader refuses them with a bad-input shrink::Error whose one-line
// message names the file, before allocating anything sized by the bad header.
#include <zip.h>

#include <gtest/gtest.h>

#include "core/npy.h"
#include "train/data/dataset.h"
#include "train/data/readers.h"
#include "train_data_util.h"

namespace shrink::train {
namespace {

using test::data_tmp;
using test::put;

// Loads `bytes` saved as `name`; expects a bad-input error mentioning the file and `needle`.
void expect_bad(const std::string& name, const std::string& bytes, const std::string& needle, LoadOptions o = {}) {
  auto dir = data_tmp("bad");
  std::string path = (dir / name).string();
  put(path, bytes);
  try {
    load_dataset(path, o);
    ADD_FAILURE() << name << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
    std::string msg = e.what();
    EXPECT_NE(msg.find(name), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

std::string npz_of(const std::vector<std::pair<std::string, std::string>>& members) {
  zip_error_t err;
  zip_source_t* mem = zip_source_buffer_create(nullptr, 0, 0, &err);
  zip_t* za = zip_open_from_source(mem, ZIP_TRUNCATE, &err);
  zip_source_keep(mem);
  for (const auto& [name, data] : members)
    zip_file_add(za, name.c_str(), zip_source_buffer(za, data.data(), data.size(), 0), 0);
  zip_close(za);
  zip_source_open(mem);
  zip_source_seek(mem, 0, SEEK_END);
  std::string out(size_t(zip_source_tell(mem)), '\0');
  zip_source_seek(mem, 0, SEEK_SET);
  zip_source_read(mem, out.data(), out.size());
  zip_source_close(mem);
  zip_source_free(mem);
  return out;
}

TEST(DataMalformed, Idx) {
  std::string good = test::idx_bytes(3, {2, 2, 2}, std::vector<uint8_t>(8, 1));
  expect_bad("a-ubyte", "\x01\x02\x08\x03", "bad magic");
  expect_bad("b-ubyte", good.substr(0, good.size() - 1), "header");                        // truncated data
  expect_bad("c-ubyte", good + "x", "header");                                             // trailing data
  expect_bad("d-ubyte", good.substr(0, 9), "truncated IDX header");
  expect_bad("e-ubyte", test::idx_bytes(3, {0xffffffff, 0xffffffff, 0xffff}, {}), "IDX dims");  // huge dims
  expect_bad("f-ubyte", std::string("\0\0\x0d\x03", 4) + good.substr(4), "element type");
  expect_bad("g-ubyte", test::idx_bytes(1, {2}, {1, 2}), "expected 3");                    // labels as images
  expect_bad("h-ubyte.gz", test::gzip_bytes(good).substr(0, 20), "gzip");                  // truncated gzip
  auto dir = data_tmp("idx_labels");
  put(dir / "train-images-idx3-ubyte", good);
  put(dir / "train-labels-idx1-ubyte", test::idx_bytes(1, {3}, {1, 2, 3}));
  EXPECT_THROW(load_dataset((dir / "train-images-idx3-ubyte").string()), Error);  // 3 labels, 2 images
}

TEST(DataMalformed, GzipBombIsBounded) {
  std::string zeros(8 << 20, '\0');  // 8 MiB of zeros gzip to ~8 KiB
  std::string bomb = test::gzip_bytes(test::idx_bytes(3, {8, 1024, 1024}, {}) + zeros);
  expect_bad("bomb-ubyte.gz", bomb, "limit", {.max_bytes = 1 << 20});
}

TEST(DataMalformed, Cifar) {
  std::string rec(3073, '\x01');
  expect_bad("data_batch_1.bin", rec + rec.substr(0, 100), "whole number");
  expect_bad("data_batch_2.bin", "", "empty");
  std::string bad = rec;
  bad[0] = char(10);
  expect_bad("test_batch.bin", rec + bad, "label 10");
}

TEST(DataMalformed, Csv) {
  expect_bad("a.csv", "1,2,3\n4,x,6\n", "line 2 column 2");
  expect_bad("b.csv", "1,2,3\n4,5\n", "2 cells, expected 3");
  expect_bad("c.csv", "1,2,-1\n", "non-negative integer");
  expect_bad("d.csv", "1,2,1.5\n", "non-negative integer");
  expect_bad("e.csv", "", "empty");
  expect_bad("f.csv", "a,b,label\n", "no rows");
  expect_bad("g.csv", "1,2,nan\n", "finite");
  expect_bad("h.csv", "1,2,3,0\n", "does not hold", {.input_shape = {2, 2}});
  expect_bad("i.csv", "1,1e300,0\n", "float32");
  expect_bad("j.csv", "a,b\n1,2\n", "no column", {.label_column = "target"});
}

TEST(DataMalformed, NpyAndNpz) {
  Tensor x = Tensor::from_vector<float>({1, 2, 3, 4}, {2, 2});
  expect_bad("a.npy", "not numpy at all", "magic");
  std::string xs = serialize_npy(x);
  expect_bad("b.npz", npz_of({{"x.npy", xs}, {"y.npy", serialize_npy(Tensor::from_vector<int64_t>({1, -2}, {2}))}}),
             "label -2");
  expect_bad("c.npz", npz_of({{"x.npy", xs}, {"y.npy", serialize_npy(Tensor::from_vector<int64_t>({1, 2, 3}, {3}))}}),
             "3 labels for 2 samples");
  expect_bad("d.npz", npz_of({{"x.npy", xs}, {"y.npy", serialize_npy(Tensor::from_vector<float>({1, 2}, {2}))}}),
             "integers");
  expect_bad("e.npz", npz_of({{"data.npy", xs}}), "no array 'x'");
  expect_bad("f.npz", npz_of({{"x.npy", xs.substr(0, xs.size() - 3)}}), "bytes, header says");
  expect_bad("g.npz", "PK\x03\x04 truncated", "not a valid .npz");
  std::string good = npz_of({{"x.npy", xs}});
  expect_bad("h.npz", good.substr(0, good.size() - 10), "not a valid .npz");
  expect_bad("i.npz", npz_of({{"x.npy", serialize_npy(Tensor::from_vector<bool>({true}, {1}))}}), "unsupported");
  expect_bad("j.npz", npz_of({{"x.npy", serialize_npy(Tensor::from_vector<int64_t>({1, -1}, {2}))}}), "negative");
  std::string huge = serialize_npy(x);
  size_t at = huge.find("(2, 2)");
  huge.replace(at, 6, "(99999999999, 99999999)");
  expect_bad("k.npz", npz_of({{"x.npy", huge}}), "shape");
  Tensor nan = Tensor::from_vector<float>({1, std::numeric_limits<float>::quiet_NaN()}, {2});
  expect_bad("l.npz", npz_of({{"x.npy", serialize_npy(nan)}}), "non-finite");
}

TEST(DataMalformed, MissingAndUnknown) {
  EXPECT_THROW(load_dataset("/nonexistent/file.npz"), Error);
  expect_bad("mystery.dat", "hello", "cannot tell the dataset format");
  EXPECT_THROW(parse_format("tfrecord"), Error);
}

}  // namespace
}  // namespace shrink::train
