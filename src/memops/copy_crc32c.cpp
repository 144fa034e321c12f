// copy_crc32c(): the entry point, which takes the CRC family from the
// CRC32C dispatch and the flush instruction, threshold and recording mode
// from the memmove kernels' (the copy is durable as their memcpy is).
#include "memops/crc32c.hpp"
#include "memops/crc32c_set.hpp"
#include "memops/kernel_set.hpp"

namespace pmem2::memops {

std::uint32_t copy_crc32c(char *dst, const char *src, std::size_t len, std::uint32_t crc,
			  granularity g) noexcept
{
	const detail::crc32c_kernels &k = detail::current_crc32c_kernels();
	// Runs memops' dispatch if nothing has yet: g_flush_index,
	// g_line_write_back and g_recording are its choice.
	(void)ops(g);
	const int r = detail::g_recording;
	switch (g) {
	case granularity::byte:
		return k.byte[r](dst, src, len, crc);
	case granularity::page:
		return k.page[r](dst, src, len, crc);
	case granularity::cache_line:
		if (!detail::g_line_write_back) {
			// No line write-back: durable through the page sync, as the
			// CACHE_LINE table's memcpy is then.
			crc = k.page[r](dst, src, len, crc);
			page_sync(dst, len);
			return crc;
		}
		break;
	}
	return k.cache_line[detail::g_flush_index][r](dst, src, len, crc);
}

} // namespace pmem2::memops
