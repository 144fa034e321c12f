// Every memmove/memset kernel (each ISA family, store kind, flush
// instruction and granularity) against std::memmove/std::memset on random
// lengths, alignments, overlaps and flags: the whole buffer must match the
// reference afterwards (nothing written outside the range) and the kernel
// returns dest.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_input.hpp"
#include "memops/memops.hpp"

namespace {

namespace memops = pmem2::memops;
using pmem2::fuzz::input;

constexpr std::size_t area = 3 * 8192;

[[noreturn]] void mismatch(const char *what, std::size_t at, std::size_t dst, std::size_t src,
	std::size_t len, unsigned flags)
{
	std::fprintf(stderr, "%s kernel=%s nt=%s flush=%s: byte %zu differs (dst +%zu src +%zu len %zu flags 0x%x)\n",
		what, memops::selected().kernel, memops::selected().nt_kernel, memops::selected().flush,
		at, dst, src, len, flags);
	std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	input in(data, size);
	memops::dispatch_options opt;
	std::uint8_t k = in.byte();
	opt.avx512f = k & 1;
	opt.avx = k & 2;
	opt.movdir64b = k & 4;
	opt.no_movnt = k & 8;
	opt.no_generic_memcpy = k & 16;
	opt.no_clwb = k & 32;
	opt.no_clflushopt = k & 64;
	opt.wc_workaround = int(in.byte() % 3) - 1;
	opt.movnt_threshold = in.flip() ? 256 : (long long)(in.u32() % 20000);
	memops::redispatch(opt);

	// 64-byte aligned storage, used from a random misalignment.
	static std::vector<unsigned char> buf(area + 128), ref(area + 128);
	unsigned char *b = buf.data() + (64 - reinterpret_cast<std::uintptr_t>(buf.data()) % 64) % 64;
	for (int op = 0; op < 8 && !in.empty(); ++op) {
		for (std::size_t i = 0; i < area; ++i)
			b[i] = static_cast<unsigned char>(i * 13 + op);
		std::memcpy(ref.data(), b, area);
		auto g = memops::granularity(in.byte() % 3);
		const memops::ops_table &t = memops::ops(g);
		std::size_t len = in.flip() ? in.below(300) : in.below(area / 2 + 1);
		std::size_t dst = in.below(area - len + 1);
		// Overlapping source near dst half the time.
		std::size_t src;
		if (in.flip()) {
			src = in.below(area - len + 1);
		} else {
			std::size_t near = dst + in.below(257);
			src = std::min(area - len, near >= 128 ? near - 128 : 0);
		}
		unsigned flags = in.byte() & memops::f_valid_flags;
		switch (in.byte() % 3) {
		case 0: {
			void *r = t.memmove(b + dst, b + src, len, flags);
			std::memmove(ref.data() + dst, ref.data() + src, len);
			if (r != b + dst)
				mismatch("memmove return", 0, dst, src, len, flags);
			break;
		}
		case 1: {
			int c = in.byte();
			void *r = t.memset(b + dst, c, len, flags);
			std::memset(ref.data() + dst, c, len);
			if (r != b + dst)
				mismatch("memset return", 0, dst, src, len, flags);
			break;
		}
		default:
			t.persist(b + dst, len);
			t.flush(b + src, len);
			t.drain();
			break;
		}
		if (std::memcmp(b, ref.data(), area) != 0) {
			std::size_t i = 0;
			while (b[i] == ref[i])
				++i;
			mismatch("result", i, dst, src, len, flags);
		}
	}
	return 0;
}
