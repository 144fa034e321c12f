// Crash states of the check mode (src/check/crash.cpp): the seeded choice of
// points and reorder subsets, the report lines, and the images a recorder
// writes for a tracked file map at a persistence point.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "check/checker.hpp"
#include "check/crash.hpp"
#include "support/bytes.hpp"
#include "support/scratch.hpp"

namespace {

namespace crash = pmem2::check::crash;
using pmem2::test::file_lines;
using pmem2::memops::granularity;

std::vector<unsigned char> contents(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(CrashReservoir, KeepsEveryPointOfAShortRun)
{
	crash::reservoir r(4, 1);
	for (std::uint64_t i = 0; i < 4; ++i)
		EXPECT_EQ(r.offer(i), static_cast<int>(i));
}

TEST(CrashReservoir, IsSeededAndSpreadsOverTheRun)
{
	auto pick = [](std::uint64_t seed) {
		crash::reservoir r(4, seed);
		std::vector<std::uint64_t> slot(4);
		for (std::uint64_t i = 0; i < 1000; ++i) {
			int s = r.offer(i);
			EXPECT_LT(s, 4);
			if (s >= 0 && s < 4)
				slot[static_cast<std::size_t>(s)] = i;
		}
		return slot;
	};
	EXPECT_EQ(pick(7), pick(7));
	EXPECT_NE(pick(7), pick(8));
	// over many seeds, the kept points are not all early ones
	int late = 0;
	for (std::uint64_t seed = 0; seed < 50; ++seed)
		for (std::uint64_t i : pick(seed))
			late += i >= 500;
	EXPECT_GT(late, 50);
	EXPECT_LT(late, 150);
}

TEST(CrashSubsets, AllNonEmptySubsetsOfFewUnits)
{
	EXPECT_TRUE(crash::subsets(0, 1, 0).empty());
	auto s = crash::subsets(2, 1, 0);
	EXPECT_EQ(s, (std::vector<std::vector<std::size_t>>{{0}, {1}, {0, 1}}));
	auto all = crash::subsets(crash::all_subsets_units, 1, 0);
	EXPECT_EQ(all.size(), (1u << crash::all_subsets_units) - 1);
	EXPECT_EQ(std::set(all.begin(), all.end()).size(), all.size());
}

TEST(CrashSubsets, BoundedSeededRandomOnesOfMany)
{
	auto a = crash::subsets(20, 5, 3);
	EXPECT_EQ(a.size(), crash::random_subsets);
	EXPECT_EQ(a, crash::subsets(20, 5, 3));
	EXPECT_NE(a, crash::subsets(20, 6, 3));
	EXPECT_NE(a, crash::subsets(20, 5, 4));
	for (const auto &s : a) {
		ASSERT_FALSE(s.empty());
		EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
		EXPECT_LT(s.back(), 20u);
	}
}

TEST(CrashLines, RoundTrip)
{
	crash::state s{12, "msync", 4242, "early=4096+4096", "/tmp/d/p12-f0-r1.img", "/mnt/a file%"};
	std::string line = crash::format(s);
	EXPECT_EQ(line, "crash-point 12 msync 4242 early=4096+4096 /tmp/d/p12-f0-r1.img /mnt/a%20file%25");
	crash::state back;
	ASSERT_TRUE(crash::parse(line, back));
	EXPECT_EQ(back.index, 12u);
	EXPECT_EQ(back.call, "msync");
	EXPECT_EQ(back.thread, 4242u);
	EXPECT_EQ(back.choice, "early=4096+4096");
	EXPECT_EQ(back.image, s.image);
	EXPECT_EQ(back.file, s.file);
	EXPECT_FALSE(crash::parse("crash-point x msync 1 durable a b", back));
	EXPECT_FALSE(crash::parse("never-durable /f 0 64", back));
	std::uint64_t n = 0;
	EXPECT_TRUE(crash::parse_drop("crash-drop 3", n));
	EXPECT_EQ(n, 3u);
	EXPECT_TRUE(crash::parse_points("points 17", n));
	EXPECT_EQ(n, 17u);
	EXPECT_FALSE(crash::parse_points("points", n));
}

// A file of 4 pages; pages 1..2 mapped and tracked at `g`, page 0 holds
// 0xEE on disk (outside the mapping, so in every image as it is).
struct mapped_pages {
	pmem2::test::tmpfile file{4 * 4096};
	unsigned char *base = nullptr;
	mapped_pages()
	{
		std::vector<unsigned char> outside(4096, 0xEE);
		EXPECT_EQ(::pwrite(file.fd(), outside.data(), outside.size(), 0), 4096);
		void *p = ::mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, file.fd(), 4096);
		EXPECT_NE(p, MAP_FAILED);
		base = static_cast<unsigned char *>(p);
	}
	~mapped_pages() { ::munmap(base, 2 * 4096); }
};

// The recorder's surroundings: the mapped pages tracked at PAGE by a
// checker, the report file, and the directory the images go to (each test
// removes the images it reads; the directory goes after it).
class CrashRecorder : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_NE(::mkdtemp(dir.data()), nullptr);
		c.track(m.base, 2 * 4096, granularity::page);
	}
	void TearDown() override { EXPECT_EQ(::rmdir(dir.c_str()), 0) << "images left in " << dir; }

	mapped_pages m;
	pmem2::test::tmpfile report{0};
	std::string dir = pmem2::test::scratch_dir() + "/pmem2-crash-test-XXXXXX";
	pmem2::check::checker c;
};

TEST_F(CrashRecorder, WritesTheDurableImageAndReorderedOnes)
{
	m.base[10] = 1;		// page 1 of the file
	m.base[4096 + 5] = 2;	// page 2
	crash::recorder r({dir, crash::max_points, 0, true}, report.path());
	r.at_point(c, {{m.file.path(), 4096, m.base, 2 * 4096, granularity::page}}, "msync");
	r.finish();
	auto l = file_lines(report.path());
	ASSERT_EQ(l.size(), 5u);
	std::vector<crash::state> st(4);
	for (int i = 0; i < 4; ++i)
		ASSERT_TRUE(crash::parse(l[static_cast<std::size_t>(i)], st[static_cast<std::size_t>(i)])) << l[i];
	EXPECT_EQ(l[4], "points 1");
	EXPECT_EQ(st[0].choice, "durable");
	EXPECT_EQ(st[1].choice, "early=4096+4096");
	EXPECT_EQ(st[2].choice, "early=8192+4096");
	EXPECT_EQ(st[3].choice, "early=4096+4096,8192+4096");
	for (const auto &s : st) {
		EXPECT_EQ(s.index, 0u);
		EXPECT_EQ(s.call, "msync");
		EXPECT_EQ(s.file, m.file.path());
		auto img = contents(s.image);
		ASSERT_EQ(img.size(), 4u * 4096);
		EXPECT_EQ(img[0], 0xEE);
		EXPECT_EQ(img[4095], 0xEE);
		bool p1 = s.choice.find("4096+") != std::string::npos && s.choice.find("=8192") == std::string::npos;
		bool p2 = s.choice.find("8192+") != std::string::npos;
		EXPECT_EQ(img[4096 + 10], p1 ? 1 : 0) << s.choice;
		EXPECT_EQ(img[8192 + 5], p2 ? 2 : 0) << s.choice;
		::unlink(s.image.c_str());
	}
}

TEST_F(CrashRecorder, AReplacedPointsImagesAreDropped)
{
	crash::recorder r({dir, 1, 0, false}, report.path());
	crash::reservoir pick(1, 0);
	std::vector<crash::mapped> maps{{m.file.path(), 4096, m.base, 2 * 4096, granularity::page}};
	std::uint64_t kept = 0;
	for (std::uint64_t i = 0; i < 20; ++i) {
		r.at_point(c, maps, "fence");
		if (pick.offer(i) == 0)
			kept = i;
	}
	EXPECT_EQ(r.points(), 20u);
	std::set<std::uint64_t> written, dropped;
	for (const auto &l : file_lines(report.path())) {
		crash::state s;
		std::uint64_t n;
		if (crash::parse(l, s)) {
			written.insert(s.index);
			EXPECT_EQ(::access(s.image.c_str(), F_OK) == 0, s.index == kept) << l;
			::unlink(s.image.c_str());
		} else {
			ASSERT_TRUE(crash::parse_drop(l, n)) << l;
			dropped.insert(n);
		}
	}
	EXPECT_GT(written.size(), 1u);
	EXPECT_EQ(written.size(), dropped.size() + 1);
	EXPECT_EQ(written.count(kept), 1u);
	EXPECT_EQ(dropped.count(kept), 0u);
}

TEST_F(CrashRecorder, TakesTheBytesOutsideTheMappingOnlyFromTheMappedFile)
{
	// The mapped file's identity given: read while PATH names it; once
	// PATH names another file (the mapped one deleted, a new one created),
	// the bytes outside the mapping are zeros, not the other file's.
	struct stat st {};
	ASSERT_EQ(::fstat(m.file.fd(), &st), 0);
	crash::mapped mp{m.file.path(), 4096, m.base, 2 * 4096, granularity::page};
	mp.dev = static_cast<std::uint64_t>(st.st_dev);
	mp.ino = static_cast<std::uint64_t>(st.st_ino);
	crash::recorder r({dir, crash::max_points, 0, false}, report.path());
	r.at_point(c, {mp}, "msync");
	mp.ino += 1;	// as if PATH named another file now
	r.at_point(c, {mp}, "msync");
	auto l = file_lines(report.path());
	ASSERT_EQ(l.size(), 2u);
	for (std::size_t i = 0; i < 2; ++i) {
		crash::state s;
		ASSERT_TRUE(crash::parse(l[i], s)) << l[i];
		auto img = contents(s.image);
		// the file whole, else up to the mapping's end
		ASSERT_EQ(img.size(), (i == 0 ? 4u : 3u) * 4096) << l[i];
		EXPECT_EQ(img[0], i == 0 ? 0xEE : 0x00) << l[i];
		EXPECT_EQ(img[4095], i == 0 ? 0xEE : 0x00) << l[i];
		::unlink(s.image.c_str());
	}
}

} // namespace
