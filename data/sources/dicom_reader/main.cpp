// learner-dicom-reader FILE MEMORY_BYTES: decodes one DICOM file with GDCM and writes the
// answer to standard output: 'o' and the image as bytes (dicom_image.h), or 'e' and the
// message the file was refused with. Started by learner for every DICOM it reads
// (dicom_reader_process.h); not a tool for people. Built without sanitizers, so that the
// address-space cap below holds in every build.
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <string>

#include "base/error.h"
#include "data/sources/dicom_image.h"
#include "data/sources/dicom_reader/gdcm_decode.h"

namespace {

bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t wrote = ::write(fd, data, n);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    data += wrote;
    n -= static_cast<size_t>(wrote);
  }
  return true;
}

// Address space in use now (the executable, GDCM's libraries, the heap so far), in bytes.
uint64_t address_space_in_use() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  statm >> pages;
  return pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// GDCM's Reader::Read catches a std::bad_alloc and only returns false, so an allocation over
// the cap is noted here, where operator new fails, for the message.
bool g_out_of_memory = false;

void note_out_of_memory() {
  g_out_of_memory = true;
  throw std::bad_alloc();
}

std::string out_of_memory_message(const std::string& path, unsigned long long budget) {
  return learner::str("DICOM '", path, "' is damaged: reading it takes GDCM, the DICOM library, more than the ", budget >> 20,
                      " MiB its size and declared image allow; copy or export the file again from its source");
}

int answer(char status, const std::string& body) {
  return write_all(STDOUT_FILENO, &status, 1) && write_all(STDOUT_FILENO, body.data(), body.size()) ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: learner-dicom-reader FILE MEMORY_BYTES (started by learner, not by hand)\n");
    return 2;
  }
  const std::string path = argv[1];
  char* end = nullptr;
  const unsigned long long budget = std::strtoull(argv[2], &end, 10);
  if (end == argv[2] || *end != '\0' || budget == 0) {
    std::fprintf(stderr, "learner-dicom-reader: MEMORY_BYTES must be a positive integer, not '%s'\n", argv[2]);
    return 2;
  }
  // A cap on address space, not on resident memory: GDCM's huge allocations fail at once
  // (std::bad_alloc) instead of touching gigabytes first.
  const uint64_t limit = address_space_in_use() + budget;
  const rlimit cap{limit, limit};
  if (::setrlimit(RLIMIT_AS, &cap) != 0) {
    std::fprintf(stderr, "learner-dicom-reader: cannot cap its memory: %s\n", std::strerror(errno));
    return 2;
  }
  std::set_new_handler(note_out_of_memory);
  try {
    return answer('o', learner::data::sources::to_bytes(learner::data::sources::decode_with_gdcm(path)));
  } catch (const learner::Error& e) {
    return answer('e', g_out_of_memory ? out_of_memory_message(path, budget) : e.what());
  } catch (const std::bad_alloc&) {
    return answer('e', out_of_memory_message(path, budget));
  } catch (const std::length_error&) {
    return answer('e', learner::str("DICOM '", path, "' is damaged: GDCM, the DICOM library, meets a length no "
                                    "buffer can hold in it; copy or export the file again from its source"));
  }
}
