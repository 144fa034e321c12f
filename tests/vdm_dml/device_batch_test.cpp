// A pmem2 batch on a work queue, against the device model: one BATCH
// submission whose sub-descriptors are the entries (durable writes, a
// cache flush for a persist entry, FENCE after a fence entry); what the
// device cannot take whole is left to the CPU, nothing sent; a failing
// entry fails the batch with its status.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "support/dsa_model.hpp"
#include "vdm_dml/device_batch.hpp"

namespace d = pmem2::durable;
using pmem2::dsa::job_state;
using pmem2::test::dsa_model;
using pmem2::vdm_dml::op_slot;

namespace {

struct queue : pmem2::dsa::queue_link {
	explicit queue(dsa_model &m, std::uint32_t batch = 32)
	{
		port = &m;
		size = 16;
		max_transfer_size = 1 << 20;
		max_batch_size = batch;
	}
};

job_state finish(op_slot &s)
{
	job_state st = job_state::running;
	for (int i = 0; i < 10000000 && (st = pmem2::vdm_dml::poll_device_batch(s)) == job_state::running; ++i)
		;
	return st;
}

d::batch_op op_of(const std::vector<d::batch_entry> &e)
{
	std::size_t bytes = 0;
	for (auto &x : e)
		bytes += x.n;
	return {e.data(), e.size(), 0, bytes};
}

} // namespace

TEST(DeviceBatch, EntriesBecomeTheSubDescriptorsOfOneBatch)
{
	dsa_model m(dsa_model::options{});
	queue q(m);
	std::vector<char> src(8192, 's'), dst(4 * 8192, 0);
	std::vector<d::batch_entry> e = {
		{d::entry_kind::copy, 0, dst.data(), src.data(), 0, 4096},
		{d::entry_kind::fence, 0, nullptr, nullptr, 0, 0},
		{d::entry_kind::move, 0, dst.data() + 8192, dst.data(), 0, 4096},
		{d::entry_kind::fill, 0, dst.data() + 16384, nullptr, 'f', 100},
		{d::entry_kind::persist, 0, dst.data() + 24576, nullptr, 0, 512},
	};
	op_slot s;
	ASSERT_TRUE(pmem2::vdm_dml::start_device_batch(s, q, op_of(e)));
	EXPECT_TRUE(s.has_batch);
	EXPECT_EQ(finish(s), job_state::done);
	EXPECT_FALSE(s.failed);
	EXPECT_EQ(std::memcmp(dst.data() + 8192, src.data(), 4096), 0);	// after the fence
	EXPECT_EQ(dst[16384 + 99], 'f');
	const auto seen = m.seen();
	ASSERT_EQ(seen.size(), 1u);
	EXPECT_EQ(seen[0].opcode, DSA_OPCODE_BATCH);
	ASSERT_EQ(seen[0].desc_count, 4u);
	const auto *list = reinterpret_cast<const dsa_hw_desc *>(static_cast<std::uintptr_t>(seen[0].desc_list_addr));
	EXPECT_EQ(list[0].opcode, DSA_OPCODE_MEMMOVE);
	EXPECT_EQ(list[1].opcode, DSA_OPCODE_MEMMOVE);
	EXPECT_EQ(list[2].opcode, DSA_OPCODE_MEMFILL);
	EXPECT_EQ(list[3].opcode, DSA_OPCODE_CFLUSH);
	EXPECT_FALSE(list[0].flags & IDXD_OP_FLAG_FENCE);
	EXPECT_TRUE(list[1].flags & IDXD_OP_FLAG_FENCE);
	EXPECT_FALSE(list[2].flags & IDXD_OP_FLAG_FENCE);
	for (int i = 0; i < 3; ++i) {
		EXPECT_TRUE(list[i].flags & IDXD_OP_FLAG_DRDBK) << i;
		EXPECT_FALSE(list[i].flags & IDXD_OP_FLAG_CC) << i;
	}
	// The slot keeps its batch object for the next batch.
	const pmem2::dsa::batch *kept = s.dev_batch.get();
	ASSERT_TRUE(pmem2::vdm_dml::start_device_batch(s, q, op_of(e)));
	EXPECT_EQ(s.dev_batch.get(), kept);
	EXPECT_EQ(finish(s), job_state::done);
}

TEST(DeviceBatch, WhatTheDeviceCannotTakeWholeIsLeftToTheCpu)
{
	dsa_model m(dsa_model::options{});
	queue q(m, 3);
	std::vector<char> buf(1 << 16);
	op_slot s;
	const d::batch_entry copy{d::entry_kind::copy, 0, buf.data(), buf.data() + 8192, 0, 64};
	const d::batch_entry fence{d::entry_kind::fence, 0, nullptr, nullptr, 0, 0};
	std::vector<d::batch_entry> none = {fence, {d::entry_kind::crc32c, 0, nullptr, buf.data(), 0, 0}};
	EXPECT_FALSE(pmem2::vdm_dml::start_device_batch(s, q, op_of(none)));	// nothing to send
	std::vector<d::batch_entry> four = {copy, copy, copy, copy};	// max_batch_size 3
	EXPECT_FALSE(pmem2::vdm_dml::start_device_batch(s, q, op_of(four)));
	std::vector<d::batch_entry> overlap = {copy, {d::entry_kind::move, 0, buf.data() + 10, buf.data(), 0, 100}};
	EXPECT_FALSE(pmem2::vdm_dml::start_device_batch(s, q, op_of(overlap)));
	std::vector<d::batch_entry> too_long = {copy, {d::entry_kind::fill, 0, buf.data(), nullptr, 0, (1 << 20) + 1}};
	EXPECT_FALSE(pmem2::vdm_dml::start_device_batch(s, q, op_of(too_long)));
	EXPECT_FALSE(s.has_batch);
	EXPECT_EQ(m.accepted(), 0u);
	EXPECT_EQ(q.in_flight.load(), 0u);
}

TEST(DeviceBatch, AFailingEntryFailsTheBatchWithItsStatus)
{
	dsa_model m(dsa_model::options{});
	queue q(m);
	std::vector<char> src(4096, 'x'), dst(8192);
	std::vector<d::batch_entry> e = {
		{d::entry_kind::copy, 0, dst.data(), src.data(), 0, 4096},
		{d::entry_kind::fill, 0, dst.data() + 4096, nullptr, 1, 4096},
	};
	m.fail_in_batch(1, DSA_COMP_HW_ERR1);
	op_slot s;
	ASSERT_TRUE(pmem2::vdm_dml::start_device_batch(s, q, op_of(e)));
	EXPECT_EQ(finish(s), job_state::failed);
	EXPECT_TRUE(s.failed);
	EXPECT_EQ(s.dev_status, DSA_COMP_HW_ERR1);
}
