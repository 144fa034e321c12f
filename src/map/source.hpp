// Data sources: an anonymous size or a borrowed file descriptor.
#pragma once

#include <cstddef>
#include <sys/types.h>

#include "common/result.hpp"

namespace pmem2 {

enum class source_kind { anon, fd };
enum class file_kind { none, reg, devdax, dir };

// What a source records at creation. Copied into every map (fd set to -1).
struct source_info {
	source_kind kind = source_kind::anon;
	file_kind ftype = file_kind::none;	// none for anonymous sources (DIFFERENCES.md A13)
	int fd = -1;
	dev_t rdev = 0;		// st_rdev (device DAX)
	dev_t dev = 0;		// st_dev (regular files)
	std::size_t anon_size = 0;
};

// Classify `fd` and fill `out` (pmem2_source_from_fd(3)).
int source_from_fd(int fd, source_info &out);
source_info source_from_anon(std::size_t size) noexcept;

// Size in bytes (pmem2_source_size(3)) and mapping alignment
// (pmem2_source_alignment(3)), device DAX ones from sysfs.
result<std::size_t> source_size(const source_info &src);
result<std::size_t> source_alignment(const source_info &src);

// Device DAX attributes from sysfs (through the redirectable root).
result<std::size_t> devdax_size(dev_t rdev);
result<std::size_t> devdax_alignment(dev_t rdev);

} // namespace pmem2

struct pmem2_source {
	pmem2::source_info info;
};
