// Fixture that forces one kernel family for the test and proves the
// dispatch really selected it: its name, and its entry points for the
// flush instruction selected (a slot of flush_arch.hpp) in every table.
#pragma once

#include "memops/kernel_cases.hpp"
#include "support/bytes.hpp"
#include "support/stress.hpp"

namespace memops_test {

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

	// The forced family's kernel set.
	const mo::detail::kernel_set &family() const { return GetParam().expected(); }
	// Whether it has streaming kernels of its own, and whether their
	// streamed lines go unflushed (kernel_set.hpp).
	bool has_nt() const { return family().streams; }
	bool nt_skips_flush() const { return family().streams && family().nt_skips_flush; }

	// Re-run dispatch for this kernel, with or without a recorder, and
	// check the tables hold exactly that family's entry points.
	void force(mo::recorder *rec, const mo::dispatch_options *opt = nullptr)
	{
		const kernel_case &k = GetParam();
		mo::set_recorder(rec);
		mo::redispatch(opt ? *opt : k.opt);
		const mo::selection &s = mo::selected();
		ASSERT_EQ(k.expect_nt, s.nt_kernel);
		ASSERT_EQ(k.expect_kernel, s.kernel);
		const auto &fam = family();
		const int fi = selected_slot();
		ASSERT_GE(fi, 0) << "flush " << s.flush << " is none of the architecture's";
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
