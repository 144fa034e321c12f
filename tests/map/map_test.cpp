// pmem2_map_new, pmem2_map_delete and pmem2_map_from_existing: argument
// checks, ranges, protections, granularity (forced too), mmap and munmap
// failures, and the map guard.
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "common/errormsg.hpp"
#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/granularity.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "map/map.hpp"
#include "map/registry.hpp"
#include "memops/memops.hpp"

namespace {

using namespace pmem2::test;

pmem2_map *const poison = reinterpret_cast<pmem2_map *>(0x10);

void fill_file(int fd, std::size_t size)
{
	std::vector<unsigned char> buf(size);
	for (std::size_t i = 0; i < size; ++i)
		buf[i] = static_cast<unsigned char>(i * 7 + i / 4096);
	ASSERT_EQ(pwrite(fd, buf.data(), size, 0), static_cast<ssize_t>(size));
}

unsigned char pattern_at(std::size_t i) { return static_cast<unsigned char>(i * 7 + i / 4096); }

TEST(MapNew, NullArguments)
{
	config c;
	source s(page(), 0);
	pmem2_map *m = poison;
	EXPECT_PMEM2_ERR(pmem2_map_new(nullptr, c, s), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, nullptr, s), -EINVAL);
	EXPECT_EQ(m, nullptr);
	m = poison;
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, nullptr), -EINVAL);
	EXPECT_EQ(m, nullptr);
}

TEST(MapNew, GranularityNotSet)
{
	pmem2_config *cfg = nullptr;
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	scratch f(page());
	source s(f.fd());
	pmem2_map *m = poison;
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, cfg, s), PMEM2_E_GRANULARITY_NOT_SET);
	EXPECT_EQ(m, nullptr);
	pmem2_config_delete(&cfg);
}

void map_file_page(const std::string &dir)
{
	const std::size_t size = 4 * page();
	scratch f(size, dir);
	fill_file(f.fd(), size);
	config c;
	source s(f.fd());
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_store_granularity(m), PMEM2_GRANULARITY_PAGE);
	EXPECT_EQ(pmem2_map_get_size(m), size);
	auto *p = static_cast<unsigned char *>(pmem2_map_get_address(m));
	EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % (2u << 20), 0u) << "2 MiB aligned";
	EXPECT_EQ(p[5000], pattern_at(5000));
	pmem2_memcpy_fn cpy = pmem2_get_memcpy_fn(m);
	const char msg[] = "durable";
	cpy(p + 100, msg, sizeof(msg), 0);
	pmem2_get_persist_fn(m)(p + 100, sizeof(msg));
	char back[sizeof(msg)];
	ASSERT_EQ(pread(f.fd(), back, sizeof(back), 100), static_cast<ssize_t>(sizeof(back)));
	EXPECT_STREQ(back, msg);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	EXPECT_EQ(m, nullptr);
	EXPECT_FALSE(is_mapped(f.path()));
}

TEST(MapNew, FileOnScratchDirIsPage) { map_file_page(scratch_dir()); }
TEST(MapNew, DevShmIsPage) { map_file_page("/dev/shm"); }

TEST(MapNew, FinerThanAvailableFailsAndLeavesNothingMapped)
{
	scratch f(page());
	source s(f.fd());
	for (auto g : {PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_BYTE}) {
		config c(g);
		std::size_t before = vma_count(), regs = pmem2::registry::size();
		pmem2_map *m = poison;
		EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_GRANULARITY_NOT_SUPPORTED);
		EXPECT_EQ(m, nullptr);
		EXPECT_FALSE(is_mapped(f.path()));
		EXPECT_EQ(vma_count(), before);
		EXPECT_EQ(pmem2::registry::size(), regs);
	}
}

TEST(MapNew, OffsetAndLengthChecks)
{
	const std::size_t size = 4 * page();
	scratch f(size);
	source s(f.fd());
	config c;
	pmem2_map *m = poison;

	ASSERT_EQ(pmem2_config_set_offset(c, 1), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_OFFSET_UNALIGNED);
	EXPECT_EQ(m, nullptr);
	ASSERT_EQ(pmem2_config_set_offset(c, 0), 0);
	ASSERT_EQ(pmem2_config_set_length(c, page() + 1), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_LENGTH_UNALIGNED);
	ASSERT_EQ(pmem2_config_set_length(c, 5 * page()), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_MAP_RANGE);
	ASSERT_EQ(pmem2_config_set_offset(c, page()), 0);
	ASSERT_EQ(pmem2_config_set_length(c, 4 * page()), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_MAP_RANGE);
	// offset + length overflows
	ASSERT_EQ(pmem2_config_set_length(c, SIZE_MAX - page() + 1), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_MAP_RANGE);
	// DIFFERENCES.md A16: offset == size with length 0 is rejected before mapping.
	ASSERT_EQ(pmem2_config_set_length(c, 0), 0);
	ASSERT_EQ(pmem2_config_set_offset(c, size), 0);
	std::size_t before = vma_count();
	pmem2::os::fail_next(pmem2::os::call::mmap, EIO);	// must not be reached
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_MAP_RANGE);
	EXPECT_EQ(vma_count(), before);
	pmem2::os::clear_faults();
	EXPECT_EQ(m, nullptr);
}

TEST(MapNew, EmptyFile)
{
	scratch f(0);
	source s(f.fd());
	config c;
	pmem2_map *m = poison;
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_SOURCE_EMPTY);
	EXPECT_EQ(m, nullptr);
}

TEST(MapNew, OffsetAndLengthSelectTheRange)
{
	const std::size_t size = 4 * page();
	scratch f(size);
	fill_file(f.fd(), size);
	source s(f.fd());
	config c;
	ASSERT_EQ(pmem2_config_set_offset(c, page()), 0);
	ASSERT_EQ(pmem2_config_set_length(c, 2 * page()), 0);
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_size(m), 2 * page());
	auto *p = static_cast<unsigned char *>(pmem2_map_get_address(m));
	EXPECT_EQ(p[0], pattern_at(page()));
	EXPECT_EQ(p[2 * page() - 1], pattern_at(3 * page() - 1));
	EXPECT_EQ(pmem2_map_delete(&m), 0);

	// Length 0: to the end of the file from the offset.
	ASSERT_EQ(pmem2_config_set_length(c, 0), 0);
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	EXPECT_EQ(pmem2_map_get_size(m), 3 * page());
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(MapNew, UnalignedFileSizeGivesUnalignedContentLength)
{
	scratch f(5000);
	source s(f.fd());
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_size(m), 5000u);
	EXPECT_EQ(m->reserved_length, 2 * page());
	pmem2_get_persist_fn(m)(pmem2_map_get_address(m), 5000);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(MapNew, ReadOnlyFd)
{
	scratch f(page(), scratch_dir(), O_RDONLY);
	source s(f.fd());
	config c;
	pmem2_map *m = poison;
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_NO_ACCESS);
	EXPECT_EQ(m, nullptr);
	EXPECT_FALSE(is_mapped(f.path()));

	ASSERT_EQ(pmem2_config_set_protection(c, PMEM2_PROT_READ), 0);
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_store_granularity(m), PMEM2_GRANULARITY_PAGE);
	EXPECT_EQ(pmem2_map_delete(&m), 0);

	// PRIVATE + WRITE on a read-only fd is copy-on-write: allowed, BYTE.
	ASSERT_EQ(pmem2_config_set_protection(c, PMEM2_PROT_READ | PMEM2_PROT_WRITE), 0);
	ASSERT_EQ(pmem2_config_set_sharing(c, PMEM2_PRIVATE), 0);
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_store_granularity(m), PMEM2_GRANULARITY_BYTE);
	static_cast<char *>(pmem2_map_get_address(m))[0] = 'x';
	char c0 = 1;
	ASSERT_EQ(pread(f.fd(), &c0, 1, 0), 1);
	EXPECT_EQ(c0, 0) << "private writes stay private";
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

// A map without PMEM2_PROT_WRITE: its copy and fill functions write
// nothing and return NULL with a message (the original faults on the first
// store); persist, flush and drain work as on any map of that granularity.
TEST(MapNew, ReadOnlyMapFunctionsRefuseToWrite)
{
	scratch f(page());
	ASSERT_EQ(pwrite(f.fd(), "abc", 3, 0), 3);
	source s(f.fd());
	config c;
	ASSERT_EQ(pmem2_config_set_protection(c, PMEM2_PROT_READ), 0);
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	auto *base = static_cast<char *>(pmem2_map_get_address(m));
	char data[64];
	std::memset(data, 'w', sizeof(data));
	pmem2::set_errormsg("(cleared)");
	EXPECT_EQ(pmem2_get_memcpy_fn(m)(base, data, sizeof(data), 0), nullptr);
	EXPECT_NE(std::string(pmem2_errormsg()).find("not writable"), std::string::npos) << pmem2_errormsg();
	pmem2::set_errormsg("(cleared)");
	EXPECT_EQ(pmem2_get_memmove_fn(m)(base + 1, data, 10, PMEM2_F_MEM_NODRAIN), nullptr);
	EXPECT_NE(std::string(pmem2_errormsg()).find("not writable"), std::string::npos);
	pmem2::set_errormsg("(cleared)");
	EXPECT_EQ(pmem2_get_memset_fn(m)(base, 'x', page(), PMEM2_F_MEM_NONTEMPORAL), nullptr);
	EXPECT_NE(std::string(pmem2_errormsg()).find("not writable"), std::string::npos);
	EXPECT_EQ(pmem2_get_memcpy_fn(m)(base, data, 0, 0), nullptr) << "refused whatever the length";
	EXPECT_EQ(std::string(base, 3), "abc");
	// Reading, and persisting what is there, are fine.
	pmem2_get_persist_fn(m)(base, page());
	pmem2_get_flush_fn(m)(base, 64);
	pmem2_get_drain_fn(m)();
	char got[3] = {};
	ASSERT_EQ(pread(f.fd(), got, 3, 0), 3);
	EXPECT_EQ(std::string(got, 3), "abc");
	EXPECT_EQ(pmem2_map_delete(&m), 0);

	// The same file mapped writable gets the granularity's own functions.
	ASSERT_EQ(pmem2_config_set_protection(c, PMEM2_PROT_READ | PMEM2_PROT_WRITE), 0);
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	base = static_cast<char *>(pmem2_map_get_address(m));
	EXPECT_EQ(pmem2_get_memcpy_fn(m)(base, data, 3, 0), base);
	EXPECT_EQ(base[0], 'w');
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

// Append-only files are accepted as sources (DIFFERENCES.md A39) but cannot be mapped
// shared for writing.
TEST(MapNew, AppendOnlyFileIsNoAccess)
{
	scratch f(page());
	int flags = 0;
	if (ioctl(f.fd(), FS_IOC_GETFLAGS, &flags) != 0)
		GTEST_SKIP() << "SKIP: file system of " << f.path() << " has no inode flags";
	int append = flags | FS_APPEND_FL;
	if (ioctl(f.fd(), FS_IOC_SETFLAGS, &append) != 0)
		GTEST_SKIP() << "SKIP: cannot set the append-only flag (needs CAP_LINUX_IMMUTABLE)";
	struct restore {
		int fd, flags;
		~restore() { ioctl(fd, FS_IOC_SETFLAGS, &flags); }
	} restore_flags{f.fd(), flags};
	int fd = open(f.path().c_str(), O_RDWR | O_APPEND);
	ASSERT_GE(fd, 0);
	{
		source s(fd);
		config c;
		pmem2_map *m = poison;
		EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_NO_ACCESS);
		EXPECT_EQ(m, nullptr);
	}
	close(fd);
}

TEST(MapNew, ProtNone)
{
	scratch f(page());
	source s(f.fd());
	config c;
	ASSERT_EQ(pmem2_config_set_protection(c, PMEM2_PROT_NONE), 0);
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(MapNew, PrivateIsByte)
{
	scratch f(2 * page());
	source s(f.fd());
	config c(PMEM2_GRANULARITY_BYTE);
	ASSERT_EQ(pmem2_config_set_sharing(c, PMEM2_PRIVATE), 0);
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_store_granularity(m), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(MapNew, AnonIsByteAndZeroed)
{
	source s(3 * page(), 0);
	config c(PMEM2_GRANULARITY_BYTE);
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_store_granularity(m), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(pmem2_map_get_size(m), 3 * page());
	auto *p = static_cast<unsigned char *>(pmem2_map_get_address(m));
	for (std::size_t i = 0; i < 3 * page(); i += 512)
		ASSERT_EQ(p[i], 0);
	pmem2_get_memset_fn(m)(p, 0xab, 3 * page(), 0);
	EXPECT_EQ(p[3 * page() - 1], 0xab);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(MapNew, AnonOffsetIsValidatedButIgnored)
{
	source s(4 * page(), 0);
	config c;
	pmem2_map *m = poison;
	ASSERT_EQ(pmem2_config_set_offset(c, 100), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_OFFSET_UNALIGNED);
	ASSERT_EQ(pmem2_config_set_offset(c, 5 * page()), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_MAP_RANGE);
	ASSERT_EQ(pmem2_config_set_offset(c, page()), 0);
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_size(m), 4 * page()) << "anon content is the whole source";
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(MapNew, AnonEmptyAndHuge)
{
	config c;
	pmem2_map *m = poison;
	{
		source s(0, 0);
		EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_SOURCE_EMPTY);
	}
	{
		source s(SIZE_MAX & ~(page() - 1), 0);
		std::size_t before = vma_count();
		EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), -ENOMEM);
		EXPECT_EQ(vma_count(), before);
	}
	{
		source s(std::size_t(1) << 46, 0);	// 64 TiB: no room in the address space
		EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), -ENOMEM);
	}
	EXPECT_EQ(m, nullptr);
}

TEST(MapNew, LargeAnonUsesGigabyteAlignment)
{
	source s(std::size_t(2) << 30, 0);
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(reinterpret_cast<std::uintptr_t>(pmem2_map_get_address(m)) % (1u << 30), 0u);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(MapNew, FunctionGettersAreTheMemopsTables)
{
	source s(page(), 0);
	scratch f(page());
	source fs(f.fd());
	config c;
	pmem2_map *a = nullptr, *b = nullptr, *pg = nullptr;
	ASSERT_EQ(pmem2_map_new(&a, c, s), 0);
	ASSERT_EQ(pmem2_map_new(&b, c, s), 0);
	ASSERT_EQ(pmem2_map_new(&pg, c, fs), 0);
	const auto &byte = pmem2::memops::ops(pmem2::memops::granularity::byte);
	const auto &page_ops = pmem2::memops::ops(pmem2::memops::granularity::page);
	EXPECT_EQ(pmem2_get_persist_fn(a), byte.persist);
	EXPECT_EQ(pmem2_get_flush_fn(a), byte.flush);
	EXPECT_EQ(pmem2_get_drain_fn(a), byte.drain);
	EXPECT_EQ(pmem2_get_memmove_fn(a), byte.memmove);
	EXPECT_EQ(pmem2_get_memcpy_fn(a), byte.memmove);
	EXPECT_EQ(pmem2_get_memset_fn(a), byte.memset);
	EXPECT_EQ(pmem2_get_persist_fn(a), pmem2_get_persist_fn(b));
	EXPECT_EQ(pmem2_get_memmove_fn(a), pmem2_get_memmove_fn(b));
	EXPECT_EQ(pmem2_get_persist_fn(pg), page_ops.persist);
	EXPECT_EQ(pmem2_get_memmove_fn(pg), page_ops.memmove);
	for (pmem2_map *m : {a, b, pg}) {
		EXPECT_NE(pmem2_get_persist_fn(m), nullptr);
		EXPECT_NE(pmem2_get_flush_fn(m), nullptr);
		EXPECT_NE(pmem2_get_drain_fn(m), nullptr);
		EXPECT_NE(pmem2_get_memmove_fn(m), nullptr);
		EXPECT_NE(pmem2_get_memset_fn(m), nullptr);
	}
	pmem2_map_delete(&a);
	pmem2_map_delete(&b);
	pmem2_map_delete(&pg);
}

TEST(MapNew, GuardIsLiveAndRetiredOnDelete)
{
	source s(page(), 0);
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	ASSERT_NE(m->guard, nullptr);
	EXPECT_EQ(m->guard_gen & 1, 1u);
	EXPECT_EQ(m->guard->gen.load(), m->guard_gen);
	auto *g = m->guard;
	std::uint32_t gen = m->guard_gen;
	EXPECT_EQ(m->vdm, nullptr);	// the default mover
	EXPECT_EQ(m->mover, pmem2::durable::mover_kind::builtin);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	EXPECT_NE(g->gen.load(), gen);
	EXPECT_EQ(g->gen.load() & 1, 0u);
}

class ForceGranularity : public ::testing::Test {
protected:
	int map_with(const char *value, pmem2_source *src,
		pmem2_sharing_type sh = PMEM2_SHARED)
	{
		scoped_env e("PMEM2_FORCE_GRANULARITY", value);
		config c;
		EXPECT_EQ(pmem2_config_set_sharing(c, sh), 0);
		pmem2_map *m = nullptr;
		EXPECT_EQ(pmem2_map_new(&m, c, src), 0) << pmem2_errormsg();
		if (m == nullptr)
			return -1;
		pmem2_granularity g = pmem2_map_get_store_granularity(m);
		EXPECT_EQ(m->ops, &pmem2::memops::ops(pmem2::to_memops(g)));
		pmem2_map_delete(&m);
		return g;
	}
	scratch f{page()};
};

TEST_F(ForceGranularity, EverySpelling)
{
	source s(f.fd());
	EXPECT_EQ(map_with("BYTE", s), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(map_with("byte", s), PMEM2_GRANULARITY_BYTE);
	// PAGE where the CPU cannot write back lines (LineWriteBack.*).
	const pmem2_granularity line = granularity_on_this_cpu(PMEM2_GRANULARITY_CACHE_LINE);
	EXPECT_EQ(map_with("CACHE_LINE", s), line);
	EXPECT_EQ(map_with("cache_line", s), line);
	EXPECT_EQ(map_with("CacheLine", s), line);
	EXPECT_EQ(map_with("CACHELINE", s), line);
	EXPECT_EQ(map_with("PAGE", s), PMEM2_GRANULARITY_PAGE);
	EXPECT_EQ(map_with("Page", s), PMEM2_GRANULARITY_PAGE);
}

TEST_F(ForceGranularity, InvalidValuesAreIgnored)
{
	source s(f.fd());
	for (const char *v : {"", "bytes", "CACHE-LINE", "CACHE_LINE_", "PAGEPAGEPAGE", " BYTE", "1"})
		EXPECT_EQ(map_with(v, s), PMEM2_GRANULARITY_PAGE) << '"' << v << '"';
	EXPECT_EQ(map_with(nullptr, s), PMEM2_GRANULARITY_PAGE);
}

TEST_F(ForceGranularity, AnonAndPrivateAreUnaffected)
{
	source anon(page(), 0);
	EXPECT_EQ(map_with("PAGE", anon), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(map_with("CACHE_LINE", anon), PMEM2_GRANULARITY_BYTE);
	source s(f.fd());
	EXPECT_EQ(map_with("PAGE", s, PMEM2_PRIVATE), PMEM2_GRANULARITY_BYTE);
}

TEST_F(ForceGranularity, ReadAtEveryMapNew)
{
	source s(f.fd());
	EXPECT_EQ(map_with("BYTE", s), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(map_with(nullptr, s), PMEM2_GRANULARITY_PAGE);
	EXPECT_EQ(map_with("CACHELINE", s), granularity_on_this_cpu(PMEM2_GRANULARITY_CACHE_LINE));
}

TEST_F(ForceGranularity, ForcedPageRefusesFinerRequest)
{
	scoped_env e("PMEM2_FORCE_GRANULARITY", "page");
	source s(f.fd());
	config c(PMEM2_GRANULARITY_CACHE_LINE);
	pmem2_map *m = poison;
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_GRANULARITY_NOT_SUPPORTED);
	EXPECT_EQ(m, nullptr);
	EXPECT_FALSE(is_mapped(f.path()));
}

TEST(MapDelete, Errors)
{
	pmem2_map *m = nullptr;
	EXPECT_PMEM2_ERR(pmem2_map_delete(&m), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_PMEM2_ERR(pmem2_map_delete(nullptr), -EINVAL);
	pmem2_map bogus;
	pmem2_map *b = &bogus;
	EXPECT_PMEM2_ERR(pmem2_map_delete(&b), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_EQ(b, &bogus);
}

TEST(MapDelete, MunmapFailureKeepsTheMap)
{
	scratch f(page());
	source s(f.fd());
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	std::uint32_t gen = m->guard_gen;
	pmem2::os::fail_next(pmem2::os::call::munmap, EINVAL);
	EXPECT_PMEM2_ERR(pmem2_map_delete(&m), -EINVAL);
	ASSERT_NE(m, nullptr);
	EXPECT_TRUE(is_mapped(f.path()));
	EXPECT_EQ(m->guard_gen & 1, 1u) << "guard live again";
	EXPECT_NE(m->guard_gen, gen);
	static_cast<char *>(pmem2_map_get_address(m))[0] = 1;
	pmem2_get_persist_fn(m)(pmem2_map_get_address(m), 1);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	EXPECT_FALSE(is_mapped(f.path()));
}

TEST(MapFaults, MmapFailuresAreCleanAndRecoverable)
{
	scratch f(2 * page());
	source s(f.fd());
	config c;
	std::size_t before = vma_count(), regs = pmem2::registry::size();
	pmem2_map *m = poison;
	using pmem2::os::call;
	// The address-space reservation fails.
	pmem2::os::fail_next(call::mmap, ENOMEM);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), -ENOMEM);
	EXPECT_NE(std::string(pmem2_errormsg()).find(std::strerror(ENOMEM)), std::string::npos);
	EXPECT_EQ(m, nullptr);
	// The MAP_SYNC attempt fails with something other than "unsupported".
	pmem2::os::fail_next(call::mmap, EACCES, 1);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_NO_ACCESS);
	pmem2::os::fail_next(call::mmap, EAGAIN, 1);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), -EAGAIN);
	pmem2::os::fail_next(call::mmap, EEXIST, 1);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_MAPPING_EXISTS);
	// The MAP_SHARED fallback fails.
	pmem2::os::fail_next(call::mmap, ENOTSUP, 2);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_NOSUPP);
	pmem2::os::fail_next(call::mmap, ENODEV, 2);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), -ENODEV);
	// Slack trimming fails.
	pmem2::os::fail_next(call::munmap, ENOMEM);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), -ENOMEM);
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(vma_count(), before);
	EXPECT_EQ(pmem2::registry::size(), regs);
	EXPECT_FALSE(is_mapped(f.path()));

	// A MAP_SYNC attempt rejected with EINVAL falls back to MAP_SHARED.
	pmem2::os::fail_next(call::mmap, EINVAL, 1);
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_store_granularity(m), PMEM2_GRANULARITY_PAGE);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	EXPECT_EQ(vma_count(), before);
}

TEST(MapFromExisting, Validation)
{
	source s(page(), 0);
	char buf[64];
	pmem2_map *m = poison;
	EXPECT_PMEM2_ERR(c_map_from_existing(&m, s, buf, sizeof(buf), 3),
		PMEM2_E_GRANULARITY_NOT_SUPPORTED);
	EXPECT_EQ(m, nullptr);
	m = poison;
	EXPECT_PMEM2_ERR(c_map_from_existing(&m, s, buf, sizeof(buf), -1),
		PMEM2_E_GRANULARITY_NOT_SUPPORTED);
	EXPECT_EQ(m, nullptr);
	EXPECT_PMEM2_ERR(pmem2_map_from_existing(&m, s, nullptr, 64, PMEM2_GRANULARITY_BYTE),
		PMEM2_E_ADDRESS_NULL);
	EXPECT_PMEM2_ERR(pmem2_map_from_existing(&m, s, buf, 0, PMEM2_GRANULARITY_BYTE),
		PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_map_from_existing(&m, s, buf, SIZE_MAX, PMEM2_GRANULARITY_BYTE),
		PMEM2_E_LENGTH_OUT_OF_RANGE);
	EXPECT_PMEM2_ERR(pmem2_map_from_existing(nullptr, s, buf, 64, PMEM2_GRANULARITY_BYTE), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_map_from_existing(&m, nullptr, buf, 64, PMEM2_GRANULARITY_BYTE), -EINVAL);
	EXPECT_EQ(m, nullptr);
}

TEST(MapFromExisting, WrapsAndNeverUnmaps)
{
	scratch f(2 * page());
	void *addr = mmap(nullptr, 2 * page(), PROT_READ | PROT_WRITE, MAP_SHARED, f.fd(), 0);
	ASSERT_NE(addr, MAP_FAILED);
	source s(f.fd());
	for (int g = 0; g <= 2; ++g) {
		pmem2_map *m = nullptr;
		ASSERT_EQ(pmem2_map_from_existing(&m, s, addr, 2 * page(), static_cast<pmem2_granularity>(g)), 0);
		EXPECT_EQ(pmem2_map_get_address(m), addr);
		EXPECT_EQ(pmem2_map_get_size(m), 2 * page());
		EXPECT_EQ(pmem2_map_get_store_granularity(m), g);
		EXPECT_EQ(m->reserved_length, 0u);
		EXPECT_EQ(m->source.fd, -1);
		EXPECT_EQ(m->source.kind, pmem2::source_kind::fd);
		EXPECT_EQ(pmem2_get_persist_fn(m), pmem2::memops::ops(static_cast<pmem2::memops::granularity>(g)).persist);
		// Overlapping registration.
		pmem2_map *o = poison;
		EXPECT_PMEM2_ERR(pmem2_map_from_existing(&o, s, static_cast<char *>(addr) + 100, 10,
			PMEM2_GRANULARITY_PAGE), PMEM2_E_MAP_EXISTS);
		EXPECT_EQ(o, nullptr);
		EXPECT_EQ(pmem2_map_delete(&m), 0);
		static_cast<char *>(addr)[0] = 'k';	// still mapped
	}
	munmap(addr, 2 * page());
}

TEST(MapFromExisting, AnonSourceCopyIsIntact)
{
	source s(12345, 0);
	char buf[128];
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_from_existing(&m, s, buf, sizeof(buf), PMEM2_GRANULARITY_BYTE), 0);
	EXPECT_EQ(m->source.kind, pmem2::source_kind::anon);
	EXPECT_EQ(m->source.anon_size, 12345u);	// DIFFERENCES.md A14: not clobbered
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

// DIFFERENCES.md A17: a bogus registration covering the address space makes map_new fail
// with PMEM2_E_MAPPING_EXISTS (not -EEXIST), leaving nothing behind.
TEST(MapNew, OverlapWithForeignRegistrationIsMappingExists)
{
	source anon(page(), 0);
	source s(page(), 0);
	pmem2_map *everything = nullptr;
	ASSERT_EQ(pmem2_map_from_existing(&everything, anon, reinterpret_cast<void *>(0x10000),
		(std::size_t(1) << 47) - 0x20000, PMEM2_GRANULARITY_BYTE), 0);
	config c;
	std::size_t before = vma_count();
	pmem2_map *m = poison;
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_MAPPING_EXISTS);
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(vma_count(), before);
	EXPECT_EQ(pmem2_map_delete(&everything), 0);
}

} // namespace
