// Fixture that forces one kernel family for the test and proves the
// dispatch really selected it.
#pragma once

#include "memops/kernel_cases.hpp"
#include "support/bytes.hpp"
#include "support/stress.hpp"

namespace memops_test {

inline int flush_index(const char *name)
{
	if (std::strcmp(name, "clwb") == 0)
		return 0;
	if (std::strcmp(name, "clflushopt") == 0)
		return 1;
	return 2;
}

// The kernel set a forced family must come from, looked up independently of
// the dispatcher's own choice.
inline const mo::detail::kernel_set &family(const kernel_case &k)
{
	using namespace mo::detail;
	if (k.name == "generic")
		return kernels_generic();
	if (k.name == "libc")
		return kernels_libc();
	if (k.name == "movdir64b") {
		for (const implementation &i : implementations())
			if (std::strcmp(i.get().name, best_temporal_family()) == 0)
				return kernels_movdir64b(i.get());
	}
	for (const implementation &i : implementations())
		if (k.name == i.get().name)
			return i.get();
	return kernels_sse2();
}

class Kernel : public ::testing::TestWithParam<kernel_case> {
protected:
	void SetUp() override
	{
		const kernel_case &k = GetParam();
		const std::string why = missing_feature(k);
		if (!why.empty())
			GTEST_SKIP() << "kernel " << k.name << " skipped: " << why;
		force(nullptr);
	}
	void TearDown() override
	{
		mo::set_recorder(nullptr);
		mo::redispatch(mo::options_from_env());
	}

	// Re-run dispatch for this kernel, with or without a recorder, and
	// check the tables hold exactly that family's entry points.
	void force(mo::recorder *rec, const mo::dispatch_options *opt = nullptr)
	{
		const kernel_case &k = GetParam();
		mo::set_recorder(rec);
		mo::redispatch(opt ? *opt : k.opt);
		const mo::selection &s = mo::selected();
		ASSERT_STREQ(s.nt_kernel, k.expect_nt);
		ASSERT_STREQ(s.kernel, k.expect_kernel ? k.expect_kernel : best_temporal_family());
		const auto &fam = family(k);
		const int fi = flush_index(s.flush);
		const int r = rec != nullptr;
		using mo::granularity;
		ASSERT_EQ(mo::ops(granularity::cache_line).memmove, fam.cache_line[fi][r].memmove);
		ASSERT_EQ(mo::ops(granularity::cache_line).memset, fam.cache_line[fi][r].memset);
		ASSERT_EQ(mo::ops(granularity::byte).memmove, fam.byte[r].memmove);
		ASSERT_EQ(mo::ops(granularity::byte).memset, fam.byte[r].memset);
		ASSERT_EQ(mo::ops(granularity::page).memmove, fam.page[r].memmove);
		ASSERT_EQ(mo::ops(granularity::page).memset, fam.page[r].memset);
	}
};

inline std::string case_name(const ::testing::TestParamInfo<kernel_case> &i)
{
	return i.param.name;
}

} // namespace memops_test
