// Crash states of the check mode (docs/CHECK.md, "Crash states"): at chosen
// persistence points (checker::set_point_hook) the library writes, for each
// file a tracked map maps, a crash image: the file as it is on disk with the
// mapped range replaced by the durable image as of just before the point
// (a power failure at the point). With reordering, also images in which
// some of the units (lines at CACHE_LINE, pages at PAGE) that were written
// but not durable at the point were written back early.
//
// Which points: N of them (PMEM2_CHECK_CRASH_POINTS, at most max_points),
// chosen uniformly over the run in one pass by seeded reservoir sampling: the
// first N points are kept, a later one replaces a kept one at random (its
// images are deleted and a crash-drop line says so). A run of <= N points
// keeps every point. The report lines (report.hpp has the findings'):
//   crash-point <index> <call> <thread> <choice> <image> <file>
//   crash-drop <index>
//   points <total>
// <choice> is "durable" or "early=OFF+LEN,..." (the units of <file>, as file
// offsets, written back early); <image> and <file> are encoded as paths of
// findings are. `points` is written by the exit check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "memops/memops.hpp"

namespace pmem2::check {
class checker;
}

namespace pmem2::check::crash {

inline constexpr unsigned max_points = 64;
// Reorder bound per file and point: every non-empty subset of the pending
// units when there are at most all_subsets_units of them (<= 15 images),
// else random_subsets seeded random ones.
inline constexpr std::size_t all_subsets_units = 4;
inline constexpr unsigned random_subsets = 8;

struct settings {
	std::string dir;		// PMEM2_CHECK_CRASH_DIR: where images go
	unsigned points = max_points;	// PMEM2_CHECK_CRASH_POINTS (1..max_points)
	std::uint64_t seed = 0;		// PMEM2_CHECK_CRASH_SEED
	bool reorder = false;		// PMEM2_CHECK_CRASH_REORDER=1
};
// From the environment: false when PMEM2_CHECK_CRASH_DIR is unset or empty;
// a malformed value is reported in `err` and its default used.
bool from_env(settings &out, std::string &err);

// A deterministic generator of the seed and two more numbers.
std::uint64_t mix(std::uint64_t seed, std::uint64_t a, std::uint64_t b) noexcept;

// Seeded reservoir sampling of `slots` items over a stream.
class reservoir {
public:
	reservoir(unsigned slots, std::uint64_t seed) : slots_(slots), seed_(seed) {}
	// The slot the item of this (0-based, increasing) index takes, or -1.
	int offer(std::uint64_t index) const noexcept;

private:
	unsigned slots_;
	std::uint64_t seed_;
};

// The reorder subsets of `units` pending units at point `point`: each a
// list of unit indices, increasing, non-empty; bounded as above.
std::vector<std::vector<std::size_t>> subsets(std::size_t units, std::uint64_t seed, std::uint64_t point);

// One file-backed tracked map at a point.
struct mapped {
	std::string path;
	std::uint64_t file_offset = 0;
	const void *base = nullptr;
	std::size_t len = 0;
	memops::granularity g = memops::granularity::page;
	// The file's identity when it was mapped (st_dev, st_ino): the bytes
	// outside the mappings are read from PATH only while it still names
	// that file. ino 0: not checked.
	std::uint64_t dev = 0;
	std::uint64_t ino = 0;
};

// A crash-point line, parsed.
struct state {
	std::uint64_t index = 0;
	std::string call;
	std::uint64_t thread = 0;
	std::string choice;
	std::string image;
	std::string file;
};
std::string format(const state &s);
bool parse(std::string_view line, state &out);
// "crash-drop N" and "points N".
bool parse_drop(std::string_view line, std::uint64_t &index);
bool parse_points(std::string_view line, std::uint64_t &total);

// The crash states of one process: at_point() at every point, finish() at
// exit. Thread-safe (one point at a time).
class recorder {
public:
	recorder(settings s, std::string report_path);
	~recorder();
	void at_point(const checker &c, const std::vector<mapped> &maps, const char *call) noexcept;
	void finish() noexcept;
	std::uint64_t points() const noexcept;

	struct impl;

private:
	std::unique_ptr<impl> p_;
};

} // namespace pmem2::check::crash
