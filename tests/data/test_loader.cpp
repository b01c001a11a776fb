// The clip loader on an in-memory source: verification order, normalisation, determinism
// across worker counts, rank shards, split filters and errors.
#include <algorithm>
#include <cstring>
#include <memory>
#include <set>

#include "data/clip_store_writer.h"
#include "data/loader.h"
#include "data/pack.h"
#include "data/synth/cohort.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;
using namespace learner::data;

namespace {

constexpr int kC = 1, kH = 6, kW = 5;

// Scan i: patient i / 3, F = 3 + (i * 5) % 11 frames (some shorter than T = 8), splits
// cycling train, train, val, test, score 40 * i + 7; pixels random.
std::shared_ptr<MemorySource> make_source(int scans, uint64_t seed = 1) {
  auto source = std::make_shared<MemorySource>(kC, kH, kW);
  Generator gen(seed);
  const Split splits[] = {Split::Train, Split::Train, Split::Val, Split::Test};
  for (int i = 0; i < scans; ++i) {
    ScanRecord r;
    r.patient_id = "p" + std::to_string(i / 3);
    r.scan_id = "s" + std::to_string(i);
    r.order = i % 3;
    r.score = 40.f * i + 7.f;
    r.frames = 3 + (i * 5) % 11;
    r.split = splits[i % 4];
    std::vector<uint8_t> px(r.frames * kC * kH * kW);
    for (uint8_t& v : px) v = static_cast<uint8_t>(gen.randint(256));
    source->add_scan(r, std::move(px));
  }
  return source;
}

std::vector<Batch> run_epoch(Loader& loader, int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> batches;
  Batch b;
  while (loader.next(b)) batches.push_back(b);
  return batches;
}

// The expected network input of scan `scan` at the segment centres, no augmentation.
std::vector<float> eval_clip(const MemorySource& source, int64_t scan, int T) {
  const auto idx = tsn_indices(source.scans()[scan].frames, T, Sampling::Eval);
  std::vector<uint8_t> px(idx.size() * kC * kH * kW);
  source.read_frames(static_cast<size_t>(scan), idx, px.data());
  std::vector<float> out(px.size());
  for (size_t i = 0; i < px.size(); ++i) out[i] = normalize_pixel(px[i]);
  return out;
}

}  // namespace

TEST_CASE("loader verification mode: batch k is training scans kB..kB+B-1 in file order") {
  auto source = make_source(23);
  LoaderOptions o = LoaderOptions::verification();
  o.batch_size = 3;
  Loader loader(source, o);
  std::vector<int64_t> train;
  for (size_t i = 0; i < source->scans().size(); ++i)
    if (source->scans()[i].split == Split::Train) train.push_back(static_cast<int64_t>(i));
  CHECK(loader.split_scans() == train);
  const std::vector<Batch> batches = run_epoch(loader, 0);
  REQUIRE(batches.size() == (train.size() + 2) / 3);
  size_t next = 0;
  for (const Batch& b : batches) {
    CHECK(b.x.shape() == Shape{b.size() * 8, kC, kH, kW});
    const std::vector<float> x = b.x.to_vector();
    const std::vector<float> y = b.y.to_vector();
    for (int64_t i = 0; i < b.size(); ++i, ++next) {
      const int64_t scan = train[next];
      const ScanRecord& r = source->scans()[scan];
      CHECK(b.scans[i] == scan);
      CHECK(b.scan_ids[i] == r.scan_id);
      CHECK(b.patient_ids[i] == r.patient_id);
      CHECK(b.scores[i] == r.score);
      CHECK(y[i] == doctest::Approx((r.score - 0.f) / 500.f));
      CHECK(b.padding[i] == 0);
      const std::vector<float> ref = eval_clip(*source, scan, 8);
      CHECK(std::equal(ref.begin(), ref.end(), x.begin() + i * ref.size()));
    }
  }
  CHECK(next == train.size());
  // The same epoch again gives the same batches; so does make_batch directly.
  CHECK(test::bit_equal(run_epoch(loader, 0)[1].x, batches[1].x));
  CHECK(test::bit_equal(loader.make_batch(0, 1).x, batches[1].x));
}

TEST_CASE("loader: evaluation options never augment, whatever the seed") {
  auto source = make_source(17);
  LoaderOptions o = LoaderOptions::evaluation(SplitFilter::Val);
  o.batch_size = 2;
  o.seed = 99;
  Loader loader(source, o);
  for (const Batch& b : run_epoch(loader, 3)) {
    const std::vector<float> x = b.x.to_vector();
    for (int64_t i = 0; i < b.size(); ++i) {
      CHECK(source->scans()[b.scans[i]].split == Split::Val);
      const std::vector<float> ref = eval_clip(*source, b.scans[i], 8);
      CHECK(std::equal(ref.begin(), ref.end(), x.begin() + i * ref.size()));
    }
  }
}

TEST_CASE("loader: training batches are the same bits for 0, 1 and 3 workers") {
  auto source = make_source(29);
  LoaderOptions o = LoaderOptions::training(SplitFilter::All);
  o.batch_size = 4;
  o.seed = 5;
  o.workers = 0;
  Loader serial(source, o);
  o.workers = 1;
  Loader one(source, o);
  o.workers = 3;
  o.prefetch = 2;
  Loader three(source, o);
  for (int64_t epoch : {0, 1}) {
    const auto a = run_epoch(serial, epoch), b = run_epoch(one, epoch), c = run_epoch(three, epoch);
    REQUIRE(a.size() == 8);
    REQUIRE(b.size() == a.size());
    REQUIRE(c.size() == a.size());
    for (size_t k = 0; k < a.size(); ++k) {
      CHECK(a[k].index == static_cast<int64_t>(k));
      CHECK(a[k].scans == b[k].scans);
      CHECK(a[k].scans == c[k].scans);
      CHECK(test::bit_equal(a[k].x, b[k].x));
      CHECK(test::bit_equal(a[k].x, c[k].x));
      CHECK(test::bit_equal(a[k].y, c[k].y));
    }
  }
  // Augmented training input differs from the plain evaluation input and between epochs.
  const auto e0 = run_epoch(serial, 0), e1 = run_epoch(serial, 1);
  CHECK(e0[0].scans != e1[0].scans);
  const std::vector<float> x = e0[0].x.to_vector();
  const std::vector<float> ref = eval_clip(*source, e0[0].scans[0], 8);
  CHECK_FALSE(std::equal(ref.begin(), ref.end(), x.begin()));
}

TEST_CASE("loader: rank shards are disjoint, padded to equal length, from one shuffle") {
  auto source = make_source(23);  // 12 training scans
  const int world = 5;            // 12 -> padded to 15, 3 clips a rank
  LoaderOptions o = LoaderOptions::training();
  o.batch_size = 2;
  o.world_size = world;
  o.seed = 17;
  o.workers = 2;
  for (int64_t epoch : {0, 4}) {
    std::vector<int64_t> seen;
    int padded = 0;
    std::vector<int64_t> order0;
    for (int rank = 0; rank < world; ++rank) {
      o.rank = rank;
      Loader loader(source, o);
      CHECK(loader.shard_size() == 3);
      CHECK(loader.batches_per_epoch() == 2);
      const std::vector<int64_t> order = loader.epoch_order(epoch);
      if (rank == 0) order0 = order;
      CHECK(order == order0);  // every rank shuffles alike
      int64_t clips = 0;
      for (const Batch& b : run_epoch(loader, epoch)) {
        clips += b.size();
        for (int64_t i = 0; i < b.size(); ++i) {
          CHECK(b.scans[i] == order[(b.index * 2 + i) * world + rank]);
          if (b.padding[i]) ++padded;
          else seen.push_back(b.scans[i]);
        }
      }
      CHECK(clips == 3);
    }
    CHECK(padded == 3);
    std::vector<int64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());  // disjoint
    std::vector<int64_t> train = Loader(source, o).split_scans();
    CHECK(sorted == train);  // and together they cover the split
  }
  // Another epoch, another permutation; the same epoch, the same one.
  Loader loader(source, o);
  CHECK(loader.epoch_order(0) != loader.epoch_order(1));
  CHECK(loader.epoch_order(2) == loader.epoch_order(2));
}

TEST_CASE("loader: drop_last, restarts, split filters") {
  auto source = make_source(23);
  LoaderOptions o = LoaderOptions::evaluation(SplitFilter::Test);  // scans 3, 7, ..., 19: 5
  o.batch_size = 2;
  Loader keep(source, o);
  auto batches = run_epoch(keep, 0);
  REQUIRE(batches.size() == 3);
  CHECK(batches[2].size() == 1);
  CHECK(batches[2].x.shape() == Shape{8, kC, kH, kW});
  o.drop_last = true;
  Loader drop(source, o);
  CHECK(run_epoch(drop, 0).size() == 2);
  // Restarting mid-epoch starts again from batch 0.
  keep.start_epoch(0);
  Batch b;
  REQUIRE(keep.next(b));
  keep.start_epoch(0);
  REQUIRE(keep.next(b));
  CHECK(b.index == 0);
  CHECK(parse_split_filter("all") == SplitFilter::All);
  CHECK_THROWS_WITH_AS(parse_split_filter("dev"), doctest::Contains("unknown split 'dev'"), Error);
}

namespace {
// A source whose scan 2 cannot be read: the error reaches the consumer, in order.
class FailingSource : public MemorySource {
 public:
  FailingSource() : MemorySource(kC, kH, kW) {}
  void read_frames(size_t scan, const std::vector<int64_t>& idx, uint8_t* out) const override {
    LEARNER_CHECK(scan != 2, "cannot read scan 2");
    MemorySource::read_frames(scan, idx, out);
  }
};
}  // namespace

TEST_CASE("loader: bad use and read errors") {
  auto source = make_source(5);
  LoaderOptions o = LoaderOptions::evaluation(SplitFilter::All);
  o.rank = 2;
  o.world_size = 2;
  CHECK_THROWS_WITH_AS(Loader(source, o), "loader: rank 2 is not in [0, world size 2)", Error);
  auto empty = std::make_shared<MemorySource>(1, 2, 2);
  CHECK_THROWS_WITH_AS(Loader(empty, LoaderOptions::training()),
                       "loader: memory has no scans in split 'train'", Error);
  o = LoaderOptions::evaluation(SplitFilter::All);
  Loader never_started(source, o);
  Batch b;
  CHECK_THROWS_WITH_AS(never_started.next(b), doctest::Contains("start_epoch"), Error);

  auto failing = std::make_shared<FailingSource>();
  for (int i = 0; i < 4; ++i) {
    ScanRecord r;
    r.scan_id = "s" + std::to_string(i);
    r.frames = 2;
    failing->add_scan(r, std::vector<uint8_t>(2 * kC * kH * kW, 9));
  }
  o.batch_size = 1;
  o.workers = 2;
  Loader loader(failing, o);
  loader.start_epoch(0);
  CHECK(loader.next(b));
  CHECK(loader.next(b));
  CHECK_THROWS_WITH_AS(loader.next(b), "cannot read scan 2", Error);
  CHECK(loader.next(b));
  CHECK(b.scans[0] == 3);
}

TEST_CASE("loader on a clip store of synthetic clips; preloaded into memory, the same bits") {
  test::TempDir dir("loader_store");
  synth::CohortOptions co = synth::CohortOptions::fast();
  co.patients = 4;
  const synth::Cohort cohort = synth::plan_cohort(co);
  ClipStoreLayout layout;
  layout.height = layout.width = co.size;
  const std::string path = dir / "synth.h5";
  {
    ClipStoreWriter writer(path, layout);
    for (size_t i = 0; i < cohort.scans.size(); ++i) {
      const synth::SynthScan& s = cohort.scans[i];
      std::vector<uint8_t> px(static_cast<size_t>(s.look.frames) * co.size * co.size);
      synth::render_clip(cohort.patients[s.patient], s.look, co.size, px.data());
      ScanRecord r;
      r.patient_id = s.patient_id;
      r.scan_id = s.scan_id;
      r.order = s.order;
      r.score = s.score;
      r.frames = s.look.frames;
      r.split = i % 3 == 0 ? Split::Val : Split::Train;
      writer.append(r, px.data());
    }
    writer.commit();
  }
  auto store = std::make_shared<ClipStoreSource>(path);
  REQUIRE(store->scans().size() == cohort.scans.size());
  auto memory = load_into_memory(*store);
  LoaderOptions o = LoaderOptions::training(SplitFilter::All);
  o.batch_size = 3;
  o.seed = 2;
  Loader from_file(store, o);
  o.workers = 0;
  Loader from_memory(memory, o);
  const auto a = run_epoch(from_file, 1), b = run_epoch(from_memory, 1);
  REQUIRE(a.size() == b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    CHECK(a[k].scan_ids == b[k].scan_ids);
    CHECK(test::bit_equal(a[k].x, b[k].x));
    CHECK(test::bit_equal(a[k].y, b[k].y));
  }
  // Verification order over the file: training scans in file order, segment centres.
  Loader verify(store, LoaderOptions::verification());
  size_t next = 0;
  for (const Batch& batch : run_epoch(verify, 0)) {
    const std::vector<float> x = batch.x.to_vector();
    for (int64_t i = 0; i < batch.size(); ++i, ++next) {
      const int64_t scan = verify.split_scans()[next];
      CHECK(batch.scans[i] == scan);
      const auto idx = tsn_indices(store->scans()[scan].frames, 8, Sampling::Eval);
      std::vector<uint8_t> px(idx.size() * co.size * co.size);
      store->read_frames(static_cast<size_t>(scan), idx, px.data());
      for (size_t j = 0; j < px.size(); ++j) REQUIRE(x[i * px.size() + j] == normalize_pixel(px[j]));
    }
  }
  CHECK(next == verify.split_scans().size());
}

TEST_CASE("loader: input buffers are recycled only once nothing else holds them") {
  auto source = make_source(23);
  LoaderOptions o = LoaderOptions::training(SplitFilter::All);
  o.batch_size = 2;
  o.workers = 0;
  Loader loader(source, o);
  loader.start_epoch(0);
  Batch kept, b;
  REQUIRE(loader.next(kept));  // held by the caller for the whole epoch
  const Tensor kept_ref = loader.make_batch(0, 0).x;
  REQUIRE(loader.next(b));
  const float* first = b.x.data<float>();
  REQUIRE(loader.next(b));
  REQUIRE(loader.next(b));
  CHECK(b.x.data<float>() == first);  // batch 1's buffer, free again by batch 3
  while (loader.next(b)) CHECK(b.x.data<float>() != kept.x.data<float>());
  CHECK(test::bit_equal(kept.x, kept_ref));
}

TEST_CASE("end to end: learner synth -> pack -> loader feeds batches") {
  test::TempDir dir("synth_pack_loader");
  synth::CohortOptions co = synth::CohortOptions::fast();
  co.patients = 5;
  co.seed = 21;
  const synth::Cohort cohort = synth::plan_cohort(co);
  synth::write_cohort(cohort, co, dir.path());
  PackOptions po;
  po.manifest = dir / "manifest.csv";
  po.out = dir / "synth.h5";
  po.decode.size = 24;  // pack resizes the 32 x 32 frames
  po.workers = 2;
  const PackResult packed = pack_clips(po);
  REQUIRE(packed.scans.size() == cohort.scans.size());

  auto store = std::make_shared<ClipStoreSource>(po.out);
  CHECK(store->height() == 24);
  for (const SplitFilter split : {SplitFilter::Train, SplitFilter::Val, SplitFilter::Test}) {
    LoaderOptions o = split == SplitFilter::Train ? LoaderOptions::training()
                                                  : LoaderOptions::evaluation(split);
    o.batch_size = 4;
    Loader loader(store, o);
    int64_t clips = 0;
    for (const Batch& b : run_epoch(loader, 0)) {
      CHECK(b.x.shape() == Shape{b.size() * 8, 1, 24, 24});
      const std::vector<float> y = b.y.to_vector();
      for (int64_t i = 0; i < b.size(); ++i) {
        const ScanRecord& r = store->scans()[b.scans[i]];
        CHECK(split_matches(split, r.split));
        CHECK(y[i] == doctest::Approx(r.score / 500.f));
        ++clips;
      }
    }
    CHECK(clips == static_cast<int64_t>(loader.split_scans().size()));
  }
}

TEST_CASE("loader: N ranks with batch B/N see, together, the clips and pixels of one rank with B") {
  auto source = make_source(24);  // 12 training scans: no padding for 2 ranks
  LoaderOptions o = LoaderOptions::training();
  o.seed = 8;
  o.workers = 0;
  o.batch_size = 4;
  Loader single(source, o);
  o.batch_size = 2;
  o.world_size = 2;
  o.rank = 0;
  Loader rank0(source, o);
  o.rank = 1;
  Loader rank1(source, o);
  const auto s = run_epoch(single, 3), r0 = run_epoch(rank0, 3), r1 = run_epoch(rank1, 3);
  REQUIRE(s.size() == 3);
  REQUIRE(r0.size() == 3);
  REQUIRE(r1.size() == 3);
  const int64_t clip = 8 * kC * kH * kW;
  for (size_t k = 0; k < s.size(); ++k) {
    const std::vector<float> xs = s[k].x.to_vector();
    for (int64_t i = 0; i < 4; ++i) {
      // Global position 4k + i lives on rank i % 2 as its clip i / 2 of batch k.
      const Batch& part = i % 2 == 0 ? r0[k] : r1[k];
      CHECK(part.scans[i / 2] == s[k].scans[i]);
      const std::vector<float> xp = part.x.to_vector();
      CHECK(std::equal(xs.begin() + i * clip, xs.begin() + (i + 1) * clip, xp.begin() + (i / 2) * clip));
    }
  }
}
