// Embedding export to HDF5.
#include "train/embed_file.h"

#include <unistd.h>

#include <cstdio>

#include "data/hdf5_check.h"
#include "data/hdf5_io.h"
#include "train/embedding.h"
#include "train/pretrain.h"
#include "train/pretrained.h"

namespace learner::train {

void run_embed(const EmbedOptions& o) {
  const auto word = backbone_words().find(o.backbone);
  LEARNER_CHECK(word != backbone_words().end(), "embed: unknown --backbone '", o.backbone, "'");
  EncoderSpec spec;
  spec.backbone = word->second;
  spec.frames = o.frames;
  const Device device = device_from_flag(o.device);
  auto source = std::make_shared<data::ClipStoreSource>(o.data);
  auto model = load_pretrained(o.checkpoint, spec, *source, device);
  const SplitEmbeddings e =
      embed_split(*model, source, data::parse_split_filter(o.split), spec.frames, 16, o.workers, device);
  LEARNER_CHECK(!e.scans.empty(), o.data, ": split '", o.split, "' has no scans");

  std::vector<std::string> scan_ids, patient_ids, splits;
  for (int64_t s : e.scans) {
    const data::ScanRecord& r = source->scans()[s];
    scan_ids.push_back(r.scan_id);
    patient_ids.push_back(r.patient_id);
    splits.push_back(data::split_name(r.split));
  }

  namespace h5 = data::h5;
  h5::quiet_errors();
  const std::string tmp = o.out + ".tmp." + std::to_string(::getpid());
  try {
    h5::File file(H5_CHECK(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)));
    const hsize_t dims[2] = {static_cast<hsize_t>(e.embeddings.size(0)), static_cast<hsize_t>(e.embeddings.size(1))};
    h5::Space space(H5_CHECK(H5Screate_simple(2, dims, nullptr)));
    h5::Dataset ds(H5_CHECK(H5Dcreate2(file.get(), "embeddings", H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                       H5P_DEFAULT, H5P_DEFAULT)));
    H5_CHECK(H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, e.embeddings.data<float>()));
    ds.close();
    h5::write_string_dataset(file.get(), "scan_id", scan_ids);
    h5::write_string_dataset(file.get(), "patient_id", patient_ids);
    h5::write_string_dataset(file.get(), "split", splits);
    h5::write_dataset(file.get(), "score", e.scores);
    h5::write_dataset(file.get(), "prediction", e.predictions);
    h5::write_attribute(file.get(), "checkpoint", o.checkpoint);
    h5::write_attribute(file.get(), "data", o.data);
    h5::write_attribute(file.get(), "backbone", o.backbone);
    h5::write_attribute(file.get(), "frames", static_cast<int32_t>(o.frames));
    file.close();
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  LEARNER_CHECK(std::rename(tmp.c_str(), o.out.c_str()) == 0, "embed: cannot write '", o.out, "'");
  std::printf("embed: %lld scans x %lld -> %s\n", static_cast<long long>(e.embeddings.size(0)),
              static_cast<long long>(e.embeddings.size(1)), o.out.c_str());
}

}  // namespace learner::train
