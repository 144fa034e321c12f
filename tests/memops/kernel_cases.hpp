// The memops tests' cases: the kernel families to parameterise over (with
// the kernels each must select), a recorder that keeps every event, and
// page-aligned buffers.
#pragma once

#include "memops/kernel_set.hpp"
#include "memops/memops.hpp"
#include "support/bytes.hpp"
#include "support/stress.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace memops_test {

namespace mo = pmem2::memops;
using pmem2::test::fill_pattern;
using pmem2::test::stress_scale;

struct kernel_case {
	std::string name;	// family forced: "avx512f", "avx", "sse2", "movdir64b", "generic", "libc"
	mo::dispatch_options opt;
	const char *expect_kernel;	// selected().kernel
	const char *expect_nt;		// selected().nt_kernel
	bool has_nt;			// family has streaming kernels
};

inline std::vector<kernel_case> all_kernel_cases()
{
	std::vector<kernel_case> v;
	mo::dispatch_options base;	// defaults: everything enabled, threshold 256
	base.wc_workaround = 0;
	{
		auto o = base;
		v.push_back({"avx512f", o, "avx512f", "avx512f", true});
	}
	{
		auto o = base;
		o.avx512f = false;
		v.push_back({"avx", o, "avx", "avx", true});
	}
	{
		auto o = base;
		o.avx512f = false;
		o.avx = false;
		v.push_back({"sse2", o, "sse2", "sse2", true});
	}
	{
		auto o = base;
		o.movdir64b = true;
		v.push_back({"movdir64b", o, nullptr, "movdir64b", true});
	}
	{
		auto o = base;
		o.no_movnt = true;
		v.push_back({"generic", o, "generic", "generic", false});
	}
	{
		auto o = base;
		o.no_movnt = true;
		o.no_generic_memcpy = true;
		v.push_back({"libc", o, "libc", "libc", false});
	}
	return v;
}

inline void PrintTo(const kernel_case &k, std::ostream *os)
{
	*os << k.name;
}

// Why a kernel cannot run here, or empty if it can.
inline std::string missing_feature(const kernel_case &k)
{
	const mo::cpu_features &c = mo::cpu();
	if (k.name == "avx512f" && !c.avx512f)
		return "CPU/OS lacks AVX-512F (CPUID.7:EBX[16] with XCR0 ZMM state)";
	if (k.name == "avx" && !c.avx)
		return "CPU/OS lacks AVX (CPUID.1:ECX[28] with XCR0 YMM state)";
	if (k.name == "movdir64b" && !c.movdir64b)
		return "CPU lacks MOVDIR64B (CPUID.7:ECX[28])";
	return {};
}

// The family the best temporal kernels come from on this CPU.
inline const char *best_temporal_family()
{
	const mo::cpu_features &c = mo::cpu();
	return c.avx512f ? "avx512f" : c.avx ? "avx" : "sse2";
}

struct event {
	enum kind_t { flush, nt, fence, page_sync, kernel } kind;
	std::uintptr_t a = 0;
	std::size_t n = 0;
	std::string name;
};

// Records everything in order (tests are single-threaded here).
struct recording : mo::recorder {
	std::vector<event> ev;
	void on_flush(const void *line) noexcept override
	{
		ev.push_back({event::flush, reinterpret_cast<std::uintptr_t>(line), 64, {}});
	}
	void on_nt_store(const void *d, std::size_t n) noexcept override
	{
		if (n)
			ev.push_back({event::nt, reinterpret_cast<std::uintptr_t>(d), n, {}});
	}
	void on_fence() noexcept override { ev.push_back({event::fence, 0, 0, {}}); }
	void on_page_sync(const void *p, std::size_t n) noexcept override
	{
		ev.push_back({event::page_sync, reinterpret_cast<std::uintptr_t>(p), n, {}});
	}
	void on_kernel(const char *name) noexcept override
	{
		ev.push_back({event::kernel, 0, 0, name});
	}
	void clear() { ev.clear(); }
	std::size_t count(event::kind_t k) const
	{
		std::size_t c = 0;
		for (auto &e : ev)
			c += e.kind == k;
		return c;
	}
	std::vector<std::string> kernels() const
	{
		std::vector<std::string> v;
		for (auto &e : ev)
			if (e.kind == event::kernel)
				v.push_back(e.name);
		return v;
	}
};

// 4096-aligned zeroed buffer.
struct buffer {
	std::unique_ptr<unsigned char, decltype(&std::free)> p{nullptr, &std::free};
	std::size_t size = 0;
	explicit buffer(std::size_t n)
	    : p(static_cast<unsigned char *>(std::aligned_alloc(4096, (n + 4095) / 4096 * 4096)),
		&std::free),
	      size(n)
	{
		std::memset(p.get(), 0, n);
	}
	unsigned char *data() const { return p.get(); }
};


} // namespace memops_test
