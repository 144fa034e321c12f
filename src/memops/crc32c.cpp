// CRC32C runtime dispatch: the table of families (best first), the
// PMEM2_CRC32C limit and the crc32c() entry point.
#include "memops/crc32c.hpp"
#include "memops/crc32c_set.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

namespace pmem2::memops {

namespace detail {
namespace {

const crc32c_kernels *g_family = nullptr;
crc32c_fn g_crc = nullptr;
std::atomic<bool> g_ready{false};

// First use (from crc32c(), copy_crc32c() or the load-time constructor,
// whichever is first).
void ensure_init() noexcept
{
	if (g_ready.load(std::memory_order_acquire)) [[likely]]
		return;
	static std::once_flag once;
	std::call_once(once, [] { redispatch_crc32c(crc32c_limit_from_env()); });
}

__attribute__((constructor)) void init_at_load()
{
	ensure_init();
}

} // namespace

std::span<const crc32c_implementation> crc32c_implementations() noexcept
{
	return crc32c_arch_implementations();
}

const crc32c_kernels &current_crc32c_kernels() noexcept
{
	ensure_init();
	return *g_family;
}

} // namespace detail

using namespace detail;

crc32c_family crc32c_limit_from_env() noexcept
{
	const char *e = std::getenv("PMEM2_CRC32C");
	if (e != nullptr) {
		const std::pair<const char *, crc32c_family> names[] = {
			{"table", crc32c_family::table},
			{"sse42", crc32c_family::sse42},
			{"vpclmul", crc32c_family::vpclmul},
			{"armv8", crc32c_family::armv8},
		};
		for (const auto &[name, family] : names)
			if (std::strcmp(e, name) == 0)
				return family;
	}
	return crc32c_family::best;
}

void redispatch_crc32c(crc32c_family limit) noexcept
{
	const unsigned avail = crc32c_cpu_features();
	const std::span<const crc32c_implementation> rows = crc32c_arch_implementations();
	std::size_t from = 0;
	if (limit != crc32c_family::best) {
		from = rows.size();	// another architecture's family: the table
		for (std::size_t i = 0; i < rows.size(); ++i)
			if (rows[i].family == limit) {
				from = i;
				break;
			}
	}
	const crc32c_kernels *chosen = &crc32c_kernels_table();
	for (std::size_t i = from; i < rows.size(); ++i)
		if ((rows[i].required & avail) == rows[i].required) {
			chosen = &rows[i].get();
			break;
		}
	const int r = current_recorder() != nullptr;
	g_family = chosen;
	g_crc = chosen->crc[r];
	g_ready.store(true, std::memory_order_release);
}

const char *crc32c_selected() noexcept
{
	return current_crc32c_kernels().name;
}

std::uint32_t crc32c(std::uint32_t crc, const void *data, std::size_t len) noexcept
{
	ensure_init();
	return g_crc(crc, data, len);
}

} // namespace pmem2::memops
