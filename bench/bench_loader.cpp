// Loader throughput: clips/s delivered for batches of 8 clips x 8 frames at 112 and 224, from
// a clip store of synthetic lung-ultrasound clips (deflate and uncompressed), by worker count.
// Also times the two halves of a clip, the HDF5 read and the augmentation, alone.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "data/clip_store_writer.h"
#include "data/loader.h"
#include "data/splits.h"
#include "data/synth/cohort.h"

namespace {

using namespace learner;
using namespace learner::data;

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Packs a small synthetic cohort (16 patients, about 60 clips of 16-24 frames) at `size`.
std::string write_store(int size, Compression compression) {
  synth::CohortOptions o;
  o.patients = 16;
  o.size = size;
  o.min_frames = 16;
  o.max_frames = 24;
  o.seed = 1;
  const synth::Cohort cohort = synth::plan_cohort(o);
  const std::string path = "/tmp/learner_bench_loader_" + std::to_string(getpid()) + "_" +
                           std::to_string(size) + compression_name(compression) + ".h5";
  ClipStoreLayout layout;
  layout.height = layout.width = size;
  layout.compression = compression;
  ClipStoreWriter writer(path, layout);
  std::vector<std::string> patients;
  for (const auto& s : cohort.scans) patients.push_back(s.patient_id);
  const auto split = split_patients(patients, SplitFractions(), 0);
  for (const auto& s : cohort.scans) {
    std::vector<uint8_t> px(static_cast<size_t>(s.look.frames) * size * size);
    synth::render_clip(cohort.patients[s.patient], s.look, size, px.data());
    ScanRecord r;
    r.patient_id = s.patient_id;
    r.scan_id = s.scan_id;
    r.order = s.order;
    r.score = s.score;
    r.modality = "lus";
    r.frames = s.look.frames;
    r.split = split.at(s.patient_id);
    writer.append(r, px.data());
  }
  writer.commit();
  return path;
}

// Clips/s over `epochs` epochs of the whole file (after one warm-up epoch).
double clips_per_second(const std::shared_ptr<const FrameSource>& source, LoaderOptions o, int epochs) {
  o.split = SplitFilter::All;
  Loader loader(source, o);
  Batch batch;
  loader.start_epoch(0);
  while (loader.next(batch)) {
  }
  int64_t clips = 0;
  const double start = now();
  for (int e = 1; e <= epochs; ++e) {
    loader.start_epoch(e);
    while (loader.next(batch)) clips += batch.size();
  }
  return clips / (now() - start);
}

void run(int size, Compression compression, bool preload) {
  const std::string path = write_store(size, compression);
  std::shared_ptr<const FrameSource> source = std::make_shared<ClipStoreSource>(path);
  if (preload) source = load_into_memory(*source);
  const int T = 8, C = 1;
  // The halves of a clip: 8 frames read from HDF5, and augment + normalise in memory.
  std::vector<uint8_t> px(static_cast<size_t>(T) * C * size * size);
  std::vector<float> out(px.size());
  const size_t n = source->scans().size();
  const double read_s = bench::median_seconds([&] {
    for (size_t i = 0; i < n; ++i)
      source->read_frames(i, tsn_indices(source->scans()[i].frames, T, Sampling::Eval), px.data());
  }, 1, 5) / n;
  Generator gen(1);
  const ClipAugment aug = draw_clip_augment(AugmentOptions(), size, size, gen);
  const double augment_s = bench::median_seconds([&] {
    clip_to_input(out.data(), px.data(), T, C, size, size, aug);
  }, 3, 21);
  std::printf("%dx%d %-7s%s: read %.2f ms/clip, augment+normalise %.2f ms/clip (%zu clips)\n",
              size, size, compression_name(compression), preload ? " preloaded" : "", read_s * 1e3, augment_s * 1e3, n);
  for (const bool train : {true, false}) {
    for (const int workers : {0, 1, 2, 4}) {
      LoaderOptions o = train ? LoaderOptions::training() : LoaderOptions::evaluation(SplitFilter::All);
      o.workers = workers;
      o.prefetch = 8;
      std::printf("  %-5s workers %d: %8.1f clips/s\n", train ? "train" : "eval", workers,
                  clips_per_second(source, o, size > 128 ? 3 : 6));
    }
  }
  source.reset();
  std::remove(path.c_str());
}

}  // namespace

LEARNER_BENCHMARK("loader", "clip loader throughput (8 clips x 8 frames) at 112 and 224, by workers") {
  for (const int size : {112, 224}) {
    run(size, Compression::Deflate, false);
    run(size, Compression::None, false);
    run(size, Compression::Deflate, true);
  }
}
