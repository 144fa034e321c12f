#include "durable/services.hpp"

#include <libpmem2/base.h>

#include <algorithm>
#include <cstring>

#include "durable/batch.hpp"
#include "durable/guard.hpp"
#include "memops/compare.hpp"
#include "memops/crc32c.hpp"
#include "memops/memops.hpp"

namespace pmem2::durable {
namespace {

const memops::ops_table &table_for(const request &r) noexcept
{
	unsigned g = r.granularity < 2 ? r.granularity : 2;
	return memops::ops(static_cast<memops::granularity>(g));
}

// PAGE persistence is an msync, which can fail: inside this scope its
// failure is returned instead of stopping the process.
template <class F>
int checked(const request &r, F &&f) noexcept
{
	if (r.granularity < 2) {
		f(table_for(r));
		return 0;
	}
	memops::page_sync_errors errs;
	f(table_for(r));
	return errs.error();
}

} // namespace

int run_move(void *dst, const void *src, std::size_t n, const request &r) noexcept
{
	return checked(r, [&](const memops::ops_table &t) { t.memmove(dst, src, n, r.hints); });
}

int run_fill(void *dst, int c, std::size_t n, const request &r) noexcept
{
	return checked(r, [&](const memops::ops_table &t) { t.memset(dst, c, n, r.hints); });
}

int run_persist(const void *ptr, std::size_t n, const request &r) noexcept
{
	return checked(r, [&](const memops::ops_table &t) { t.persist(ptr, n); });
}

namespace {

// The 8-byte pattern, durable, through the map's memmove kernel from a
// page of the pattern in this thread's cache (4096 is a multiple of 8, so
// every piece starts at the pattern's first byte).
void fill8(const memops::ops_table &t, char *dst, std::uint64_t pattern, std::size_t n,
	unsigned flags) noexcept
{
	alignas(64) static thread_local unsigned char page[4096];
	static thread_local std::uint64_t filled_with = 0;
	static thread_local bool filled = false;
	if (!filled || filled_with != pattern) {
		for (std::size_t i = 0; i < sizeof(page); i += 8)
			std::memcpy(page + i, &pattern, 8);
		filled_with = pattern;
		filled = true;
	}
	for (std::size_t off = 0; off < n; off += sizeof(page))
		t.memmove(dst + off, page, std::min(sizeof(page), n - off), flags);
}

memops::granularity granularity_of(const request &r) noexcept
{
	return static_cast<memops::granularity>(r.granularity < 2 ? r.granularity : 2);
}

} // namespace

int run_batch(const batch_entry *e, std::size_t count, const request &r) noexcept
{
	// Each entry without its drain, one drain at each fence and at the end:
	// one fence for the whole batch on this thread.
	return checked(r, [&](const memops::ops_table &t) {
		for (std::size_t i = 0; i < count; ++i) {
			const batch_entry &x = e[i];
			const unsigned f = x.hints | PMEM2_F_MEM_NODRAIN;
			switch (x.kind) {
			case entry_kind::copy:
			case entry_kind::move: t.memmove(x.dest, x.src, x.n, f); break;
			case entry_kind::fill: t.memset(x.dest, x.c, x.n, f); break;
			case entry_kind::persist: t.flush(x.dest, x.n); break;
			case entry_kind::fence: t.drain(); break;
			case entry_kind::fill8:
				fill8(t, static_cast<char *>(x.dest), x.value, x.n, f);
				break;
			case entry_kind::dualcast:
				t.memmove(x.dest, x.src, x.n, f);
				t.memmove(x.dest2, x.src, x.n, f);
				break;
			case entry_kind::crc32c: {
				const std::uint32_t crc = memops::crc32c(std::uint32_t(x.value), x.src, x.n);
				std::memcpy(x.out, &crc, sizeof(crc));
				break;
			}
			case entry_kind::copy_crc32c: {
				const std::uint32_t crc = memops::copy_crc32c(static_cast<char *>(x.dest),
					static_cast<const char *>(x.src), x.n, std::uint32_t(x.value), granularity_of(r));
				if (r.granularity >= 2)
					t.flush(x.dest, x.n);	// PAGE: the page sync
				std::memcpy(x.out, &crc, sizeof(crc));
				break;
			}
			case entry_kind::compare: {
				const std::size_t at = memops::first_difference(x.src, x.src2, x.n);
				std::memcpy(x.out, &at, sizeof(at));
				break;
			}
			}
		}
		t.drain();
	});
}

namespace {

void device_wrote(const void *p, std::size_t n) noexcept
{
	if (memops::recorder *r = memops::current_recorder())
		r->on_device_write(p, n);
}

constexpr services table{guard_enter, guard_leave, run_move, run_fill, run_persist, run_batch,
	device_wrote};
} // namespace

const services &pmem2_services() noexcept
{
	return table;
}

} // namespace pmem2::durable
