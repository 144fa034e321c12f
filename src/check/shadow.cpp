// The durable image of one tracked range (shadow.hpp).
#include "check/shadow.hpp"

#include <algorithm>
#include <cstring>

namespace pmem2::check {

shadow::shadow(std::uintptr_t base, std::size_t len, const unsigned char *live)
	: base_(base), len_(len), first_line_(base / line), bytes_(live, live + len),
	  line_version_(len == 0 ? 0 : (base + len - 1) / line - base / line + 1)
{
}

void shadow::commit(std::uintptr_t a, std::size_t n, const unsigned char *src, std::uint64_t seq) noexcept
{
	const std::uintptr_t end = a + n, range_end = base_ + len_;
	// Whole lines older than seq are written as one copy per run of them:
	// [run, i) is the run not copied yet.
	std::uintptr_t run = a;
	auto copy_run = [&](std::uintptr_t to) {
		if (to > run)
			std::memcpy(bytes_.data() + (run - base_), src + (run - a), to - run);
	};
	for (std::uintptr_t i = a; i < end;) {
		const std::uintptr_t ln = i / line;
		// The line's bytes inside the range, and those of them committed.
		const std::uintptr_t ls = std::max(ln * line, base_);
		const std::uintptr_t le = std::min(ln * line + line, range_end);
		const std::uintptr_t hi = std::min(end, le);
		std::uint64_t &v = line_version_[ln - first_line_];
		const bool whole = i == ls && hi == le;
		if (whole && (v & ~mixed_bit) < seq) {
			// Every byte of it older: all written, one version again.
			if (v & mixed_bit)
				mixed_.erase(ln);
			v = seq;
			i = hi;
			continue;
		}
		copy_run(i);
		// A uniform line at least as new: nothing of it is written.
		// Otherwise byte by byte.
		if ((v & mixed_bit) || v < seq)
			commit_mixed(i, hi, src + (i - a), seq, v);
		i = run = hi;
	}
	copy_run(end);
}

// Part of one line [lo, hi), or a mixed line: the bytes older than seq
// written, the line mixed from now on (its other bytes keep their version).
void shadow::commit_mixed(std::uintptr_t lo, std::uintptr_t hi, const unsigned char *src,
	std::uint64_t seq, std::uint64_t &v) noexcept
{
	const std::uintptr_t ln = lo / line;
	byte_versions *bv;
	if (v & mixed_bit) {
		bv = &mixed_.find(ln)->second;
	} else {
		bv = &mixed_.try_emplace(ln).first->second;
		bv->fill(v);
	}
	for (std::uintptr_t p = lo; p < hi; ++p) {
		std::uint64_t &b = (*bv)[p % line];
		if (b < seq) {
			bytes_[p - base_] = src[p - lo];
			b = seq;
		}
	}
	v = mixed_bit | std::max(v & ~mixed_bit, seq);
}

} // namespace pmem2::check
