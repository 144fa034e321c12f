// Descriptors and completion records in <linux/idxd.h>'s layout: the fields
// and flags each vdm operation and flag set gets, and what read() makes of
// every kind of record.
#include <gtest/gtest.h>

#include <libminiasync/vdm.h>

#include <cstring>

#include "dsa/descriptor.hpp"

using namespace pmem2::dsa;

namespace {
std::uint64_t a(const void *p)
{
	return reinterpret_cast<std::uintptr_t>(p);
}
} // namespace

TEST(DsaDescriptor, FlagsPerVdmFlags)
{
	const std::uint32_t base = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	EXPECT_EQ(desc_flags(0), base | IDXD_OP_FLAG_CC);
	EXPECT_EQ(desc_flags(VDM_F_NO_CACHE_HINT), base);
	// Durable: to memory (no CC) and read back before completion; never
	// the value 1 the original's typo gave.
	EXPECT_EQ(desc_flags(VDM_F_MEM_DURABLE), base | IDXD_OP_FLAG_DRDBK);
	EXPECT_EQ(desc_flags(VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT), base | IDXD_OP_FLAG_DRDBK);
	EXPECT_EQ(IDXD_OP_FLAG_DRDBK, 1u << 14);
	for (std::uint64_t f : {0ull, 1ull, 2ull, 3ull}) {
		EXPECT_EQ(desc_flags(f) & IDXD_OP_FLAG_BOF, 0u) << "page faults must be reported";
		EXPECT_EQ(desc_flags(f) & IDXD_OP_FLAG_FENCE, 0u);
	}
}

TEST(DsaDescriptor, Memmove)
{
	completion c{};
	char src[100] = {}, dst[100] = {};
	const dsa_hw_desc d = memmove_desc(dst, src, 100, VDM_F_MEM_DURABLE, &c);
	EXPECT_EQ(d.opcode, DSA_OPCODE_MEMMOVE);
	EXPECT_EQ(d.flags, desc_flags(VDM_F_MEM_DURABLE));
	EXPECT_EQ(d.src_addr, a(src));
	EXPECT_EQ(d.dst_addr, a(dst));
	EXPECT_EQ(d.xfer_size, 100u);
	EXPECT_EQ(d.completion_addr, a(&c.rec));
	EXPECT_EQ(d.pasid, 0u);
	EXPECT_EQ(d.priv, 0u);
	EXPECT_EQ(d.int_handle, 0u);
	static const std::uint8_t zero[24] = {};
	EXPECT_EQ(std::memcmp(d.op_specific, zero, sizeof(zero)), 0);
}

TEST(DsaDescriptor, FillRepeatsTheByte)
{
	completion c{};
	char dst[64];
	const dsa_hw_desc d = fill_desc(dst, 0x1a5, 64, 0, &c);	// only the low byte counts
	EXPECT_EQ(d.opcode, DSA_OPCODE_MEMFILL);
	EXPECT_EQ(d.pattern, 0xa5a5a5a5a5a5a5a5ull);
	EXPECT_EQ(d.dst_addr, a(dst));
	EXPECT_EQ(d.xfer_size, 64u);
	EXPECT_EQ(d.flags, desc_flags(0));
}

TEST(DsaDescriptor, Cflush)
{
	completion c{};
	char dst[256];
	const dsa_hw_desc d = cflush_desc(dst, 256, &c);
	EXPECT_EQ(d.opcode, DSA_OPCODE_CFLUSH);
	EXPECT_EQ(d.flags, std::uint32_t(IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR));
	EXPECT_EQ(d.dst_addr, a(dst));
	EXPECT_EQ(d.xfer_size, 256u);
}

TEST(DsaCompletion, RecordIsAlignedForTheDevice)
{
	EXPECT_EQ(alignof(completion), 32u);
	completion cs[3];
	for (auto &c : cs)
		EXPECT_EQ(a(&c.rec) % 32, 0u);
}

TEST(DsaCompletion, EveryKindOfRecord)
{
	completion c{};
	EXPECT_EQ(read(c).kind, outcome_kind::pending);

	c.rec.status = DSA_COMP_SUCCESS;
	EXPECT_EQ(read(c).kind, outcome_kind::success);

	c.rec.status = DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE;
	c.rec.bytes_completed = 8192;
	c.rec.fault_addr = 0x7f0000002000ull;
	outcome o = read(c);
	EXPECT_EQ(o.kind, outcome_kind::page_fault);
	EXPECT_EQ(o.status, DSA_COMP_PAGE_FAULT_NOBOF);
	EXPECT_EQ(o.bytes_completed, 8192u);
	EXPECT_EQ(o.fault_addr, 0x7f0000002000ull);
	EXPECT_TRUE(o.fault_on_write);
	c.rec.status = DSA_COMP_PAGE_FAULT_NOBOF;
	EXPECT_FALSE(read(c).fault_on_write);

	for (std::uint8_t s : {std::uint8_t(DSA_COMP_BAD_OPCODE), std::uint8_t(DSA_COMP_INVALID_FLAGS),
		     std::uint8_t(DSA_COMP_XFER_ERANGE), std::uint8_t(DSA_COMP_OVERLAP_BUFFERS),
		     std::uint8_t(DSA_COMP_ADDR_ALIGN), std::uint8_t(DSA_COMP_HW_ERR1),
		     std::uint8_t(DSA_COMP_BATCH_FAIL), std::uint8_t(0x7e)}) {
		c.rec.status = s;
		o = read(c);
		EXPECT_EQ(o.kind, outcome_kind::error) << int(s);
		EXPECT_EQ(o.status, s);
	}
}

TEST(DsaCompletion, StatusNames)
{
	EXPECT_STREQ(status_name(DSA_COMP_SUCCESS), "success");
	EXPECT_STREQ(status_name(DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE),
		"page fault (no block on fault)");
	EXPECT_STREQ(status_name(DSA_COMP_XFER_ERANGE), "transfer size out of range");
	EXPECT_STREQ(status_name(DSA_COMP_HW_ERR_DRB), "hardware error on destination readback");
	EXPECT_STREQ(status_name(0x7e), "status 0x7e");
}
