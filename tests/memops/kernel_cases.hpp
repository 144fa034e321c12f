// The memops tests' cases: the kernel families to parameterise over (with
// the kernels each must select), taken from memops' own table on every
// architecture, a recorder that keeps every event, and page-aligned
// buffers.
#pragma once

#include "memops/flush_arch.hpp"
#include "memops/kernel_set.hpp"
#include "memops/memops.hpp"
#include "support/bytes.hpp"
#include "support/stress.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace memops_test {

namespace mo = pmem2::memops;
using pmem2::test::fill_pattern;
using pmem2::test::stress_scale;

// One kernel family to force. The architecture's own families come from
// memops' table (implementations()), so the same tests run on every
// architecture; the fallbacks from the PMEM_* options every architecture
// has; an architecture's test file may add cases of its own (x86-64:
// MOVDIR64B, cpu_x86_64_test.cpp).
struct kernel_case {
	std::string name;	// the family forced: a row's name, "generic", "libc", ...
	mo::dispatch_options opt;
	std::string expect_kernel;	// selected().kernel
	std::string expect_nt;		// selected().nt_kernel
	// The kernel set whose entry points the tables must then hold, named
	// here rather than taken from the dispatcher.
	const mo::detail::kernel_set &(*expected)() noexcept;
	unsigned required;	// feature_* bits the CPU must have (kernel_set.hpp)
};

inline void PrintTo(const kernel_case &k, std::ostream *os)
{
	*os << k.name;
}

// The family the dispatch picks with no option set: the first row of the
// table whose features the CPU has.
inline const char *best_temporal_family()
{
	const unsigned have = mo::detail::kernel_features(mo::cpu());
	for (const mo::detail::implementation &impl : mo::detail::implementations())
		if ((impl.required & have) == impl.required)
			return impl.get().name;
	return "(no row)";
}

inline std::vector<kernel_case> all_kernel_cases()
{
	std::vector<kernel_case> v;
	mo::dispatch_options base;	// defaults: everything enabled, threshold 256
	base.wc_workaround = 0;
	for (const mo::detail::implementation &impl : mo::detail::implementations()) {
		auto o = base;
		o.family = impl.get().name;
		v.push_back({impl.get().name, o, impl.get().name, impl.get().name, impl.get, impl.required});
	}
	// The fallbacks (PMEM_NO_MOVNT, PMEM_NO_GENERIC_MEMCPY), unless the
	// table has them as rows already.
	auto add_fallback = [&v, &base](const char *name, bool libc,
					const mo::detail::kernel_set &(*get)() noexcept) {
		for (const kernel_case &k : v)
			if (k.name == name)
				return;
		auto o = base;
		o.no_movnt = true;
		o.no_generic_memcpy = libc;
		v.push_back({name, o, name, name, get, 0});
	};
	add_fallback("generic", false, &mo::detail::kernels_generic);
	add_fallback("libc", true, &mo::detail::kernels_libc);
	return v;
}

// Why a kernel cannot run here, or empty if it can.
inline std::string missing_feature(const kernel_case &k)
{
	static const char *const names[] = {"SSE2", "AVX (CPUID.1:ECX[28] with XCR0 YMM state)",
		"AVX-512F (CPUID.7:EBX[16] with XCR0 ZMM state)", "MOVDIR64B (CPUID.7:ECX[28])",
		"Advanced SIMD (HWCAP_ASIMD)"};
	const unsigned lacking = k.required & ~mo::detail::kernel_features(mo::cpu());
	std::string why;
	for (unsigned bit = 0; bit < 32; ++bit)
		if (lacking & (1u << bit)) {
			why += why.empty() ? "CPU/OS lacks " : ", ";
			why += bit < std::size(names) ? names[bit] : "feature bit " + std::to_string(bit);
		}
	return why;
}

// The slot of the [flush kind] arrays (flush_arch.hpp) the dispatch
// selected; -1 when selected().flush does not name that slot's instruction.
// (riscv64's slots share one instruction, so the name alone cannot tell.)
inline int selected_slot()
{
	const int k = mo::detail::g_flush_index;
	return k >= 0 && k < 3 && std::strcmp(mo::selected().flush, mo::detail::arch_flush_names[k]) == 0
		? k : -1;
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
