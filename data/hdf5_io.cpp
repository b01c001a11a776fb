// Typed attribute and dataset helpers over the HDF5 C API; every call checked with H5_CHECK.
#include "data/hdf5_io.h"

#include <algorithm>
#include <cstdlib>

#include "data/hdf5_check.h"
#include "base/error.h"

namespace learner::data::h5 {
namespace {

Type utf8_vlen_string() {
  Type type(H5_CHECK(H5Tcopy(H5T_C_S1)));
  H5_CHECK(H5Tset_size(type.get(), H5T_VARIABLE));
  H5_CHECK(H5Tset_cset(type.get(), H5T_CSET_UTF8));
  return type;
}

// Dataset creation without modification times, so that equal content gives equal bytes.
PropList untimed_dataset() {
  PropList plist(H5_CHECK(H5Pcreate(H5P_DATASET_CREATE)));
  H5_CHECK(H5Pset_obj_track_times(plist.get(), 0));
  return plist;
}

Type fixed_string(size_t width) {
  Type type(H5_CHECK(H5Tcopy(H5T_C_S1)));
  H5_CHECK(H5Tset_size(type.get(), width < 1 ? 1 : width));
  H5_CHECK(H5Tset_strpad(type.get(), H5T_STR_NULLPAD));
  H5_CHECK(H5Tset_cset(type.get(), H5T_CSET_UTF8));
  return type;
}

size_t max_length(const std::vector<std::string>& values) {
  size_t width = 1;
  for (const std::string& v : values) width = std::max(width, v.size());
  LEARNER_CHECK(width <= kMaxFixedString, "a string of ", width, " bytes is longer than the ", kMaxFixedString,
                " a clip store holds");
  return width;
}

// One chunk holding the whole dataset, under a Fletcher32 checksum (an empty dataset stays
// contiguous: a chunk cannot be empty, and there is nothing to check).
PropList checked_dataset(hsize_t n) {
  PropList plist = untimed_dataset();
  if (n > 0) {
    H5_CHECK(H5Pset_chunk(plist.get(), 1, &n));
    H5_CHECK(H5Pset_fletcher32(plist.get()));
  }
  return plist;
}

// Fixed-length strings of `width` bytes, NUL padded, into std::string (trailing NULs and,
// for space-padded files, spaces dropped).
std::vector<std::string> split_fixed(const std::vector<char>& buffer, size_t width, size_t count) {
  std::vector<std::string> out(count);
  for (size_t i = 0; i < count; ++i) {
    const char* s = buffer.data() + i * width;
    size_t n = 0;
    while (n < width && s[n] != '\0') ++n;
    out[i].assign(s, n);
    while (!out[i].empty() && out[i].back() == ' ') out[i].pop_back();  // space padding
  }
  return out;
}

// The width of a fixed-length string type, refusing variable-length strings (global heap).
size_t fixed_string_width(hid_t file_type, const char* what, const char* name) {
  LEARNER_CHECK(H5_CHECK(H5Tget_class(file_type)) == H5T_STRING, what, " '", name, "' must hold strings");
  LEARNER_CHECK(H5_CHECK(H5Tis_variable_str(file_type)) == 0, what, " '", name,
                "' holds variable-length strings, which format 2 never writes");
  const size_t width = H5Tget_size(file_type);
  LEARNER_CHECK(width >= 1 && width <= kMaxFixedString, what, " '", name, "' has strings of ", width,
                " bytes (1..", kMaxFixedString, " expected)");
  return width;
}

// A checked dataset is stored uncompressed: its values must all be in the file.
void check_stored(hid_t dataset, const char* name, size_t bytes) {
  const hsize_t stored = H5Dget_storage_size(dataset);
  LEARNER_CHECK(stored >= bytes, "dataset '", name, "' stores ", stored, " bytes where ", bytes, " are due");
}

Space simple_space(hsize_t n) { return Space(H5_CHECK(H5Screate_simple(1, &n, nullptr))); }

hssize_t element_count(hid_t space) { return H5_CHECK(H5Sget_simple_extent_npoints(space)); }

// Reads `count` strings of an attribute or dataset whose file type is `file_type`, through
// `read(mem_type, buffer)`; handles variable- and fixed-length strings.
template <typename Read>
std::vector<std::string> read_strings(hid_t file_type, size_t count, hid_t space, Read read) {
  LEARNER_CHECK(H5_CHECK(H5Tget_class(file_type)) == H5T_STRING, "expected strings");
  std::vector<std::string> out(count);
  if (H5_CHECK(H5Tis_variable_str(file_type)) > 0) {
    Type mem = utf8_vlen_string();
    std::vector<char*> ptrs(count, nullptr);
    read(mem.get(), ptrs.data());
    for (size_t i = 0; i < count; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
    H5_CHECK(H5Dvlen_reclaim(mem.get(), space, H5P_DEFAULT, ptrs.data()));
  } else {
    const size_t width = H5Tget_size(file_type);
    Type mem(H5_CHECK(H5Tcopy(file_type)));
    std::vector<char> buffer(width * count + 1, '\0');
    read(mem.get(), buffer.data());
    out = split_fixed(buffer, width, count);
  }
  return out;
}

}  // namespace

template <> hid_t native_type<uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t native_type<int8_t>() { return H5T_NATIVE_INT8; }
template <> hid_t native_type<int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t native_type<int64_t>() { return H5T_NATIVE_INT64; }
template <> hid_t native_type<uint64_t>() { return H5T_NATIVE_UINT64; }
template <> hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }

bool has_attribute(hid_t object, const char* name) {
  return H5_CHECK(H5Aexists(object, name)) > 0;
}

void write_attribute(hid_t object, const char* name, const std::string& value) {
  Type type = utf8_vlen_string();
  Space space(H5_CHECK(H5Screate(H5S_SCALAR)));
  Attribute attr(H5_CHECK(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT)));
  const char* ptr = value.c_str();
  H5_CHECK(H5Awrite(attr.get(), type.get(), &ptr));
}

template <typename T>
void write_attribute(hid_t object, const char* name, T value) {
  Space space(H5_CHECK(H5Screate(H5S_SCALAR)));
  Attribute attr(H5_CHECK(H5Acreate2(object, name, native_type<T>(), space.get(), H5P_DEFAULT, H5P_DEFAULT)));
  H5_CHECK(H5Awrite(attr.get(), native_type<T>(), &value));
}

template <typename T>
void write_attribute(hid_t object, const char* name, const std::vector<T>& values) {
  Space space = simple_space(values.size());
  Attribute attr(H5_CHECK(H5Acreate2(object, name, native_type<T>(), space.get(), H5P_DEFAULT, H5P_DEFAULT)));
  if (!values.empty()) H5_CHECK(H5Awrite(attr.get(), native_type<T>(), values.data()));
}

std::string read_string_attribute(hid_t object, const char* name) {
  Attribute attr(H5_CHECK(H5Aopen(object, name, H5P_DEFAULT)));
  Type file_type(H5_CHECK(H5Aget_type(attr.get())));
  Space space(H5_CHECK(H5Aget_space(attr.get())));
  LEARNER_CHECK(element_count(space.get()) == 1, "attribute '", name, "' must hold one string");
  auto strings = read_strings(file_type.get(), 1, space.get(), [&](hid_t mem, void* buf) {
    H5_CHECK(H5Aread(attr.get(), mem, buf));
  });
  return strings[0];
}

template <typename T>
std::vector<T> read_attribute_values(hid_t object, const char* name) {
  Attribute attr(H5_CHECK(H5Aopen(object, name, H5P_DEFAULT)));
  Space space(H5_CHECK(H5Aget_space(attr.get())));
  Type file_type(H5_CHECK(H5Aget_type(attr.get())));
  const H5T_class_t cls = H5_CHECK(H5Tget_class(file_type.get()));
  LEARNER_CHECK(cls == H5T_INTEGER || cls == H5T_FLOAT, "attribute '", name, "' must be numeric");
  std::vector<T> values(static_cast<size_t>(element_count(space.get())));
  if (!values.empty()) H5_CHECK(H5Aread(attr.get(), native_type<T>(), values.data()));
  return values;
}

template <typename T>
T read_scalar_attribute(hid_t object, const char* name) {
  const std::vector<T> values = read_attribute_values<T>(object, name);
  LEARNER_CHECK(values.size() == 1, "attribute '", name, "' must hold one value, it holds ", values.size());
  return values[0];
}

bool has_link(hid_t parent, const char* path) {
  return H5_CHECK(H5Lexists(parent, path, H5P_DEFAULT)) > 0;
}

template <typename T>
void write_dataset(hid_t parent, const char* name, const std::vector<T>& values) {
  Space space = simple_space(values.size());
  PropList create = untimed_dataset();
  Dataset ds(H5_CHECK(H5Dcreate2(parent, name, native_type<T>(), space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT)));
  if (!values.empty()) H5_CHECK(H5Dwrite(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
}

void write_string_dataset(hid_t parent, const char* name, const std::vector<std::string>& values) {
  Type type = utf8_vlen_string();
  Space space = simple_space(values.size());
  PropList create = untimed_dataset();
  Dataset ds(H5_CHECK(H5Dcreate2(parent, name, type.get(), space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT)));
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  if (!ptrs.empty()) H5_CHECK(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()));
}

template <typename T>
std::vector<T> read_dataset(hid_t parent, const char* name) {
  Dataset ds(H5_CHECK(H5Dopen2(parent, name, H5P_DEFAULT)));
  Space space(H5_CHECK(H5Dget_space(ds.get())));
  LEARNER_CHECK(H5_CHECK(H5Sget_simple_extent_ndims(space.get())) == 1, "dataset '", name, "' must have rank 1");
  Type file_type(H5_CHECK(H5Dget_type(ds.get())));
  const H5T_class_t cls = H5_CHECK(H5Tget_class(file_type.get()));
  LEARNER_CHECK(cls == H5T_INTEGER || cls == H5T_FLOAT, "dataset '", name, "' must be numeric");
  std::vector<T> values(static_cast<size_t>(element_count(space.get())));
  if (!values.empty()) H5_CHECK(H5Dread(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
  return values;
}

std::vector<std::string> read_string_dataset(hid_t parent, const char* name) {
  Dataset ds(H5_CHECK(H5Dopen2(parent, name, H5P_DEFAULT)));
  Space space(H5_CHECK(H5Dget_space(ds.get())));
  LEARNER_CHECK(H5_CHECK(H5Sget_simple_extent_ndims(space.get())) == 1, "dataset '", name, "' must have rank 1");
  Type file_type(H5_CHECK(H5Dget_type(ds.get())));
  LEARNER_CHECK(H5_CHECK(H5Tget_class(file_type.get())) == H5T_STRING, "dataset '", name, "' must hold strings");
  const size_t count = static_cast<size_t>(element_count(space.get()));
  if (count == 0) return {};
  return read_strings(file_type.get(), count, space.get(), [&](hid_t mem, void* buf) {
    H5_CHECK(H5Dread(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
  });
}

void write_fixed_string_attribute(hid_t object, const char* name, const std::string& value) {
  Type type = fixed_string(max_length({value}));
  Space space(H5_CHECK(H5Screate(H5S_SCALAR)));
  Attribute attr(H5_CHECK(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT)));
  std::vector<char> buffer(H5Tget_size(type.get()), '\0');
  std::copy(value.begin(), value.end(), buffer.begin());
  H5_CHECK(H5Awrite(attr.get(), type.get(), buffer.data()));
}

template <typename T>
void write_checked_dataset(hid_t parent, const char* name, const std::vector<T>& values) {
  Space space = simple_space(values.size());
  PropList create = checked_dataset(values.size());
  Dataset ds(H5_CHECK(H5Dcreate2(parent, name, native_type<T>(), space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT)));
  if (!values.empty()) H5_CHECK(H5Dwrite(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
}

void write_checked_string_dataset(hid_t parent, const char* name, const std::vector<std::string>& values) {
  const size_t width = max_length(values);
  Type type = fixed_string(width);
  Space space = simple_space(values.size());
  PropList create = checked_dataset(values.size());
  Dataset ds(H5_CHECK(H5Dcreate2(parent, name, type.get(), space.get(), H5P_DEFAULT, create.get(), H5P_DEFAULT)));
  std::vector<char> buffer(width * values.size(), '\0');
  for (size_t i = 0; i < values.size(); ++i) std::copy(values[i].begin(), values[i].end(), buffer.begin() + i * width);
  if (!values.empty()) H5_CHECK(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()));
}

bool is_variable_string_attribute(hid_t object, const char* name) {
  Attribute attr(H5_CHECK(H5Aopen(object, name, H5P_DEFAULT)));
  Type type(H5_CHECK(H5Aget_type(attr.get())));
  return H5_CHECK(H5Tget_class(type.get())) == H5T_STRING && H5_CHECK(H5Tis_variable_str(type.get())) > 0;
}

std::string read_fixed_string_attribute(hid_t object, const char* name) {
  Attribute attr(H5_CHECK(H5Aopen(object, name, H5P_DEFAULT)));
  Type file_type(H5_CHECK(H5Aget_type(attr.get())));
  const size_t width = fixed_string_width(file_type.get(), "attribute", name);
  Space space(H5_CHECK(H5Aget_space(attr.get())));
  LEARNER_CHECK(element_count(space.get()) == 1, "attribute '", name, "' must hold one string");
  Type mem(H5_CHECK(H5Tcopy(file_type.get())));
  std::vector<char> buffer(width, '\0');
  H5_CHECK(H5Aread(attr.get(), mem.get(), buffer.data()));
  return split_fixed(buffer, width, 1)[0];
}

std::vector<std::string> read_fixed_string_dataset(hid_t parent, const char* name, size_t expected_count) {
  Dataset ds(H5_CHECK(H5Dopen2(parent, name, H5P_DEFAULT)));
  Space space(H5_CHECK(H5Dget_space(ds.get())));
  LEARNER_CHECK(H5_CHECK(H5Sget_simple_extent_ndims(space.get())) == 1, "dataset '", name, "' must have rank 1");
  const size_t count = static_cast<size_t>(element_count(space.get()));
  LEARNER_CHECK(count == expected_count, "dataset '", name, "' holds ", count, " strings, expected ", expected_count);
  Type file_type(H5_CHECK(H5Dget_type(ds.get())));
  const size_t width = fixed_string_width(file_type.get(), "dataset", name);
  if (count == 0) return {};
  check_stored(ds.get(), name, count * width);
  Type mem(H5_CHECK(H5Tcopy(file_type.get())));
  std::vector<char> buffer(width * count, '\0');
  H5_CHECK(H5Dread(ds.get(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()));
  return split_fixed(buffer, width, count);
}

template <typename T>
std::vector<T> read_dataset_exact(hid_t parent, const char* name, size_t expected_count) {
  Dataset ds(H5_CHECK(H5Dopen2(parent, name, H5P_DEFAULT)));
  Space space(H5_CHECK(H5Dget_space(ds.get())));
  LEARNER_CHECK(H5_CHECK(H5Sget_simple_extent_ndims(space.get())) == 1, "dataset '", name, "' must have rank 1");
  const size_t count = static_cast<size_t>(element_count(space.get()));
  LEARNER_CHECK(count == expected_count, "dataset '", name, "' holds ", count, " values, expected ", expected_count);
  Type file_type(H5_CHECK(H5Dget_type(ds.get())));
  const H5T_class_t cls = H5_CHECK(H5Tget_class(file_type.get()));
  LEARNER_CHECK(cls == H5T_INTEGER || cls == H5T_FLOAT, "dataset '", name, "' must be numeric");
  if (count > 0) check_stored(ds.get(), name, count * H5Tget_size(file_type.get()));
  std::vector<T> values(count);
  if (count > 0) H5_CHECK(H5Dread(ds.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()));
  return values;
}

size_t attribute_length(hid_t object, const char* name) {
  Attribute attr(H5_CHECK(H5Aopen(object, name, H5P_DEFAULT)));
  Space space(H5_CHECK(H5Aget_space(attr.get())));
  return static_cast<size_t>(element_count(space.get()));
}

size_t dataset_length(hid_t parent, const char* name) {
  Dataset ds(H5_CHECK(H5Dopen2(parent, name, H5P_DEFAULT)));
  Space space(H5_CHECK(H5Dget_space(ds.get())));
  LEARNER_CHECK(H5_CHECK(H5Sget_simple_extent_ndims(space.get())) == 1, "dataset '", name, "' must have rank 1");
  return static_cast<size_t>(element_count(space.get()));
}

bool has_filter(hid_t dataset, H5Z_filter_t filter) {
  PropList create(H5_CHECK(H5Dget_create_plist(dataset)));
  const int n = H5_CHECK(H5Pget_nfilters(create.get()));
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, config = 0;
    size_t cd_count = 0;
    const H5Z_filter_t id = H5_CHECK(H5Pget_filter2(create.get(), static_cast<unsigned>(i), &flags, &cd_count,
                                                    nullptr, 0, nullptr, &config));
    if (id == filter) return true;
  }
  return false;
}

#define LEARNER_H5_INSTANTIATE(T)                                                       \
  template void write_attribute<T>(hid_t, const char*, T);                              \
  template void write_attribute<T>(hid_t, const char*, const std::vector<T>&);          \
  template std::vector<T> read_attribute_values<T>(hid_t, const char*);                 \
  template T read_scalar_attribute<T>(hid_t, const char*);                              \
  template void write_dataset<T>(hid_t, const char*, const std::vector<T>&);            \
  template std::vector<T> read_dataset<T>(hid_t, const char*);                         \
  template void write_checked_dataset<T>(hid_t, const char*, const std::vector<T>&);    \
  template std::vector<T> read_dataset_exact<T>(hid_t, const char*, size_t);
LEARNER_H5_INSTANTIATE(uint8_t)
LEARNER_H5_INSTANTIATE(int8_t)
LEARNER_H5_INSTANTIATE(int32_t)
LEARNER_H5_INSTANTIATE(int64_t)
LEARNER_H5_INSTANTIATE(uint64_t)
LEARNER_H5_INSTANTIATE(float)
LEARNER_H5_INSTANTIATE(double)
#undef LEARNER_H5_INSTANTIATE

}  // namespace learner::data::h5
