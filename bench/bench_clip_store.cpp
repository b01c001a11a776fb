// Clip store costs: write and read time per clip and file size for each compression setting
// and chunk shape, on ultrasound-like frames (a sector of smoothed speckle with depth
// attenuation, black outside); and `pack` throughput from MJPG videos with 1 and 2 threads.
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "data/clip_store.h"
#include "data/clip_store_writer.h"
#include "data/pack.h"

namespace {

using namespace learner::data;
namespace fs = std::filesystem;

// (F, 1, n, n) uint8 frames: a fan of speckle that drifts between frames.
std::vector<uint8_t> ultrasound_like_clip(int frames, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(1e-6f, 1.f);
  cv::Mat field(n * 2, n * 2, CV_32F);
  for (int r = 0; r < field.rows; ++r)
    for (int c = 0; c < field.cols; ++c) field.at<float>(r, c) = std::sqrt(-2.f * std::log(u(rng)));  // Rayleigh
  cv::blur(field, field, cv::Size(3, 3));
  std::vector<uint8_t> out(static_cast<size_t>(frames) * n * n);
  const float apex_c = n / 2.f, half_angle = 0.62f;
  for (int f = 0; f < frames; ++f) {
    for (int r = 0; r < n; ++r) {
      for (int c = 0; c < n; ++c) {
        const float dy = static_cast<float>(r) + 1.f, dx = static_cast<float>(c) - apex_c;
        const float depth = std::sqrt(dx * dx + dy * dy) / static_cast<float>(n);
        const bool inside = std::fabs(std::atan2(dx, dy)) < half_angle && depth < 0.95f;
        if (!inside) continue;
        const float pleura = std::exp(-std::pow((depth - 0.3f) * 40.f, 2.f)) * 1.5f;
        // The tissue drifts one pixel down and half a pixel across per frame; 20% fresh noise.
        const float drift = field.at<float>(r + f % n, c + (f / 2) % n) * (0.8f + 0.4f * u(rng));
        const float v = drift * (std::exp(-1.6f * depth) + pleura) * 70.f;
        out[(static_cast<size_t>(f) * n + r) * n + c] = static_cast<uint8_t>(std::min(255.f, v));
      }
    }
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

LEARNER_BENCHMARK("clip_store", "clip store write/read per clip and size: compression x chunk, 112 and 224") {
  const int clips = 24, frames = 64, T = 8;
  const std::string path = "/tmp/learner_bench_clips.h5";
  std::printf("%-5s %-12s %5s %10s %8s %12s %14s %14s\n", "size", "compression", "chunk", "MB on disk", "ratio",
              "write ms/clip", "read T=8 ms/clip", "read all ms/clip");
  for (int n : {112, 224}) {
    std::vector<std::vector<uint8_t>> data;
    for (int i = 0; i < clips; ++i) data.push_back(ultrasound_like_clip(frames, n, 7 + static_cast<uint32_t>(i)));
    struct Config { Compression compression; int level; int chunk; };
    for (const Config cfg : {Config{Compression::None, 1, 1}, Config{Compression::Deflate, 1, 1},
                             Config{Compression::Deflate, 4, 1}, Config{Compression::Deflate, 6, 1},
                             Config{Compression::Deflate, 1, 8}}) {
      ClipStoreLayout layout;
      layout.height = layout.width = n;
      layout.compression = cfg.compression;
      layout.deflate_level = cfg.level;
      layout.chunk_frames = cfg.chunk;
      const auto start = std::chrono::steady_clock::now();
      {
        ClipStoreWriter writer(path, layout);
        for (int i = 0; i < clips; ++i) {
          ScanRecord r;
          r.patient_id = "p" + std::to_string(i / 3);
          r.scan_id = "s" + std::to_string(i);
          r.order = i % 3;
          r.score = 200.f;
          r.frames = frames;
          writer.append(r, data[static_cast<size_t>(i)].data());
        }
        writer.commit();
      }
      const double write_s = seconds_since(start);
      const double mb = static_cast<double>(fs::file_size(path)) / 1e6;
      const double raw_mb = static_cast<double>(clips) * frames * n * n / 1e6;
      ClipStoreReader reader(path);
      std::vector<uint8_t> buf(static_cast<size_t>(frames) * n * n);
      std::vector<int64_t> eval(T), all(frames);
      for (int t = 0; t < T; ++t) eval[static_cast<size_t>(t)] = static_cast<int64_t>((t + 0.5) * frames / T);
      for (int f = 0; f < frames; ++f) all[static_cast<size_t>(f)] = f;
      const double read_t = learner::bench::median_seconds([&] {
        for (int i = 0; i < clips; ++i) reader.read_frames(static_cast<size_t>(i), eval, buf.data());
      }, 1, 5);
      const double read_all = learner::bench::median_seconds([&] {
        for (int i = 0; i < clips; ++i) reader.read_frames(static_cast<size_t>(i), all, buf.data());
      }, 1, 3);
      char name[32];
      std::snprintf(name, sizeof(name), "%s%s", compression_name(cfg.compression),
                    cfg.compression == Compression::Deflate ? (":" + std::to_string(cfg.level)).c_str() : "");
      std::printf("%-5d %-12s %5d %10.2f %8.2f %12.2f %14.3f %14.2f\n", n, name, cfg.chunk, mb, raw_mb / mb,
                  1e3 * write_s / clips, 1e3 * read_t / clips, 1e3 * read_all / clips);
    }
  }
  fs::remove(path);
}

LEARNER_BENCHMARK("pack", "learner pack from MJPG videos (320x240, 64 frames) to 112 and 224: threads x compression") {
  const std::string dir = "/tmp/learner_bench_pack";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const int clips = 32, frames = 64;
  std::string manifest = "patient_id,scan_id,order,score,path\n";
  for (int i = 0; i < clips; ++i) {
    const std::vector<uint8_t> clip = ultrasound_like_clip(frames, 240, 100 + static_cast<uint32_t>(i));
    const std::string name = "clip" + std::to_string(i) + ".avi";
    cv::VideoWriter writer(dir + "/" + name, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30.0,
                           cv::Size(320, 240), false);
    for (int f = 0; f < frames; ++f) {
      cv::Mat frame(240, 320, CV_8UC1, cv::Scalar(0));
      cv::Mat(240, 240, CV_8UC1, const_cast<uint8_t*>(clip.data()) + static_cast<size_t>(f) * 240 * 240)
          .copyTo(frame(cv::Rect(40, 0, 240, 240)));
      writer.write(frame);
    }
    manifest += "p" + std::to_string(i / 4) + ",s" + std::to_string(i) + "," + std::to_string(i % 4) + ",250," + name + "\n";
  }
  {
    FILE* f = std::fopen((dir + "/m.csv").c_str(), "w");
    std::fputs(manifest.c_str(), f);
    std::fclose(f);
  }
  std::printf("%-5s %-8s %-12s %10s %12s\n", "size", "threads", "compression", "seconds", "clips/s");
  for (int size : {112, 224})
  for (int workers : {1, 2}) {
    for (Compression c : {Compression::None, Compression::Deflate}) {
      PackOptions o;
      o.manifest = dir + "/m.csv";
      o.out = dir + "/out.h5";
      o.decode.size = size;
      o.workers = workers;
      o.compression = c;
      const auto start = std::chrono::steady_clock::now();
      pack_clips(o);
      const double s = seconds_since(start);
      std::printf("%-5d %-8d %-12s %10.2f %12.1f\n", size, workers, compression_name(c), s, clips / s);
    }
  }
  fs::remove_all(dir);
}
