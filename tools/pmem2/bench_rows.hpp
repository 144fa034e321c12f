// The rows pmem2 bench reports, and the ones of the pmem2 extensions
// (batches, copy + CRC32C, asynchronous persist: bench_extensions.cpp)
// beside the comparison of bench.cpp.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <pmem2/pmem2.hpp>

namespace pmem2::tool {

struct measurement {
	std::size_t ops = 0;
	double gbps = 0, latency_us = 0;
};

struct row {
	std::string mode, op, flags, mover;
	std::size_t size = 0, inflight = 0, ops = 0;
	double gbps = 0, latency_us = 0;
	std::optional<measurement> pmdk;
	// PMDK time per operation / ours: above 1, ours is faster.
	double ratio() const { return pmdk ? pmdk->latency_us / latency_us : 0; }
};

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t)
{
	return std::chrono::duration<double>(clock_type::now() - t).count();
}

inline std::size_t slot_offset(std::size_t slot, std::size_t size, std::size_t span)
{
	std::size_t nslots = std::max<std::size_t>(1, span / size);
	return (slot % nslots) * size;
}

// Rows of the extensions, ours only: 16 records of 64 B in one batch
// against 16 pmem2_memcpy calls (time per record); copy + CRC32C in one
// entry against a copy entry then a CRC entry (4 KiB, 64 KiB); the
// caller's CPU time for an asynchronous persist of 1 MiB on the threads
// mover against a synchronous persist.
void extension_rows(const map &plain, const map &with_threads, const std::byte *src, std::size_t src_len,
	double budget, std::vector<row> &rows);

} // namespace pmem2::tool
