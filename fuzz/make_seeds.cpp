// Writes the seed corpora of the fuzz targets into OUT/<target>/: the files the tests use
// (tests/util/source_files.h imaging files, a small clip store, a checkpoint, manifests, configs).
// Usage: learner_fuzz_seeds OUT
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "data/clip_store_writer.h"
#include "framework/safetensors.h"
#include "framework/tensor.h"
#include "tests/util/source_files.h"

using namespace learner;
namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

void clip_store(const fs::path& path, data::Compression compression, int channels) {
  data::ClipStoreLayout layout;
  layout.channels = channels;
  layout.height = 6;
  layout.width = 5;
  layout.compression = compression;
  data::ClipStoreWriter writer(path.string(), layout);
  for (int i = 0; i < 2; ++i) {
    data::ScanRecord r;
    r.patient_id = "p" + std::to_string(i);
    r.scan_id = "s" + std::to_string(i);
    r.order = i;
    r.score = 200.f + 100.f * static_cast<float>(i);
    r.source_path = "a.mp4";
    r.modality = "lus";
    r.frames = 2;
    r.split = i == 0 ? data::Split::Train : data::Split::Val;
    std::vector<uint8_t> frames(static_cast<size_t>(r.frames * channels * 6 * 5));
    for (size_t k = 0; k < frames.size(); ++k) frames[k] = static_cast<uint8_t>(k * 37 + i);
    writer.append(r, frames.data());
  }
  writer.commit();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  for (const char* t : {"manifest_csv", "json_config", "safetensors", "clip_store", "dicom", "nifti"})
    fs::create_directories(out / t);

  write_text(out / "manifest_csv" / "basic.csv",
             "patient_id,scan_id,order,score,path\np1,s1,1,210.5,a.mp4\np1,s2,2,99,b.mp4\n");
  write_text(out / "manifest_csv" / "full.csv",
             "\xEF\xBB\xBF Patient_ID , scan_id,order,score,path,date,modality,fps,pixel_spacing,notes\r\n"
             "p1,s1,1,210.5,clips/a.mp4,2021-02-03,LUS,30,0.2,\"said \"\"fine\"\", then left\"\r\n\r\n"
             "\"p,2\",s2,2,99,/abs/b.nii.gz,,,,,\"two\nlines\"\n"
             "p1,s3,-1,1e2,\"c d/\",2021-02-05T10:00,mri,,,\n");
  write_text(out / "manifest_csv" / "bad.csv",
             "patient_id,scan_id,order,score,path\np1,s1,x,nan,a\np1,s1,1,1e999,\"open\n");

  write_text(out / "json_config" / "basic.json", "{\"out\": \"run\", \"lr\": 0.01, \"sync-bn\": true}");
  write_text(out / "json_config" / "list.json", "{\"edges\": [180, 275.5, 430], \"sync_bn\": false, \"steps\": null}");
  write_text(out / "json_config" / "bad.json", "{\"unknown\": 1, \"lr\": \"x\"}");

  Tensor a = Tensor::from_vector(std::vector<float>{1.f, -2.f, 3.5f, 0.25f, 5.f, 6.f}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<float>{7.f}, {1});
  write_safetensors((out / "safetensors" / "two.safetensors").string(), {{"w", a}, {"b", b}}, {{"format", "pt"}});
  write_safetensors((out / "safetensors" / "empty.safetensors").string(), {});

  clip_store(out / "clip_store" / "deflate.h5", data::Compression::Deflate, 1);
  clip_store(out / "clip_store" / "none_rgb.h5", data::Compression::None, 3);

  test::write_dicom_multiframe((out / "dicom" / "multiframe.dcm").string(), 3, 6, 5);
  const fs::path series = out / "dicom-series";
  fs::create_directories(series);
  test::write_dicom_series(series.string(), 2, 5, 6);
  for (const auto& entry : fs::directory_iterator(series))
    fs::copy_file(entry.path(), out / "dicom" / ("slice_" + entry.path().filename().string()),
                  fs::copy_options::overwrite_existing);
  fs::remove_all(series);

  test::write_nifti((out / "nifti" / "volume.nii").string(), 5, 4, 3);
  return 0;
}
