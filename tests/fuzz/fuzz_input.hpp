// Reads a fuzzer's input as a stream of choices; past the end every read
// yields zero, so every input is a complete program.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pmem2::fuzz {

class input {
public:
	input(const std::uint8_t *d, std::size_t n) : d_(d), n_(n) {}
	bool empty() const { return pos_ >= n_; }
	std::uint8_t byte() { return pos_ < n_ ? d_[pos_++] : 0; }
	std::uint32_t u32()
	{
		std::uint32_t v = 0;
		for (int i = 0; i < 4; ++i)
			v = (v << 8) | byte();
		return v;
	}
	std::uint64_t u64() { return (std::uint64_t(u32()) << 32) | u32(); }
	// In [0, n) for n > 0.
	std::size_t below(std::size_t n) { return n ? (n <= 256 ? byte() % n : u32() % n) : 0; }
	bool flip() { return byte() & 1; }
	// A size: small, page-related, or an edge value.
	std::size_t size(std::size_t max)
	{
		switch (byte() % 8) {
		case 0: return 0;
		case 1: return byte();
		case 2: return std::size_t(byte() % 64) * 4096;
		case 3: return std::size_t(byte() % 64) * 4096 + byte();
		case 4: return below(max + 1);
		case 5: return SIZE_MAX - byte();
		case 6: return std::size_t(1) << (byte() % 64);
		default: return max;
		}
	}

private:
	const std::uint8_t *d_;
	std::size_t n_;
	std::size_t pos_ = 0;
};

} // namespace pmem2::fuzz
