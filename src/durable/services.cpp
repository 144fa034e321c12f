#include "durable/services.hpp"

#include <libpmem2/base.h>

#include "durable/batch.hpp"
#include "durable/guard.hpp"
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
			}
		}
		t.drain();
	});
}

namespace {
constexpr services table{guard_enter, guard_leave, run_move, run_fill, run_persist, run_batch};
} // namespace

const services &pmem2_services() noexcept
{
	return table;
}

} // namespace pmem2::durable
