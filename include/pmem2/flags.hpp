// Typed flag sets and enumerations over the libpmem2 constants.
#pragma once

#include <string_view>

#include <libpmem2/base.h>

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

// One PMEM2_F_MEM_* flag.
enum class mem_flag : unsigned {
	nodrain = PMEM2_F_MEM_NODRAIN,
	nontemporal = PMEM2_F_MEM_NONTEMPORAL,
	temporal = PMEM2_F_MEM_TEMPORAL,
	wc = PMEM2_F_MEM_WC,
	wb = PMEM2_F_MEM_WB,
	noflush = PMEM2_F_MEM_NOFLUSH,
};

// A set of mem_flag values; converts to the C flag word with bits().
class mem_flags {
public:
	constexpr mem_flags() noexcept = default;
	constexpr mem_flags(mem_flag f) noexcept : bits_(static_cast<unsigned>(f)) {}

	// Any C flag word, including invalid bits (the library rejects those).
	static constexpr mem_flags from_bits(unsigned bits) noexcept
	{
		mem_flags f;
		f.bits_ = bits;
		return f;
	}

	constexpr unsigned bits() const noexcept { return bits_; }
	constexpr bool empty() const noexcept { return bits_ == 0; }
	constexpr bool contains(mem_flags f) const noexcept { return (bits_ & f.bits_) == f.bits_; }

	constexpr mem_flags &operator|=(mem_flags f) noexcept
	{
		bits_ |= f.bits_;
		return *this;
	}
	friend constexpr mem_flags operator|(mem_flags a, mem_flags b) noexcept { return a |= b; }
	friend constexpr mem_flags operator&(mem_flags a, mem_flags b) noexcept
	{
		return from_bits(a.bits_ & b.bits_);
	}
	friend constexpr bool operator==(mem_flags a, mem_flags b) noexcept = default;

private:
	unsigned bits_ = 0;
};

constexpr mem_flags operator|(mem_flag a, mem_flag b) noexcept
{
	return mem_flags(a) | mem_flags(b);
}

// The store granularity of a map (what must be done to make a store durable).
enum class granularity {
	byte = PMEM2_GRANULARITY_BYTE,
	cache_line = PMEM2_GRANULARITY_CACHE_LINE,
	page = PMEM2_GRANULARITY_PAGE,
};

constexpr std::string_view to_string(granularity g) noexcept
{
	switch (g) {
	case granularity::byte: return "byte";
	case granularity::cache_line: return "cache_line";
	case granularity::page: return "page";
	}
	return "unknown";
}

enum class sharing {
	shared = PMEM2_SHARED,
	private_copy = PMEM2_PRIVATE,
};

// PMEM2_PROT_* bits.
enum class protection : unsigned {
	none = PMEM2_PROT_NONE,
	read = PMEM2_PROT_READ,
	write = PMEM2_PROT_WRITE,
	exec = PMEM2_PROT_EXEC,
	read_write = PMEM2_PROT_READ | PMEM2_PROT_WRITE,
};

constexpr protection operator|(protection a, protection b) noexcept
{
	return static_cast<protection>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}

} // namespace v1
} // namespace pmem2
