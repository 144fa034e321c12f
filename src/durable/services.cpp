#include "durable/services.hpp"

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

namespace {
constexpr services table{guard_enter, guard_leave, run_move, run_fill, run_persist};
} // namespace

const services &pmem2_services() noexcept
{
	return table;
}

} // namespace pmem2::durable
