// Small typed helpers over the HDF5 C API for the clip store: scalar and 1-D attributes,
// 1-D numeric and string datasets. Strings are variable-length UTF-8 (h5py reads them as str
// attributes and bytes datasets); readers also accept fixed-length strings.
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

}  // namespace learner::data::h5
