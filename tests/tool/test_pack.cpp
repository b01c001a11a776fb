// `learner pack` and `learner inspect`: every source type packs and reads back identical
// frames and metadata, output is deterministic and the split ignores manifest order, and
// every bad input fails with a message naming the problem and leaves no file behind.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "data/clip_store.h"
#include "data/hdf5_check.h"
#include "data/hdf5_io.h"
#include "data/pack.h"
#include "base/error.h"
#include "tests/util/data_test_util.h"
#include "tests/util/source_files.h"

using namespace learner;
using namespace learner::data;

namespace {

const char* kHeader = "patient_id,scan_id,order,score,path,date,modality,fps,pixel_spacing\n";

// Six scans of three patients, one per source type (mp4 when this OpenCV can write it).
struct Cohort {
  test::TempDir dir{"pack"};
  std::vector<std::string> rows;  // manifest lines without the header
  Cohort() {
    test::write_png_folder(dir / "p1_a", 12, 20, 30);
    test::write_video(dir / "p1_b.avi", 7, 24, 32, 12.0);
    test::write_nifti(dir / "p2_a.nii.gz", 9, 8, 6);
    test::write_dicom_multiframe(dir / "p2_b.dcm", 5, 10, 12);
    test::write_dicom_series(dir / "p3_a", 4, 9, 9);
    const bool mp4 = test::write_video(dir / "p3_b.mp4", 6, 16, 16, 25.0);
    rows = {"p1,p1-a,1,150,p1_a,2021-01-02,lus,30,0.2",
            "p1,p1-b,2,290,p1_b.avi,2021-01-05,lus,,",
            "p2,p2-a,1,20,p2_a.nii.gz,,mri,,",
            "p2,p2-b,2,460,p2_b.dcm,,lus,,",
            "p3,p3-a,1,300,p3_a,,mri,,",
            std::string("p3,p3-b,2,200,") + (mp4 ? "p3_b.mp4" : "p1_b.avi") + ",,lus,,"};
  }
  std::string manifest(const std::vector<std::string>& lines, const char* name = "m.csv") const {
    std::string text = kHeader;
    for (const std::string& l : lines) text += l + "\n";
    test::write_text(dir / name, text);
    return dir / name;
  }
};

PackOptions small_options(const std::string& manifest, const std::string& out) {
  PackOptions o;
  o.manifest = manifest;
  o.out = out;
  o.decode.size = 16;
  o.decode.channels = 1;
  o.workers = 2;
  return o;
}

// Files other than the inputs: what a failed pack might leave behind.
std::vector<std::string> outputs(const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& name : test::list_dir(dir)) {
    if (name.find(".h5") != std::string::npos) out.push_back(name);
  }
  return out;
}

}  // namespace

TEST_CASE("pack reads every source type back as identical frames and metadata") {
  Cohort c;
  const std::string manifest = c.manifest(c.rows);
  const PackResult result = pack_clips(small_options(manifest, c.dir / "out.h5"));
  REQUIRE(result.scans.size() == 6);
  CHECK(result.skipped.empty());
  const ClipStoreReader reader(c.dir / "out.h5");
  REQUIRE(reader.scans().size() == 6);
  CHECK(reader.height() == 16);
  CHECK(reader.channels() == 1);
  const char* ids[] = {"p1-a", "p1-b", "p2-a", "p2-b", "p3-a", "p3-b"};
  for (size_t i = 0; i < 6; ++i) {
    const ScanRecord& s = reader.scans()[i];
    CHECK(s.scan_id == ids[i]);
    CHECK(s.patient_id == std::string(ids[i]).substr(0, 2));
    CHECK(s.order == static_cast<int>(i % 2) + 1);
    CHECK(s.score == result.scans[i].score);
    CHECK(s.modality == (i == 2 || i == 4 ? "mri" : "lus"));
    // The frames equal what the source decoder gives for the same file.
    const ManifestRow row = read_manifest(manifest).rows[i];
    DecodeOptions decode;
    decode.size = 16;
    decode.channels = 1;
    const DecodedClip clip = decode_source(row.resolved_path, decode, row.record.pixel_spacing);
    REQUIRE(s.frames == clip.frames);
    std::vector<int64_t> all(static_cast<size_t>(s.frames));
    for (size_t f = 0; f < all.size(); ++f) all[f] = static_cast<int64_t>(f);
    std::vector<uint8_t> frames(all.size() * 16 * 16);
    reader.read_frames(i, all, frames.data());
    CHECK_MESSAGE(frames == clip.pixels, ids[i]);
  }
  const ScanRecord& png = reader.scans()[0];
  CHECK(png.date == "2021-01-02");
  CHECK(png.fps == 30.f);                                    // from the manifest
  CHECK(png.pixel_spacing == doctest::Approx(0.2 * 30 / 16));  // manifest spacing, 30 x 20 padded to 30 x 30
  CHECK(reader.scans()[1].fps == doctest::Approx(12.0));     // from the video
  CHECK(reader.scans()[3].fps == doctest::Approx(25.0));     // from DICOM FrameTime
  CHECK(reader.scans()[2].frames == 6);                      // NIfTI slices along axis 2
  CHECK(reader.scans()[4].frames == 4);                      // DICOM series
  for (size_t i = 0; i < 6; i += 2) CHECK(reader.scans()[i].split == reader.scans()[i + 1].split);
}

TEST_CASE("pack output is deterministic and the split ignores manifest order") {
  Cohort c;
  std::vector<std::string> rows = c.rows;
  PackOptions one = small_options(c.manifest(rows), c.dir / "a.h5");
  one.workers = 1;
  pack_clips(one);
  // A second apart, so that any timestamp HDF5 keeps in the file shows up as a difference
  // every time, not only when the two packs happen to straddle a second (as under load).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  PackOptions three = small_options(c.manifest(rows), c.dir / "b.h5");
  three.workers = 3;
  pack_clips(three);
  CHECK(test::read_file(c.dir / "a.h5") == test::read_file(c.dir / "b.h5"));

  std::reverse(rows.begin(), rows.end());
  std::rotate(rows.begin(), rows.begin() + 2, rows.end());
  pack_clips(small_options(c.manifest(rows, "shuffled.csv"), c.dir / "c.h5"));
  const ClipStoreReader a(c.dir / "a.h5"), b(c.dir / "c.h5");
  std::map<std::string, Split> split_a, split_b;
  for (const ScanRecord& s : a.scans()) split_a[s.scan_id] = s.split;
  for (const ScanRecord& s : b.scans()) split_b[s.scan_id] = s.split;
  CHECK(split_a == split_b);
  CHECK(b.scans()[0].scan_id != a.scans()[0].scan_id);  // file order follows the manifest
}

TEST_CASE("learner pack and inspect run end to end and h5py reads the result") {
  Cohort c;
  const std::string manifest = c.manifest(c.rows);
  const std::string out = c.dir / "clips.h5";
  const test::CommandResult pack = test::run_command(test::learner_binary() + " pack --manifest " + manifest +
                                                     " --out " + out + " --size 16 --channels 3 --workers 2 --seed 4");
  REQUIRE_MESSAGE(pack.exit_code == 0, pack.output);
  CHECK(pack.output.find("6 scans") != std::string::npos);
  CHECK(pack.output.find("categories <180 | 180-275 | 275-430 | >=430") != std::string::npos);
  CHECK(pack.output.find("all") != std::string::npos);
  CHECK(pack.output.find("pack: 6/6") != std::string::npos);  // periodic progress line (stderr is not a TTY)
  const test::CommandResult inspect = test::run_command(test::learner_binary() + " inspect " + out);
  REQUIRE_MESSAGE(inspect.exit_code == 0, inspect.output);
  CHECK(inspect.output.find("integrity: OK") != std::string::npos);
  CHECK(inspect.output.find("3 x 16 x 16") != std::string::npos);
  const test::CommandResult py = test::run_command("/usr/bin/python3 " LEARNER_SOURCE_DIR "/tests/python/read_clip_store.py " + out);
  REQUIRE_MESSAGE(py.exit_code == 0, py.output);
  CHECK(py.output.find("\"scan_id\": \"p3-b\"") != std::string::npos);
  CHECK(py.output.find("\"split_seed\": 4") != std::string::npos);
}

TEST_CASE("inspect reports a damaged clip store") {
  Cohort c;
  const std::string out = c.dir / "clips.h5";
  pack_clips(small_options(c.manifest(c.rows), out));
  {
    h5::File f(H5_CHECK(H5Fopen(out.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)));
    h5::Dataset split(H5_CHECK(H5Dopen2(f.get(), "scans/split", H5P_DEFAULT)));
    const std::vector<int8_t> codes = {0, 2, 1, 1, 0, 0};  // p1 in train and test
    H5_CHECK(H5Dwrite(split.get(), H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, codes.data()));
  }
  const test::CommandResult inspect = test::run_command(test::learner_binary() + " inspect " + out);
  CHECK(inspect.exit_code != 0);
  CHECK(inspect.output.find("patient 'p1' is in both train and test") != std::string::npos);
  CHECK(inspect.output.find("failed the integrity check") != std::string::npos);
  const test::CommandResult missing = test::run_command(test::learner_binary() + " inspect " + (c.dir / "none.h5"));
  CHECK(missing.exit_code != 0);
  CHECK(missing.output.find("cannot open clip store") != std::string::npos);
}

TEST_CASE("bad manifests and files fail with the line, file and problem, and leave no output") {
  Cohort c;
  const std::string ok = "p1,p1-a,1,150,p1_a,,,,";
  struct Case {
    std::vector<std::string> rows;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{ok, "p1,p1-b,2,150,missing.mp4,,,,"}, "m.csv line 3 (scan 'p1-b'): '" + (c.dir / "missing.mp4") + "' does not exist"},
      {{ok, "p1,p1-b,2,150,m.csv,,,,"}, "m.csv line 3 (scan 'p1-b'): '" + (c.dir / "m.csv") + "' has an unknown format"},
      {{ok, "p1,p1-b,2,abc,p1_b.avi,,,,"}, "m.csv line 3, column 'score': 'abc' is not a number"},
      {{ok, "p1,p1-b,2,NaN,p1_b.avi,,,,"}, "m.csv line 3, column 'score': 'NaN' is not a finite number"},
      {{ok, "p2,p1-a,1,150,p1_b.avi,,,,"}, "m.csv line 3, column 'scan_id': duplicate scan id 'p1-a' (first on line 2)"},
      {{ok, "p1,p1-b,2,150,empty.avi,,,,"}, "' is an empty clip: no frames were decoded"},
      {{ok, "p1,p1-b,2,150,truncated.mp4,,,,"}, "m.csv line 3 (scan 'p1-b'): cannot open video"},
      {{ok, "p1,p1-b,2,900,p1_b.avi,,,,"}, "m.csv line 3, column 'score': 900 lies outside the score range [0, 500]"},
  };
  test::write_video(c.dir / "empty.avi", 0, 8, 8, 5.0);
  test::write_text(c.dir / "truncated.mp4", test::read_file(c.dir / "p1_b.avi").substr(0, 300));
  for (const Case& k : cases) {
    CAPTURE(k.expected);
    const std::string manifest = c.manifest(k.rows);
    const test::CommandResult r = test::run_command(test::learner_binary() + " pack --manifest " + manifest + " --out " +
                                                    (c.dir / "out.h5") + " --size 16 --workers 2");
    CHECK(r.exit_code != 0);
    CHECK_MESSAGE(r.output.find(k.expected) != std::string::npos, r.output);
    CHECK(outputs(c.dir.path()).empty());
  }
  test::write_text(c.dir / "nocol.csv", "patient_id,scan_id,order,path\np1,s,1,p1_a\n");
  const test::CommandResult r = test::run_command(test::learner_binary() + " pack --manifest " + (c.dir / "nocol.csv") +
                                                  " --out " + (c.dir / "out.h5") + " --size 16");
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("nocol.csv line 1: missing required column 'score'") != std::string::npos);
  CHECK(outputs(c.dir.path()).empty());
}

TEST_CASE("--skip-bad packs the rest and lists what it skipped") {
  Cohort c;
  std::vector<std::string> rows = c.rows;
  rows.push_back("p4,p4-a,1,100,missing.avi,,,,");
  rows.push_back("p4,p4-b,2,zz,p1_b.avi,,,,");
  const std::string out = c.dir / "out.h5";
  const test::CommandResult r = test::run_command(test::learner_binary() + " pack --manifest " + c.manifest(rows) +
                                                  " --out " + out + " --size 16 --skip-bad");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(r.output.find("skipped 2 bad rows") != std::string::npos);
  CHECK(r.output.find("m.csv line 8 (scan 'p4-a'): '" + (c.dir / "missing.avi") + "' does not exist") != std::string::npos);
  CHECK(r.output.find("m.csv line 9, column 'score': 'zz' is not a number") != std::string::npos);
  CHECK(ClipStoreReader(out).scans().size() == 6);
  CHECK(outputs(c.dir.path()) == std::vector<std::string>{"out.h5"});
}

TEST_CASE("bad pack flags are one-line errors saying what to do") {
  Cohort c;
  const std::string base = test::learner_binary() + " pack --manifest " + c.manifest(c.rows) + " --out " + (c.dir / "o.h5");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" --size 16 --channels 2", "--channels must be 1 (grayscale) or 3 (RGB), got 2"},
      {" --size 4", "--size must be between 8 and 1024 pixels, got 4"},
      {" --size 16 --split 0.5,0.5", "--split takes three fractions TRAIN,VAL,TEST that sum to 1, got '0.5,0.5'"},
      {" --size 16 --split 0.5,0.3,0.3", "--split: split fractions must sum to 1"},
      {" --size 16 --compression lzf", "--compression must be deflate or none, got 'lzf'"},
      {" --size 16 --edges 300,200", "category edges must be strictly increasing"},
      {" --size 16 --edges 100,600", "--edges: edge 600 lies outside the score range"},
      {" --size 16 --score-range 0,30", "with --score-range, give category --edges A,B,... or a change --band X"},
      {" --size 16 --score-range 30,0 --band 2", "--score-range takes two numbers LO,HI with LO < HI, got '30,0'"},
      {" --size 16 --band -1", "--band takes one number >= 0, got '-1'"},
      {" --size 16 --higher-better 2", "--higher-better must be 1 or 0, got 2"},
      {" --size 16 --slice-axis 3", "--slice-axis must be 0, 1 or 2"},
      {" --size 16 --fit zoom", "--fit must be pad, crop or stretch, got 'zoom'"},
      {" --size 16 --window 99,1", "--window takes two percentiles LO,HI"},
      {"", "--size is required"},
  };
  for (const auto& c_flags : cases) {  // no structured binding: CAPTURE is a lambda (clang refuses)
    const std::string& flags = c_flags.first;
    const std::string& expected = c_flags.second;
    CAPTURE(flags);
    const test::CommandResult r = test::run_command(base + flags);
    CHECK(r.exit_code != 0);
    CHECK_MESSAGE(r.output.find(expected) != std::string::npos, r.output);
    CHECK(outputs(c.dir.path()).empty());
  }
  // MMSE-style use: a custom range with a change band packs.
  const test::CommandResult mmse = test::run_command(base + " --size 16 --score-range 0,500 --band 25 --higher-better 1");
  CHECK_MESSAGE(mmse.exit_code == 0, mmse.output);
  CHECK(mmse.output.find("change band of 25") != std::string::npos);
}
