// The check mode of libpmem2 (docs/CHECK.md): off unless PMEM2_CHECK=1 is in
// the environment at the first pmem2_map_new or pmem2_map_from_existing.
// Then the checker (checker.hpp) is installed, every map those two make is
// tracked, and findings (report.hpp) are written when a map is deleted or
// the process exits with maps still mapped (never-durable), and after each
// synchronous call that promised durability at its return
// (not-durable-at-return).
// When it is off, the C API pays one load of a flag at pmem2_map_new,
// pmem2_map_from_existing, pmem2_map_delete and pmem2_get_*_fn, and the
// kernels are the plain ones.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "check/crash.hpp"
#include "check/report.hpp"
#include "memops/memops.hpp"

struct pmem2_map;

namespace pmem2::check::process {

struct settings {
	std::string report_path;		// PMEM2_CHECK_REPORT; empty: stderr
	std::vector<ignore_range> ignores;	// PMEM2_CHECK_IGNORE
	bool crash_states = false;		// PMEM2_CHECK_CRASH_DIR set
	crash::settings crash;			// PMEM2_CHECK_CRASH_* (crash.hpp)
};

// Whether check mode is on. The first call reads PMEM2_CHECK,
// PMEM2_CHECK_REPORT and PMEM2_CHECK_IGNORE and enables it when
// PMEM2_CHECK is "1"; later calls only load the decision.
bool enabled() noexcept;
// -1 undecided, 0 off, 1 on (process.cpp writes it).
extern std::atomic<int> g_mode;
// Whether it is on, without deciding (false until enabled() ran): one load,
// inline, for the builders of futures.
inline bool active() noexcept
{
	return g_mode.load(std::memory_order_acquire) == 1;
}

// Turn check mode on: the checker installed (kernels re-dispatched to the
// recording ones) and the exit check registered (once per process).
void enable(settings s);
// Off again (tests): tracked maps dropped unchecked, checker uninstalled.
void disable() noexcept;

// pmem2_map_new made `m` from a source of descriptor `fd` (-1: anonymous),
// at `offset` in the file: track it, its current bytes durable.
void map_created(pmem2_map *m, int fd, std::size_t offset) noexcept;
// pmem2_map_from_existing made `m` over memory the program mapped, from a
// source of descriptor `fd` (-1: anonymous): track it as map_created does,
// at the file offset of its address when /proc/self/maps shows it mapped
// from that file (else 0).
void map_adopted(pmem2_map *m, int fd) noexcept;
// Before pmem2_map_delete unmaps `m`: its never-durable findings.
// map_deleted() writes them and untracks `m` once the delete succeeded.
std::vector<finding> map_deleting(pmem2_map *m);
void map_deleted(pmem2_map *m, const std::vector<finding> &found) noexcept;
// Every map still tracked, checked and untracked (the exit hook; with
// crash states it then writes the `points` line). Nothing
// in a child forked after check mode was enabled: its parent reports.
void check_all() noexcept;

// After `call` promised [p, p+n) durable: a finding of `kind` for each run
// of it that is not (sync_calls.cpp for the synchronous calls; futures).
void verify_range(const void *p, std::size_t n, const char *call, finding_kind kind) noexcept;

// Futures (src/async/checked.cpp): `call` names the function that made the
// future ("pmem2_memcpy_async", "pmem2_batch_async", ...), `w` the ranges it
// writes or persists. A future made to run is awaited until it completes;
// one still awaited when its map is deleted, or at exit, is an
// incomplete-future finding.
struct written_range {
	const void *p;
	std::size_t n;
	bool operator==(const written_range &) const = default;
};
void future_made(const char *call, const std::vector<written_range> &w) noexcept;
// It completed (`ok`: with result 0): no longer awaited; with `ok`, bytes
// of `w` not durable are not-durable-at-completion findings, and the
// completion is a persistence point named `call`.
void future_completed(const char *call, const std::vector<written_range> &w, bool ok) noexcept;
// Its operation was taken into a batch (pmem2_batch_add_future): the
// batch's future is awaited instead.
void future_taken(const char *call, const std::vector<written_range> &w) noexcept;

// What pmem2_get_*_fn return in check mode for maps of granularity `g`
// (sync_calls.cpp):
// the kernels of memops::ops(g), each followed by a check of its range
// when its flags promise durability at return (for flush, at the next
// drain of the same thread).
struct checked_ops {
	memops::memmove_fn memmove;
	memops::memmove_fn memcpy;
	memops::memset_fn memset;
	memops::flush_fn persist;
	memops::flush_fn flush;
	memops::drain_fn drain;
};
const checked_ops &ops(memops::granularity g) noexcept;

} // namespace pmem2::check::process
