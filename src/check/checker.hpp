// Persistence checker for tests: a memops::recorder that keeps, for every
// tracked map, a shadow "durable image" into which bytes enter only when the
// library has made them durable at the map's granularity:
//   * CACHE_LINE: a flushed line (its bytes as they were at the flush) or a
//     non-temporal store range becomes durable at the next fence issued by
//     the thread that flushed or streamed it;
//   * PAGE: the pages of a page sync (msync) are durable when it is issued;
//   * BYTE: every visible store is durable (eADR): the image is the memory;
//   * any granularity: a non-temporal range is not durable before its own
//     thread's next fence, whatever other threads flush, fence or msync;
//   * any granularity: a device's write with readback to memory (the DSA
//     mover's completion) is durable at CACHE_LINE when it completes; a
//     PAGE map still needs its msync.
// It sees the kernels of every thread (workers of the threads mover too).
// Tests link it as the static pmem2_check; libpmem2.so carries its own copy
// (hidden) for the check mode of process.hpp (docs/CHECK.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "memops/memops.hpp"

struct pmem2_map;

namespace pmem2::check {

class checker;

// The process's checker: installed (recorder set and kernels re-dispatched
// to their recording variants) by install(), removed by uninstall().
checker &install();
void uninstall();
// install() when the environment variable PMEM2_CHECK is "1"; nullptr else.
checker *install_from_env();
// The installed checker or nullptr.
checker *active() noexcept;

class checker final : public memops::recorder {
public:
	// Track [base, base+len) of granularity g; its current bytes are taken
	// as durable (a fresh or just-recovered map).
	void track(void *base, std::size_t len, memops::granularity g);
	// Track a whole map (address, size and granularity from the C API).
	void track(pmem2_map *map);
	void untrack(const void *base);
	void untrack_all();

	// "Power fails now": a copy of the durable image of the map at base.
	std::vector<unsigned char> image(const void *base) const;

	// After `call` completed on [p, p+n): empty when every byte of it is
	// in the durable image as it is in memory; otherwise which bytes were
	// not made durable and by which call.
	std::string verify(const void *p, std::size_t n, const char *call) const;

	// The runs of [p, p+n) whose bytes in memory differ from the durable
	// image or that non-temporal ranges not yet fenced cover, as
	// (offset from p, length), in order and coalesced. Empty when the range
	// is durable or not tracked.
	std::vector<std::pair<std::size_t, std::size_t>> differences(const void *p, std::size_t n) const;

	// Persistence points (crash states, docs/CHECK.md): `h` is called by
	// the thread that reaches one, with no lock held and before the point's
	// bytes enter the durable image; `call` is "fence" (a fence that makes
	// flushed lines or non-temporal ranges of this thread durable) or
	// "msync" (a page sync overlapping a tracked PAGE map). nullptr: none.
	using point_hook = void (*)(void *ctx, const checker &c, const char *call);
	void set_point_hook(point_hook h, void *ctx) noexcept;
	// A persistence point the library names (a future's completion, say):
	// the hook runs as for a fence; nothing enters the image.
	void point_now(const char *call) const noexcept;

	// Events seen since install (observation for tests).
	std::uint64_t fences() const noexcept;
	std::uint64_t durable_bytes() const noexcept;

	void on_flush(const void *line) noexcept override;
	void on_nt_store(const void *dest, std::size_t len) noexcept override;
	void on_fence() noexcept override;
	void on_page_sync(const void *ptr, std::size_t len) noexcept override;
	// A point "device" first when the range overlaps a CACHE_LINE map.
	void on_device_write(const void *dest, std::size_t len) noexcept override;

	checker();
	~checker() override;
	checker(const checker &) = delete;
	checker &operator=(const checker &) = delete;

	struct state;

private:
	state *s_;
};

} // namespace pmem2::check
