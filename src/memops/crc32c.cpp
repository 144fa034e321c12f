// CRC32C runtime dispatch: the table of families (best first), the
// PMEM2_CRC32C limit and the crc32c() entry point.
#include "memops/crc32c.hpp"
#include "memops/crc32c_set.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

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
		if (std::strcmp(e, "table") == 0)
			return crc32c_family::table;
		if (std::strcmp(e, "sse42") == 0)
			return crc32c_family::sse42;
	}
	return crc32c_family::vpclmul;
}

void redispatch_crc32c(crc32c_family limit) noexcept
{
	const unsigned avail = crc32c_cpu_features();
	const crc32c_kernels *chosen = &crc32c_kernels_table();
	for (const crc32c_implementation &impl : crc32c_arch_implementations())
		if (impl.family <= limit && (impl.required & avail) == impl.required) {
			chosen = &impl.get();
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
