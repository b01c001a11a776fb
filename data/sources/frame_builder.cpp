// The frame builder: channel conversion, square fit, area (down) / bilinear (up) resize and
// CHW packing; and percentile windowing for data wider than 8 bits.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "data/sources/source_internal.h"
#include "base/error.h"

namespace learner::data::sources {

ClipBuilder::ClipBuilder(SourceKind kind, const DecodeOptions& options) : options_(options) { clip_.kind = kind; }

void ClipBuilder::add(const cv::Mat& frame, bool rgb) {
  LEARNER_CHECK(frame.depth() == CV_8U && !frame.empty(), "frame builder: expected a non-empty 8-bit frame");
  const int cn = frame.channels();
  LEARNER_CHECK(cn == 1 || cn == 3 || cn == 4, "frame builder: frames must have 1, 3 or 4 channels, got ", cn);
  cv::Mat converted;
  if (options_.channels == 1) {
    if (cn == 1) converted = frame;
    else cv::cvtColor(frame, converted, cn == 3 ? (rgb ? cv::COLOR_RGB2GRAY : cv::COLOR_BGR2GRAY)
                                                : (rgb ? cv::COLOR_RGBA2GRAY : cv::COLOR_BGRA2GRAY));
  } else {
    if (cn == 1) cv::cvtColor(frame, converted, cv::COLOR_GRAY2RGB);
    else if (cn == 3 && rgb) converted = frame;
    else if (cn == 3) cv::cvtColor(frame, converted, cv::COLOR_BGR2RGB);
    else cv::cvtColor(frame, converted, rgb ? cv::COLOR_RGBA2RGB : cv::COLOR_BGRA2RGB);
  }
  if (clip_.frames == 0) {
    first_rows_ = frame.rows;
    first_cols_ = frame.cols;
  }
  // Make it square.
  cv::Mat square;
  const int rows = converted.rows, cols = converted.cols;
  if (options_.fit == Fit::Pad && rows != cols) {
    const int side = std::max(rows, cols);
    const int top = (side - rows) / 2, left = (side - cols) / 2;
    cv::copyMakeBorder(converted, square, top, side - rows - top, left, side - cols - left, cv::BORDER_CONSTANT,
                       cv::Scalar::all(0));
  } else if (options_.fit == Fit::Crop && rows != cols) {
    const int side = std::min(rows, cols);
    square = converted(cv::Rect((cols - side) / 2, (rows - side) / 2, side, side));
  } else {
    square = converted;
  }
  const int n = options_.size;
  cv::Mat resized;
  if (square.rows == n && square.cols == n) {
    resized = square;
  } else {
    const bool shrink = square.rows * square.cols > n * n;
    cv::resize(square, resized, cv::Size(n, n), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  if (!resized.isContinuous()) resized = resized.clone();
  // HWC -> CHW.
  const int c = options_.channels;
  const size_t plane = static_cast<size_t>(n) * static_cast<size_t>(n);
  const size_t base = clip_.pixels.size();
  clip_.pixels.resize(base + plane * static_cast<size_t>(c));
  const uint8_t* src = resized.ptr<uint8_t>();
  for (size_t p = 0; p < plane; ++p) {
    for (int ch = 0; ch < c; ++ch) clip_.pixels[base + static_cast<size_t>(ch) * plane + p] = src[p * c + ch];
  }
  ++clip_.frames;
}

DecodedClip ClipBuilder::finish(const std::string& path, float fps, double source_spacing) {
  LEARNER_CHECK(clip_.frames > 0, "'", path, "' is an empty clip: no frames were decoded");
  clip_.fps = fps > 0 && std::isfinite(fps) ? fps : 0.f;
  if (source_spacing > 0) {
    // Output pixels per source pixel along the width, from the first frame's geometry.
    double across = first_cols_;  // source pixels that span the output width
    if (options_.fit == Fit::Pad) across = std::max(first_rows_, first_cols_);
    if (options_.fit == Fit::Crop) across = std::min(first_rows_, first_cols_);
    clip_.pixel_spacing = static_cast<float>(source_spacing * across / options_.size);
  }
  return std::move(clip_);
}

Window percentile_window(const std::vector<float>& values, float low_pct, float high_pct) {
  const size_t stride = std::max<size_t>(1, values.size() / (size_t{1} << 22));
  std::vector<float> sample;
  sample.reserve(values.size() / stride + 1);
  for (size_t i = 0; i < values.size(); i += stride) {
    if (!std::isnan(values[i])) sample.push_back(values[i]);
  }
  Window w;
  if (sample.empty()) return w;
  auto at = [&](float pct) {
    const size_t k = static_cast<size_t>(std::llround(pct / 100.0 * static_cast<double>(sample.size() - 1)));
    std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(k), sample.end());
    return static_cast<double>(sample[k]);
  };
  w.lo = at(low_pct);
  w.hi = at(high_pct);
  if (!(w.hi > w.lo)) w.hi = w.lo + 1.0;  // a constant scan maps to black
  return w;
}

cv::Mat window_to_u8(const float* values, int rows, int cols, const Window& window) {
  cv::Mat out(rows, cols, CV_8UC1);
  const double scale = 255.0 / (window.hi - window.lo);
  for (int r = 0; r < rows; ++r) {
    uint8_t* dst = out.ptr<uint8_t>(r);
    for (int c = 0; c < cols; ++c) {
      const double v = values[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)];
      const double t = std::isnan(v) ? 0.0 : std::clamp((v - window.lo) * scale, 0.0, 255.0);
      dst[c] = static_cast<uint8_t>(std::lround(t));
    }
  }
  return out;
}

}  // namespace learner::data::sources
