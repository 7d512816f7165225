// Dataset readers on files the tests write: IDX (plain and gzip), CIFAR-10 records, CSV, .npy,
// .npz (ours, stored and deflated, and numpy's own np.savez / np.savez_compressed).
#include <gtest/gtest.h>

#include "core/npy.h"
#include "train/data/dataset.h"
#include "train/data/readers.h"
#include "train_data_util.h"

namespace shrink::train {
namespace {

using test::data_tmp;
using test::put;

std::vector<uint8_t> ramp(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7);
  return v;
}

TEST(DataReaders, IdxPlainWithLabelsBeside) {
  auto dir = data_tmp("idx_plain");
  put(dir / "train-images-idx3-ubyte", test::idx_bytes(3, {3, 2, 4}, ramp(24)));
  put(dir / "train-labels-idx1-ubyte", test::idx_bytes(1, {3}, {7, 0, 9}));
  Dataset d = load_dataset((dir / "train-images-idx3-ubyte").string());
  EXPECT_EQ(d.x.shape(), (Shape{3, 1, 2, 4}));
  EXPECT_FLOAT_EQ(d.x.data<float>()[5], float(uint8_t(35)) / 255.f);
  ASSERT_TRUE(d.labelled());
  EXPECT_EQ(d.y.to_int64_vector(), (std::vector<int64_t>{7, 0, 9}));
  EXPECT_EQ(d.num_classes(), 10);
  EXPECT_EQ(d.sample_shape(), (Shape{1, 2, 4}));
}

TEST(DataReaders, IdxGzipAndExplicitLabels) {
  auto dir = data_tmp("idx_gz");
  put(dir / "t10k-images-idx3-ubyte.gz", test::gzip_bytes(test::idx_bytes(3, {2, 2, 2}, ramp(8))));
  put(dir / "t10k-labels-idx1-ubyte.gz", test::gzip_bytes(test::idx_bytes(1, {2}, {1, 2})));
  Dataset d = load_dataset((dir / "t10k-images-idx3-ubyte.gz").string());
  EXPECT_EQ(d.x.shape(), (Shape{2, 1, 2, 2}));
  EXPECT_EQ(d.y.to_int64_vector(), (std::vector<int64_t>{1, 2}));
  put(dir / "imgs.idx", test::idx_bytes(3, {2, 2, 2}, ramp(8)));
  put(dir / "lab.idx", test::idx_bytes(1, {2}, {4, 3}));
  Dataset e = load_dataset((dir / "imgs.idx").string(), {.labels_path = (dir / "lab.idx").string()});
  EXPECT_EQ(e.y.to_int64_vector(), (std::vector<int64_t>{4, 3}));
  EXPECT_FALSE(load_dataset((dir / "imgs.idx").string()).labelled());  // calibration data
}

TEST(DataReaders, Cifar10RecordsFileAndFolder) {
  auto dir = data_tmp("cifar");
  auto batch = [](int n, int label0) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      s += char(label0 + i);
      for (int j = 0; j < 3072; ++j) s += char((i + j) & 0xff);
    }
    return s;
  };
  put(dir / "data_batch_1.bin", batch(2, 0));
  put(dir / "data_batch_2.bin", batch(3, 5));
  put(dir / "test_batch.bin", batch(1, 9));
  Dataset one = load_dataset((dir / "test_batch.bin").string());
  EXPECT_EQ(one.x.shape(), (Shape{1, 3, 32, 32}));
  EXPECT_EQ(one.y.to_int64_vector(), (std::vector<int64_t>{9}));
  Dataset all = load_dataset(dir.string());
  EXPECT_EQ(all.x.shape(), (Shape{5, 3, 32, 32}));
  EXPECT_EQ(all.y.to_int64_vector(), (std::vector<int64_t>{0, 1, 5, 6, 7}));
  // Record 3 (second of batch 2, i = 1), green plane (offset 1024), pixel 0: byte (1 + 1024) & 0xff.
  EXPECT_FLOAT_EQ(all.x.data<float>()[3 * 3072 + 1024], float((1 + 1024) & 0xff) / 255.f);
}

TEST(DataReaders, CsvHeaderLabelLastColumnAndShape) {
  auto dir = data_tmp("csv");
  put(dir / "a.csv", "f0,label,f1,f2,f3\n1,2,3,4,5\n-1.5, 0 ,2e1,0,1\r\n\n");
  Dataset a = load_dataset((dir / "a.csv").string());
  EXPECT_EQ(a.x.shape(), (Shape{2, 4}));
  EXPECT_EQ(a.y.to_int64_vector(), (std::vector<int64_t>{2, 0}));
  EXPECT_FLOAT_EQ(a.x.data<float>()[6], 0.f);
  EXPECT_FLOAT_EQ(a.x.data<float>()[5], 20.f);
  put(dir / "b.csv", "1,2,3,4,1\n5,6,7,8,0\n");
  Dataset b = load_dataset((dir / "b.csv").string(), {.input_shape = {1, 2, 2}});
  EXPECT_EQ(b.x.shape(), (Shape{2, 1, 2, 2}));
  EXPECT_EQ(b.y.to_int64_vector(), (std::vector<int64_t>{1, 0}));
  Dataset c = load_dataset((dir / "b.csv").string(), {.label_column = "none"});
  EXPECT_EQ(c.x.shape(), (Shape{2, 5}));
  EXPECT_FALSE(c.labelled());
}

TEST(DataReaders, NpyIsUnlabelled) {
  auto dir = data_tmp("npy");
  Tensor x = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {3, 2});
  put(dir / "calib.npy", serialize_npy(x));
  Dataset d = load_dataset((dir / "calib.npy").string());
  EXPECT_EQ(d.x.dtype(), DType::kFloat32);  // float64 becomes float32
  EXPECT_EQ(d.x.shape(), (Shape{3, 2}));
  EXPECT_FALSE(d.labelled());
  EXPECT_EQ(d.num_classes(), 0);
}

TEST(DataReaders, NpzRoundTripStoredAndDeflated) {
  auto dir = data_tmp("npz");
  Dataset d{Tensor::from_vector<float>({0.5f, 1, 2, 3, 4, 5}, {3, 2}), Tensor::from_vector<int64_t>({2, 0, 1}, {3})};
  for (bool compress : {false, true}) {
    auto p = dir / (compress ? "z.npz" : "s.npz");
    save_npz(p.string(), d, compress);
    Dataset r = load_dataset(p.string());
    EXPECT_TRUE(r.x.bit_equal(d.x));
    EXPECT_TRUE(r.y.bit_equal(d.y));
  }
  Dataset tokens{Tensor::from_vector<int64_t>({1, 2, 3, 4}, {2, 2}), Tensor()};
  save_npz((dir / "t.npz").string(), tokens);
  Dataset t = load_dataset((dir / "t.npz").string());
  EXPECT_TRUE(t.x.bit_equal(tokens.x));
  EXPECT_FALSE(t.labelled());
  EXPECT_EQ(serialize_npz(d, false), serialize_npz(d, false));  // bytes are a function of the data
}

TEST(DataReaders, NumpyWritesWeRead) {
  ASSERT_TRUE(test::have_numpy()) << "python3-numpy is missing: run scripts/install_peers.sh";
  auto dir = data_tmp("np_writes");
  std::string p = dir.string();
  ASSERT_EQ(test::run_python("x = np.arange(24, dtype=np.float32).reshape(2, 3, 4); y = np.array([3, 1], dtype=np.int32); "
                             "np.savez('" + p + "/s.npz', x=x, y=y); np.savez_compressed('" + p + "/c.npz', x=x, y=y); "
                             "np.savez_compressed('" + p + "/u.npz', x=np.ones((5, 2)))"),
            0);
  for (const char* name : {"s.npz", "c.npz"}) {
    Dataset d = load_dataset(p + "/" + name);
    EXPECT_EQ(d.x.shape(), (Shape{2, 3, 4}));
    EXPECT_FLOAT_EQ(d.x.data<float>()[23], 23.f);
    EXPECT_EQ(d.y.to_int64_vector(), (std::vector<int64_t>{3, 1}));
  }
  Dataset u = load_dataset(p + "/u.npz");
  EXPECT_EQ(u.x.shape(), (Shape{5, 2}));
  EXPECT_FALSE(u.labelled());
}

TEST(DataReaders, NumpyReadsWhatWeWrite) {
  ASSERT_TRUE(test::have_numpy()) << "python3-numpy is missing: run scripts/install_peers.sh";
  auto dir = data_tmp("np_reads");
  Dataset d{Tensor::from_vector<float>({0.25f, 1, 2, 3, 4, 5}, {3, 1, 2}), Tensor::from_vector<int64_t>({2, 0, 1}, {3})};
  save_npz((dir / "ours.npz").string(), d);
  save_npz((dir / "ours_z.npz").string(), d, true);
  for (const char* name : {"ours.npz", "ours_z.npz"})
    EXPECT_EQ(test::run_python("f = np.load('" + (dir / name).string() + "'); "
                               "ok = f['x'].shape == (3, 1, 2) and f['x'].dtype == np.float32 and f['x'][0, 0, 0] == 0.25 "
                               "and list(f['y']) == [2, 0, 1] and f['y'].dtype == np.int64; sys.exit(0 if ok else 1)"),
              0)
        << name;
}

TEST(DataReaders, FormatDetection) {
  auto dir = data_tmp("detect");
  put(dir / "noext", serialize_npy(Tensor::from_vector<float>({1, 2}, {2, 1})));
  EXPECT_EQ(detect_format((dir / "noext").string()), DatasetFormat::kNpy);
  put(dir / "blob", test::gzip_bytes(test::idx_bytes(3, {1, 1, 1}, {0})));
  EXPECT_EQ(detect_format((dir / "blob").string()), DatasetFormat::kIdx);
  EXPECT_EQ(parse_format("cifar10"), DatasetFormat::kCifar10);
  EXPECT_EQ(format_name(DatasetFormat::kCsv), "csv");
}

}  // namespace
}  // namespace shrink::train
