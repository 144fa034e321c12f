// Entry points this build does not support: a clean PMEM2_E_NOSUPP with a
// message, and out-parameters nulled where the API says so.
#include "helpers.hpp"

namespace {

using namespace pmem2::test;

TEST(Unsupported, SourceQueriesAndIo)
{
	scratch f(page());
	source s(f.fd());
	char id[64] = "";
	size_t len = sizeof(id);
	uint64_t usc = 7;
	int node = 7;
	char buf[16] = {0};
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, id, &len), PMEM2_E_NOSUPP);
	EXPECT_EQ(len, sizeof(id));
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_NOSUPP);
	EXPECT_EQ(usc, 7u);
}

TEST(Unsupported, DeepFlushAndBadBlocks)
{
	source s(page(), 0);
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	EXPECT_PMEM2_ERR(pmem2_deep_flush(m, pmem2_map_get_address(m), 1), PMEM2_E_NOSUPP);
	pmem2_map_delete(&m);

	auto *bb = reinterpret_cast<pmem2_badblock_context *>(0x10);
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&bb, s), PMEM2_E_NOSUPP);
	EXPECT_EQ(bb, nullptr);
	pmem2_badblock b{1, 2};
	EXPECT_PMEM2_ERR(pmem2_badblock_next(nullptr, &b), PMEM2_E_NOSUPP);
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(nullptr, &b), PMEM2_E_NOSUPP);
	pmem2_badblock_context_delete(&bb);
	EXPECT_EQ(bb, nullptr);
}

} // namespace
