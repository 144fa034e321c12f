// Test data: deterministic byte patterns, a file's bytes read without any
// map (or its lines, for text reports), and CRC32C by its definition (the
// reference checksums are held to).
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace pmem2::test {

// Fills p[0..n) with bytes that depend on the position and the seed
// (xorshift; different seeds give different sequences, none all zero).
inline void fill_pattern(void *p, std::size_t n, std::uint64_t seed)
{
	auto *b = static_cast<unsigned char *>(p);
	std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (std::size_t i = 0; i < n; ++i) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = static_cast<unsigned char>(x >> 24);
	}
}

// The same bytes as a vector of T (std::byte, char or unsigned char).
template <class T = std::byte>
std::vector<T> pattern(std::size_t n, std::uint64_t seed)
{
	std::vector<T> v(n);
	fill_pattern(v.data(), n, seed);
	return v;
}

// n bytes of the file at `off`, read with pread; empty when the file is
// shorter or cannot be opened.
inline std::vector<std::byte> read_file(const std::string &path, std::size_t n, std::size_t off = 0)
{
	std::vector<std::byte> v(n);
	int fd = ::open(path.c_str(), O_RDONLY);
	if (fd < 0)
		return {};
	ssize_t r = ::pread(fd, v.data(), n, static_cast<off_t>(off));
	::close(fd);
	if (r != static_cast<ssize_t>(n))
		return {};
	return v;
}

// The lines of a text file, without their newlines; empty when it cannot
// be opened.
inline std::vector<std::string> file_lines(const std::string &path)
{
	std::vector<std::string> out;
	std::ifstream in(path);
	for (std::string l; std::getline(in, l);)
		out.push_back(l);
	return out;
}

// CRC32C (Castagnoli, reflected) of p[0..n) chained from `seed`, bit by bit.
inline std::uint32_t crc32c_of(const void *p, std::size_t n, std::uint32_t seed = 0)
{
	const auto *b = static_cast<const unsigned char *>(p);
	std::uint32_t crc = ~seed;
	for (std::size_t i = 0; i < n; ++i) {
		crc ^= b[i];
		for (int k = 0; k < 8; ++k)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return ~crc;
}

} // namespace pmem2::test
