// The private protocol between libpmem2 and our movers (libminiasync's
// threads mover and libpmem2's default mover) that lets the thread which
// performs a vdm operation also make it durable, and lets a map be deleted
// safely while futures that target it are still pending or unpolled.
//
// A pmem2 future built on a mover that advertises cap_durable_ext carries,
// inside its ordinary struct vdm_operation:
//   * flags bit 63 (f_ext) set, the map's granularity in bits 60..61, the
//     caller's PMEM2_F_MEM_* hints in bits 48..53 and the map guard's
//     generation in bits 16..47 (VDM_F_* keep bits 0..1);
//   * a pointer to the map's guard in bytes 32..39 of operation.data, which
//     no vdm operation member uses (the union is 40 bytes, members <= 32).
// The mover performs the operation with the durable kernels for that
// granularity (or the user's hook followed by a persist), between
// guard_enter() and guard_leave(). pmem2_map_delete() retires the guard and
// waits for operations inside it before unmapping, so an operation that
// starts after its map is gone writes nothing and reports an error.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pmem2::durable {

// Advertised in struct vdm::capabilities by movers that honour f_ext.
inline constexpr unsigned cap_durable_ext = 1u << 31;

inline constexpr std::uint64_t f_ext = std::uint64_t(1) << 63;
inline constexpr int gran_shift = 60;		// 2 bits: enum pmem2_granularity
inline constexpr int hints_shift = 48;		// 6 bits: PMEM2_F_MEM_* hints
inline constexpr int gen_shift = 16;		// 32 bits: guard generation
inline constexpr std::size_t guard_offset = 32;	// in vdm_operation.data

// Lives as long as the process (guards are recycled, never freed), so a
// stale pointer in a dropped future is always safe to read.
struct map_guard {
	std::atomic<std::uint32_t> gen{1};	// odd: live; even: retired
	std::atomic<std::uint32_t> inflight{0};
	std::atomic<std::uint32_t> waiters{0};	// guard_retire calls waiting for inflight == 0
};

inline std::uint64_t encode(unsigned granularity, unsigned hints, std::uint32_t gen) noexcept
{
	return f_ext | (std::uint64_t(granularity & 3) << gran_shift) |
		(std::uint64_t(hints & 0x3f) << hints_shift) |
		(std::uint64_t(gen) << gen_shift);
}
inline bool is_ext(std::uint64_t flags) noexcept { return (flags & f_ext) != 0; }
inline unsigned granularity_of(std::uint64_t flags) noexcept { return unsigned(flags >> gran_shift) & 3; }
inline unsigned hints_of(std::uint64_t flags) noexcept { return unsigned(flags >> hints_shift) & 0x3f; }
inline std::uint32_t gen_of(std::uint64_t flags) noexcept { return std::uint32_t(flags >> gen_shift); }

// The guard pointer stored in an operation's spare union bytes.
inline map_guard *guard_of(const void *operation_data) noexcept
{
	map_guard *g;
	std::memcpy(&g, static_cast<const char *>(operation_data) + guard_offset, sizeof(g));
	return g;
}
inline void set_guard(void *operation_data, map_guard *g) noexcept
{
	std::memcpy(static_cast<char *>(operation_data) + guard_offset, &g, sizeof(g));
}

inline void guard_leave(map_guard *g) noexcept;

// Enter the guard if generation `gen` is still live. seq_cst on both sides
// (here and in retire) so that either the deleter sees our inflight
// increment or we see its generation change; never neither.
inline bool guard_enter(map_guard *g, std::uint32_t gen) noexcept
{
	g->inflight.fetch_add(1, std::memory_order_seq_cst);
	if (g->gen.load(std::memory_order_seq_cst) == gen)
		return true;
	guard_leave(g);	// a retire may be waiting for this increment to go
	return false;
}
// Leaving notifies only when a retire is waiting. seq_cst on the decrement
// and on the read of `waiters` (and on their counterparts in retire): either
// the retire sees inflight reach 0, or this sees the waiter and notifies.
inline void guard_leave(map_guard *g) noexcept
{
	if (g->inflight.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
	    g->waiters.load(std::memory_order_seq_cst) != 0)
		g->inflight.notify_all();
}
// Retire the current generation and wait for operations inside the guard.
inline void guard_retire(map_guard *g) noexcept
{
	g->gen.fetch_add(1, std::memory_order_seq_cst);
	if (g->inflight.load(std::memory_order_seq_cst) == 0)
		return;
	g->waiters.fetch_add(1, std::memory_order_seq_cst);
	for (;;) {
		std::uint32_t n = g->inflight.load(std::memory_order_seq_cst);
		if (n == 0)
			break;
		g->inflight.wait(n, std::memory_order_acquire);
	}
	g->waiters.fetch_sub(1, std::memory_order_relaxed);
}

} // namespace pmem2::durable
