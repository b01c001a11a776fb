// Manifest CSV parsing: quoting, optional columns, relative paths, and messages that name
// the manifest, the line, the column and the problem.
#include <doctest/doctest.h>

#include "data/manifest.h"
#include "base/error.h"
#include "tests/util/data_test_util.h"

using namespace learner;
using namespace learner::data;

namespace {
const char* kHeader = "patient_id,scan_id,order,score,path\n";

std::string error_of(const std::string& text) {
  try {
    parse_manifest(text, "m.csv", "/data");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("manifest rows parse with quotes, optional columns and relative paths") {
  const std::string text =
      "\xEF\xBB\xBF Patient_ID , scan_id,order,score,path,date,modality,fps,pixel_spacing,notes\r\n"
      "p1,s1,1,210.5,clips/a.mp4,2021-02-03,LUS,30,0.2,\"said \"\"fine\"\", then left\"\r\n"
      "\r\n"
      "\"p,2\",s2,2,99,/abs/b.nii.gz,,,,,\"two\nlines\"\n"
      "p1,s3,-1,1e2,\"c d/\",2021-02-05T10:00,mri,,,\n";
  const Manifest m = parse_manifest(text, "m.csv", "/data");
  CHECK(m.path == "m.csv");
  CHECK(m.ignored_columns == std::vector<std::string>{"notes"});
  CHECK(m.skipped.empty());
  REQUIRE(m.rows.size() == 3);
  const ScanRecord& a = m.rows[0].record;
  CHECK(m.rows[0].line == 2);
  CHECK(a.patient_id == "p1");
  CHECK(a.scan_id == "s1");
  CHECK(a.order == 1);
  CHECK(a.score == 210.5f);
  CHECK(a.source_path == "clips/a.mp4");
  CHECK(m.rows[0].resolved_path == "/data/clips/a.mp4");
  CHECK(a.date == "2021-02-03");
  CHECK(a.modality == "lus");
  CHECK(a.fps == 30.f);
  CHECK(a.pixel_spacing == 0.2f);
  CHECK(m.rows[1].line == 4);
  CHECK(m.rows[1].record.patient_id == "p,2");
  CHECK(m.rows[1].resolved_path == "/abs/b.nii.gz");
  CHECK(m.rows[1].record.fps == 0.f);
  CHECK(m.rows[2].line == 6);  // the quoted field of line 4 spans two lines
  CHECK(m.rows[2].record.order == -1);
  CHECK(m.rows[2].record.score == 100.f);
  CHECK(m.rows[2].record.source_path == "c d/");
}

TEST_CASE("manifest errors name the manifest, the line, the column and the problem") {
  CHECK(error_of("") == "m.csv is empty; it needs a header line with patient_id, scan_id, order, score, path");
  CHECK(error_of("patient_id,scan_id,order,path\np,s,1,x\n")
            .find("m.csv line 1: missing required column 'score' (the header has: patient_id, scan_id, order, path)") == 0);
  CHECK(error_of("patient_id,scan_id,order,score,path,Score\n").find("column 'score' appears twice") !=
        std::string::npos);
  const std::string h = kHeader;
  CHECK(error_of(h + "p,s,1,abc,x\n") == "m.csv line 2, column 'score': 'abc' is not a number");
  CHECK(error_of(h + "p,s,1,nan,x\n").find("m.csv line 2, column 'score': 'nan' is not a finite number") == 0);
  CHECK(error_of(h + "p,s,1,,x\n") == "m.csv line 2, column 'score': is empty");
  CHECK(error_of(h + "p,s,1.5,3,x\n").find("m.csv line 2, column 'order': '1.5' is not an integer") == 0);
  CHECK(error_of(h + "p,s,1,3,x\nq,s,2,4,y\n") ==
        "m.csv line 3, column 'scan_id': duplicate scan id 's' (first on line 2); scan ids must be unique");
  CHECK(error_of(h + "p,s,1,3,x\np,t,1,4,y\n").find("m.csv line 3, column 'order': patient 'p' already has a scan with order 1 (line 2)") == 0);
  CHECK(error_of(h + "p,s,1,3\n").find("m.csv line 2: 4 fields but the header has 5") == 0);
  CHECK(error_of(h + "p,s,1,3,\"x\n").find("m.csv line 2: a quoted field is not closed") == 0);
  CHECK(error_of("patient_id,scan_id,order,score,path,date\np,s,1,3,x,03/04/2021\n")
            .find("m.csv line 2, column 'date': '03/04/2021' is not an ISO 8601 date") == 0);
  CHECK(error_of("patient_id,scan_id,order,score,path,fps\np,s,1,3,x,-2\n")
            .find("m.csv line 2, column 'fps': '-2' is not a positive number") == 0);
}

TEST_CASE("manifest bad rows are listed, not fatal, when skipping") {
  const std::string text = std::string(kHeader) + "p,s1,1,3,x\np,s2,2,zz,y\np,s1,3,4,z\nq,s4,1,600,w\n";
  Manifest m = parse_manifest(text, "m.csv", ".", /*skip_bad_rows=*/true);
  REQUIRE(m.rows.size() == 2);
  REQUIRE(m.skipped.size() == 2);
  CHECK(m.skipped[0].line == 3);
  CHECK(m.skipped[0].message.find("'zz' is not a number") != std::string::npos);
  CHECK(m.skipped[1].line == 4);
  CHECK(m.skipped[1].message.find("duplicate scan id") != std::string::npos);
  CHECK_THROWS_WITH_AS(check_manifest_scores(m, ScoreSpec()),
                       doctest::Contains("m.csv line 5, column 'score': 600 lies outside the score range [0, 500]"), Error);
  Manifest m2 = parse_manifest(text, "m.csv", ".", true);
  check_manifest_scores(m2, ScoreSpec(), true);
  CHECK(m2.rows.size() == 1);
  CHECK(m2.skipped.size() == 3);
}

TEST_CASE("manifest files resolve paths against their folder") {
  test::TempDir dir("manifest");
  test::write_text(dir / "m.csv", std::string(kHeader) + "p,s,1,3,clips/x.mp4\n");
  const Manifest m = read_manifest(dir / "m.csv");
  REQUIRE(m.rows.size() == 1);
  CHECK(m.rows[0].resolved_path == dir / "clips/x.mp4");
  CHECK_THROWS_WITH_AS(read_manifest(dir / "none.csv"), doctest::Contains("cannot read manifest"), Error);
}
