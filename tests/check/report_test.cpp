// Findings' text form, the ignore syntax and ranges (src/check/report.cpp).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "check/report.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::check;

// Every kind formats to its line and parses back to the same finding.
TEST(CheckReport, FormatsAndParsesEveryKind)
{
	struct row {
		finding_kind kind;
		const char *call;
		const char *line;
	};
	const row rows[] = {
		{finding_kind::never_durable, "", "never-durable /mnt/pmem/log 12388 64"},
		{finding_kind::not_durable_at_return, "pmem2_memcpy",
			"not-durable-at-return pmem2_memcpy /mnt/pmem/log 12388 64"},
		{finding_kind::not_durable_at_completion, "pmem2_memcpy_async",
			"not-durable-at-completion pmem2_memcpy_async /mnt/pmem/log 12388 64"},
		{finding_kind::incomplete_future, "pmem2_batch_async",
			"incomplete-future pmem2_batch_async /mnt/pmem/log 12388 64"},
	};
	for (const row &r : rows) {
		finding f;
		f.kind = r.kind;
		f.call = r.call;
		f.path = "/mnt/pmem/log";
		f.offset = 12388;
		f.length = 64;
		EXPECT_EQ(format(f), r.line);
		finding g;
		ASSERT_TRUE(parse(r.line, g)) << r.line;
		EXPECT_EQ(g.kind, r.kind) << r.line;
		EXPECT_EQ(g.call, r.call) << r.line;
		EXPECT_EQ(g.path, "/mnt/pmem/log") << r.line;
		EXPECT_EQ(g.offset, 12388u) << r.line;
		EXPECT_EQ(g.length, 64u) << r.line;
	}
	// every kind but never-durable names its call
	finding g;
	EXPECT_FALSE(parse("incomplete-future /a 1 2", g));
	EXPECT_FALSE(parse("not-durable-at-completion /a 1 2", g));
	EXPECT_FALSE(parse("never-durable call /a 1 2", g));
	EXPECT_FALSE(parse("no-such-kind c /a 1 2", g));
}

TEST(CheckReport, EncodesSpacesPercentAndNewlinesInPaths)
{
	finding f;
	f.path = "/tmp/a b%c\nd";
	f.offset = 1;
	f.length = 2;
	EXPECT_EQ(format(f), "never-durable /tmp/a%20b%25c%0Ad 1 2");
	finding g;
	ASSERT_TRUE(parse(format(f), g));
	EXPECT_EQ(g.path, f.path);
}

TEST(CheckReport, RejectsLinesThatAreNotFindings)
{
	finding g;
	EXPECT_FALSE(parse("", g));
	EXPECT_FALSE(parse("never-durable /a 1", g));
	EXPECT_FALSE(parse("never-durable /a x 1", g));
	EXPECT_FALSE(parse("never-durable /a 1 2 3", g));
	EXPECT_FALSE(parse("sometimes-durable /a 1 2", g));
	EXPECT_FALSE(parse("never-durable /a%2 1 2", g));
	EXPECT_FALSE(parse("not-durable-at-return /a 1 2", g));
}

TEST(CheckReport, ParsesIgnoresWithColonsInThePath)
{
	std::vector<ignore_range> v;
	std::string err;
	ASSERT_TRUE(parse_ignores("/a:b/f:4096:0x40,/g:0:1", v, err)) << err;
	ASSERT_EQ(v.size(), 2u);
	EXPECT_EQ(v[0].path, "/a:b/f");
	EXPECT_EQ(v[0].offset, 4096u);
	EXPECT_EQ(v[0].length, 64u);
	EXPECT_EQ(v[1].path, "/g");
	EXPECT_TRUE(parse_ignores("", v, err));
	EXPECT_EQ(v.size(), 2u);
}

TEST(CheckReport, RejectsMalformedIgnores)
{
	ignore_range r;
	std::string err;
	for (const char *bad : {"", "/f", "/f:1", ":1:2", "/f:x:2", "/f:1:0", "/f:1:", "/f:-1:2", "/f:1:2k"}) {
		err.clear();
		EXPECT_FALSE(parse_ignore(bad, r, err)) << bad;
		EXPECT_FALSE(err.empty()) << bad;
	}
}

TEST(CheckReport, IgnoresCutRangesOfTheSameFileOnly)
{
	std::vector<ignore_range> ig{{"/f", 110, 10}, {"/other", 0, 1000}};
	using parts = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
	EXPECT_EQ(not_ignored("/f", 100, 30, ig), (parts{{100, 10}, {120, 10}}));
	EXPECT_EQ(not_ignored("/f", 110, 10, ig), parts{});
	EXPECT_EQ(not_ignored("/f", 0, 50, ig), (parts{{0, 50}}));
	EXPECT_EQ(not_ignored("/g", 110, 10, ig), (parts{{110, 10}}));
	std::vector<ignore_range> huge{{"/f", 5, UINT64_MAX}};
	EXPECT_EQ(not_ignored("/f", 0, 100, huge), (parts{{0, 5}}));
}

TEST(CheckReport, AppendsOneLinePerFinding)
{
	pmem2::test::scratch t(0);
	finding f;
	f.path = "/f";
	f.offset = 1;
	f.length = 2;
	write_finding(t.path(), f);
	f.offset = 3;
	write_finding(t.path(), f);
	std::ifstream in(t.path());
	std::string a, b, c;
	ASSERT_TRUE(std::getline(in, a));
	ASSERT_TRUE(std::getline(in, b));
	EXPECT_FALSE(std::getline(in, c));
	EXPECT_EQ(a, "never-durable /f 1 2");
	EXPECT_EQ(b, "never-durable /f 3 2");
}

} // namespace
