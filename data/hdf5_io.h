// Small typed helpers over the HDF5 C API for the clip store: scalar and 1-D attributes,
// 1-D numeric and string datasets. The plain writers store variable-length UTF-8 strings (h5py
// reads them as str attributes and bytes datasets); the `checked` writers of the clip store
// (format 2) store fixed-length strings and put every dataset under a Fletcher32 checksum.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace learner::data::h5 {

template <typename T>
hid_t native_type();  // H5T_NATIVE_* for uint8_t, int8_t, int32_t, int64_t, uint64_t, float, double

bool has_attribute(hid_t object, const char* name);
void write_attribute(hid_t object, const char* name, const std::string& value);
template <typename T>
void write_attribute(hid_t object, const char* name, T value);  // numeric scalar
template <typename T>
void write_attribute(hid_t object, const char* name, const std::vector<T>& values);  // 1-D, may be empty

std::string read_string_attribute(hid_t object, const char* name);
// Reads a numeric attribute of any shape, converted to T (HDF5 converts between numeric types).
template <typename T>
std::vector<T> read_attribute_values(hid_t object, const char* name);
template <typename T>
T read_scalar_attribute(hid_t object, const char* name);  // exactly one value

bool has_link(hid_t parent, const char* path);
template <typename T>
void write_dataset(hid_t parent, const char* name, const std::vector<T>& values);
void write_string_dataset(hid_t parent, const char* name, const std::vector<std::string>& values);
template <typename T>
std::vector<T> read_dataset(hid_t parent, const char* name);  // rank 1, converted to T
std::vector<std::string> read_string_dataset(hid_t parent, const char* name);  // rank 1

// Damage-safe variants. Variable-length strings live in HDF5's global heap, which carries no
// checksum, so a damaged file can crash the reader inside HDF5; fixed-length strings are plain
// bytes inside the (checksummed) object. The checked datasets are one chunk with Fletcher32.
inline constexpr size_t kMaxFixedString = 4096;  // bytes per fixed-length string, at most
void write_fixed_string_attribute(hid_t object, const char* name, const std::string& value);
template <typename T>
void write_checked_dataset(hid_t parent, const char* name, const std::vector<T>& values);
void write_checked_string_dataset(hid_t parent, const char* name, const std::vector<std::string>& values);
// True when the attribute or dataset holds variable-length strings (checked without reading them).
bool is_variable_string_attribute(hid_t object, const char* name);
// Refuse variable-length strings and widths over kMaxFixedString; never touch the global heap.
std::string read_fixed_string_attribute(hid_t object, const char* name);
std::vector<std::string> read_fixed_string_dataset(hid_t parent, const char* name, size_t expected_count);
// Rank-1 numeric dataset of exactly `expected_count` values (checked before allocating).
template <typename T>
std::vector<T> read_dataset_exact(hid_t parent, const char* name, size_t expected_count);
// The number of values of an attribute, without reading them.
size_t attribute_length(hid_t object, const char* name);
// The length of a rank-1 dataset, without reading it.
size_t dataset_length(hid_t parent, const char* name);
// True when the dataset's filter pipeline holds `filter` (H5Z_FILTER_FLETCHER32, ...).
bool has_filter(hid_t dataset, H5Z_filter_t filter);

}  // namespace learner::data::h5
