#include "memops/compare.hpp"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "memops/memops.hpp"

namespace pmem2::memops {
namespace {

using compare_fn = std::size_t (*)(const unsigned char *a, const unsigned char *b, std::size_t n) noexcept;

// From `i` on, byte by byte (at most a word's worth in practice).
std::size_t bytes_from(const unsigned char *a, const unsigned char *b, std::size_t i, std::size_t n) noexcept
{
	while (i < n && a[i] == b[i])
		++i;
	return i;
}

std::size_t compare_generic(const unsigned char *a, const unsigned char *b, std::size_t n) noexcept
{
	std::size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		std::uint64_t x, y;
		std::memcpy(&x, a + i, 8);
		std::memcpy(&y, b + i, 8);
		if (x != y)
			return i + std::size_t(__builtin_ctzll(x ^ y) / 8);	// little endian
	}
	return bytes_from(a, b, i, n);
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) std::size_t compare_avx512f(const unsigned char *a,
	const unsigned char *b, std::size_t n) noexcept
{
	std::size_t i = 0;
	for (; i + 64 <= n; i += 64) {
		const __m512i x = _mm512_loadu_si512(a + i);
		const __m512i y = _mm512_loadu_si512(b + i);
		const __mmask8 ne = _mm512_cmpneq_epu64_mask(x, y);
		if (ne != 0) {
			const std::size_t lane = std::size_t(__builtin_ctz(ne)) * 8;
			std::uint64_t p, q;
			std::memcpy(&p, a + i + lane, 8);
			std::memcpy(&q, b + i + lane, 8);
			return i + lane + std::size_t(__builtin_ctzll(p ^ q) / 8);
		}
	}
	return i + compare_generic(a + i, b + i, n - i);
}
#endif

struct family {
	const char *name;
	compare_fn fn;
};

family best() noexcept
{
#if defined(__x86_64__)
	if (cpu().avx512f)
		return {"avx512f", compare_avx512f};
#endif
	return {"generic", compare_generic};
}

family &current() noexcept
{
	static family f = best();
	return f;
}

} // namespace

std::size_t first_difference(const void *a, const void *b, std::size_t n) noexcept
{
	return current().fn(static_cast<const unsigned char *>(a), static_cast<const unsigned char *>(b), n);
}

const char *compare_selected() noexcept
{
	return current().name;
}

bool force_compare(const char *name) noexcept
{
	if (name == nullptr) {
		current() = best();
		return true;
	}
	if (std::strcmp(name, "generic") == 0) {
		current() = {"generic", compare_generic};
		return true;
	}
#if defined(__x86_64__)
	if (std::strcmp(name, "avx512f") == 0 && cpu().avx512f) {
		current() = {"avx512f", compare_avx512f};
		return true;
	}
#endif
	return false;
}

} // namespace pmem2::memops
