// scripts/paper end to end at its --smoke size (12 patients at 32 px, 1 epoch): the rows it is
// told to train finish, the results page holds them beside the paper's numbers with a verdict,
// rows not trained are pending, each verdict is read against the paper's direction, a second
// invocation keeps finished runs, and a bad argument is refused. The numbers mean nothing at
// this size; the plumbing is what is tested.
#include <string>

#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using test::run_command;

namespace {

std::string paper(const test::TempDir& dir, const std::string& rows, const std::string& args) {
  return "cd " LEARNER_SOURCE_DIR " && LEARNER=" + test::learner_binary() + " OUT=" + (dir / "paper") +
         " RESULTS=" + (dir / "results.md") + " SEEDS=1 RUN_ONLY='" + rows + "' scripts/paper " + args + " 2>&1";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("scripts/paper --smoke: the transformer rows of Table 4 train and reach the results page with verdicts") {
  test::TempDir dir("paper_script");
  auto first = run_command(paper(dir, "wcl_tsm_cos wcl_swin-tiny_cos wcl_videomae-tiny_cos", "--smoke"));
  REQUIRE_MESSAGE(first.exit_code == 0, first.output);
  CHECK(test::file_exists(dir / "paper/runs/wcl_swin-tiny_cos_s1/eval.json"));
  CHECK(test::file_exists(dir / "paper/runs/wcl_videomae-tiny_cos_s1/eval.json"));
  CHECK_FALSE(test::file_exists(dir / "paper/runs/mse_tsm_cos_s1/eval.json"));
  const std::string page = test::read_file(dir / "results.md");
  CAPTURE(page);
  CHECK(has(page, "finished runs: 3 of 11"));
  CHECK(has(page, "| 4 | Swin | MSE + wCL | 55.48 | 0.380 | 1 | "));
  CHECK(has(page, "| 4 | Video MAE | MSE + wCL | 56.80 | 0.400 | 1 | "));
  CHECK(has(page, "| 4 | ViT | MSE | 54.27 | 0.370 | pending: no finished run |"));
  CHECK(has(page, "Swin, MSE + wCL - TSM, MSE + wCL: "));
  CHECK(has(page, "VideoMAE, MSE + wCL - TSM, MSE + wCL: "));
  CHECK(has(page, "Swin, MSE + wCL - Swin, MSE: pending (no finished run of mse_swin-tiny_cos)"));
  // The reading: each verdict against the paper's direction in macro F1.
  CHECK(has(page, "## Reading"));
  CHECK(has(page, "- Table 4, Swin, MSE + wCL - Swin, MSE: not run yet (the paper: higher, macro F1 0.38 against 0.16)"));
  const bool read_swin = has(page, "- Table 4, Swin, MSE + wCL - TSM, MSE + wCL: no difference shown here") ||
                         has(page, "- Table 4, Swin, MSE + wCL - TSM, MSE + wCL: agrees with the paper") ||
                         has(page, "- Table 4, Swin, MSE + wCL - TSM, MSE + wCL: goes against the paper");
  CHECK(read_swin);

  // Finished runs are kept: a report-only pass trains nothing and writes the same rows.
  auto again = run_command(paper(dir, "", "--smoke --report-only"));
  REQUIRE_MESSAGE(again.exit_code == 0, again.output);
  CHECK_FALSE(has(again.output, "== "));
  CHECK(has(test::read_file(dir / "results.md"), "| 4 | Swin | MSE + wCL | 55.48 | 0.380 | 1 | "));

  auto bad = run_command(paper(dir, "", "--fast"));
  CHECK(bad.exit_code == 2);
  CHECK(has(bad.output, "unknown argument '--fast'"));
}
