// The durable-operation protocol between libpmem2 and the movers that make
// data durable themselves (libpmem2's default mover, libminiasync's threads
// mover). Both libraries include this header; it holds types and constants
// only, no state, so nothing here exists twice at run time.
//
// What a durable operation carries, inside its ordinary struct vdm_operation:
//   * the request (guard generation, map granularity, the caller's
//     PMEM2_F_MEM_* hints) packed into the operation's flags by pack(),
//     above the VDM_F_* bits, with bit 63 (f_request) set;
//   * a pointer to the map's guard in bytes 32..39 of operation.data, which
//     no vdm operation member uses (the union is 40 bytes, members <= 32).
// The guard is never freed and points to libpmem2's `services`: the mover
// enters the guard, runs the durable kernels and leaves it through those
// functions, so every piece of state involved (kernel dispatch, recorder,
// registry-aware page sync, guard counters and their wake-ups) exists once,
// in libpmem2.
//
// The answer: when a durable operation completes, whoever completed it
// stores its status in operation.padding (an int32_t): status_ok,
// status_refused (the map was gone, nothing was written) or the -errno of a
// failed persist (the bytes were written but may not be durable).
//
// Generations are 32 bits, odd while the map lives. A guard whose
// generation reaches gen_limit is never recycled (see durable/guard_pool.cpp), so a
// generation is never live twice on one guard and a stale request can never
// match a later map.
#pragma once

#include <libminiasync/vdm.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pmem2::durable {

struct batch_entry;	// durable/batch.hpp

struct request {
	std::uint32_t gen = 0;		// the guard generation the future was made in
	unsigned granularity = 0;	// enum pmem2_granularity
	unsigned hints = 0;		// PMEM2_F_MEM_* (NONTEMPORAL, TEMPORAL, WC, WB)
};

inline constexpr std::uint64_t f_request = std::uint64_t(1) << 63;
// Bit 62 marks a batch (durable/batch.hpp's f_batch); unpack() ignores it.
inline constexpr int gran_shift = 60;	// 2 bits
inline constexpr int hints_shift = 48;	// 6 bits
inline constexpr int gen_shift = 16;	// 32 bits
inline constexpr std::uint64_t vdm_bits = 0xffff;	// VDM_F_* and room for more
inline constexpr std::size_t guard_offset = 32;	// in vdm_operation.data

inline constexpr std::uint64_t pack(const request &r) noexcept
{
	return f_request | (std::uint64_t(r.granularity & 3) << gran_shift) |
		(std::uint64_t(r.hints & 0x3f) << hints_shift) |
		(std::uint64_t(r.gen) << gen_shift);
}
inline constexpr bool is_request(std::uint64_t flags) noexcept
{
	return (flags & f_request) != 0;
}
inline constexpr request unpack(std::uint64_t flags) noexcept
{
	return request{std::uint32_t(flags >> gen_shift), unsigned(flags >> gran_shift) & 3,
		unsigned(flags >> hints_shift) & 0x3f};
}

inline constexpr std::int32_t status_ok = 0;
inline constexpr std::int32_t status_refused = 1;	// > 0: never an -errno

struct map_guard;

// What libpmem2 does for a mover. Every function may run on any thread.
struct services {
	// Counted entry: true if `gen` is still live; leave() may then run on
	// another thread. A map delete waits for every entered operation.
	bool (*enter)(map_guard *g, std::uint32_t gen) noexcept;
	void (*leave)(map_guard *g) noexcept;
	// The map's durable kernels for r.granularity with r.hints: the bytes
	// are durable when they return. 0, or -errno of a failed page sync.
	int (*move)(void *dst, const void *src, std::size_t n, const request &r) noexcept;
	int (*fill)(void *dst, int c, std::size_t n, const request &r) noexcept;
	int (*persist)(const void *ptr, std::size_t n, const request &r) noexcept;
	// The entries of a batch (durable/batch.hpp), durable when it returns
	// with one drain at the end (and one per fence entry).
	int (*batch)(const batch_entry *e, std::size_t count, const request &r) noexcept;
	// A device wrote (or flushed) [p, p + n) with readback to memory and
	// completed: the persistence checker (docs/CHECK.md) counts it durable.
	// nullptr: nobody watches.
	void (*device_wrote)(const void *p, std::size_t n) noexcept;
};

// Process-lifetime: guards are recycled, never freed, so a stale pointer
// in a dropped future is always safe to read. Movers use `svc` only.
struct map_guard {
	const services *svc = nullptr;
	std::atomic<std::uint32_t> gen{1};	// odd: live; even: retired
	std::atomic<std::uint32_t> inflight{0};	// counted entries
	std::atomic<std::uint32_t> waiters{0};	// retires waiting for inflight == 0
};

inline map_guard *guard_of(const vdm_operation &op) noexcept
{
	map_guard *g;
	std::memcpy(&g, op.data.data + guard_offset, sizeof(g));
	return g;
}
inline void set_guard(vdm_operation &op, map_guard *g) noexcept
{
	std::memcpy(op.data.data + guard_offset, &g, sizeof(g));
}

inline std::uint64_t flags_of(const vdm_operation &op) noexcept
{
	switch (op.type) {
	case VDM_OPERATION_MEMCPY: return op.data.memcpy.flags;
	case VDM_OPERATION_MEMMOVE: return op.data.memmove.flags;
	case VDM_OPERATION_MEMSET: return op.data.memset.flags;
	case VDM_OPERATION_FLUSH: return op.data.flush.flags;
	}
	return 0;
}

inline std::int32_t status_of(const vdm_operation &op) noexcept
{
	return static_cast<std::int32_t>(op.padding);
}
inline void set_status(vdm_operation &op, std::int32_t s) noexcept
{
	op.padding = static_cast<std::uint32_t>(s);
}

// The movers' private identity checks, each exported from its library
// under one of these names: non-zero when `v` is one of that library's
// movers that honour the request (they make data durable through
// `services`): libminiasync's threads mover, libminiasync-vdm-dml's DSA
// mover. libpmem2 binds them weakly, or finds them at run time; a mover
// none recognises is treated as foreign (correct: a persist step then runs
// on the polling thread).
inline constexpr const char threads_identity_symbol[] = "miniasync_private_durable_mover";
inline constexpr const char dml_identity_symbol[] = "miniasync_vdm_dml_private_durable_mover";
using identity_fn = int (*)(const struct vdm *v);

} // namespace pmem2::durable
