// safetensors: bit-exact round trips, and every kind of corrupt file is a clear error.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "framework/safetensors.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {
std::string temp_path(const char* name) {
  return "/tmp/learner_test_" + std::to_string(::getpid()) + "_" + name;
}

void write_raw(const std::string& path, const std::string& header, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i, n >>= 8) out.put(static_cast<char>(n & 0xff));
  out << header << data;
}
}  // namespace

TEST_CASE("safetensors round trip keeps every bit, dtype, shape and metadata") {
  const std::string path = temp_path("roundtrip.safetensors");
  NamedTensors tensors = {
      {"encoder.conv1.weight", test::random_tensor({4, 1, 3, 3}, 1)},
      {"encoder.bn1.num_batches_tracked", Tensor::from_vector<int64_t>({7}, {})},
      {"ids", Tensor::from_vector<int32_t>({3, -4, 5}, {3})},
      {"pixels", Tensor::from_vector<uint8_t>({0, 255, 17}, {1, 3})},
      {"empty", Tensor::zeros({0, 5})},
  };
  write_safetensors(path, tensors, {{"format", "pt"}, {"learner", "1"}});
  const SafetensorsFile file = read_safetensors(path);
  CHECK(file.metadata.at("format") == "pt");
  REQUIRE(file.tensors.size() == tensors.size());
  for (const auto& entry : tensors) {  // no structured binding: clang-14 cannot capture one in doctest's lambdas
    const std::string& name = entry.first;
    const Tensor* read = file.find(name);
    REQUIRE_MESSAGE(read != nullptr, name);
    CHECK_MESSAGE(test::bit_equal(*read, entry.second), name);
  }
  CHECK(file.find("missing") == nullptr);
  CHECK(::access((path + ".tmp." + std::to_string(::getpid())).c_str(), F_OK) != 0);
  std::remove(path.c_str());
}

TEST_CASE("corrupt safetensors files give clear errors") {
  const std::string path = temp_path("bad.safetensors");
  const std::string ok_entry = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string eight(8, '\0');

  write_raw(path, ok_entry, eight.substr(0, 4));
  CHECK_THROWS_WITH_AS(read_safetensors(path), doctest::Contains("is truncated: tensor 'w' ends"), Error);
  write_raw(path, ok_entry, eight + "xyz");
  CHECK_THROWS_WITH_AS(read_safetensors(path), doctest::Contains("3 bytes after the last tensor"), Error);
  write_raw(path, ok_entry, eight);
  CHECK(read_safetensors(path).tensors.size() == 1);

  { std::ofstream(path, std::ios::binary) << "abc"; }
  CHECK_THROWS_WITH_AS(read_safetensors(path), doctest::Contains("truncated"), Error);

  { std::ofstream out(path, std::ios::binary); out << std::string("\xff\xff\xff\xff\x00\x00\x00\x00", 8) << "{}"; }
  CHECK_THROWS_WITH_AS(read_safetensors(path), doctest::Contains("header claims"), Error);

  write_raw(path, "{not json", "");
  CHECK_THROWS_WITH_AS(read_safetensors(path), doctest::Contains("not JSON"), Error);

  write_raw(path, R"({"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", eight);
  CHECK_THROWS_WITH_AS(read_safetensors(path), doctest::Contains("unsupported dtype \"F64\""), Error);

  write_raw(path, R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight);
  CHECK_THROWS_WITH_AS(read_safetensors(path), doctest::Contains("needs 12"), Error);

  write_raw(path, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight);
  CHECK_THROWS_WITH_AS(read_safetensors(path), doctest::Contains("overlaps"), Error);

  write_raw(path, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", eight);
  CHECK_THROWS_AS(read_safetensors(path), Error);

  write_raw(path, R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight);
  CHECK_THROWS_WITH_AS(read_safetensors(path), doctest::Contains("negative"), Error);

  CHECK_THROWS_WITH_AS(read_safetensors(temp_path("does_not_exist")), doctest::Contains("cannot open"), Error);
  std::remove(path.c_str());
}

TEST_CASE("writing to an unwritable place fails cleanly") {
  CHECK_THROWS_WITH_AS(write_safetensors("/nonexistent_dir/x.safetensors", {{"a", Tensor::zeros({1})}}),
                       doctest::Contains("/nonexistent_dir/x.safetensors"), Error);
}
