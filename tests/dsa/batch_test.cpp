// Batches on the device model: many operations in one submission, what add()
// refuses, one failing descriptor failing its operation only, a page fault
// inside a batch resumed for that operation, a batch reset for the next
// run, a count the device refuses.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "dsa/batch.hpp"
#include "support/dsa_model.hpp"

using pmem2::dsa::batch;
using pmem2::dsa::job_state;
using pmem2::dsa::queue_link;
using pmem2::test::dsa_model;

namespace {

vdm_operation copy_op(void *dst, const void *src, std::size_t n)
{
	vdm_operation op{};
	op.type = VDM_OPERATION_MEMCPY;
	op.data.memcpy = {dst, const_cast<void *>(src), n, VDM_F_MEM_DURABLE};
	return op;
}

struct test_queue : queue_link {
	explicit test_queue(dsa_model &m, std::uint64_t max_xfer = 1 << 21)
	{
		port = &m;
		dedicated = true;
		size = 16;
		max_transfer_size = max_xfer;
	}
};

job_state finish(batch &b)
{
	const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
	job_state s;
	while ((s = b.poll()) == job_state::running) {
		if (std::chrono::steady_clock::now() > end) {
			ADD_FAILURE() << "batch still running after 10 s";
			break;
		}
		std::this_thread::yield();
	}
	return s;
}

struct buffers {
	std::vector<char> src, dst;
	explicit buffers(std::size_t n) : src(n), dst(n)
	{
		for (std::size_t i = 0; i < n; ++i)
			src[i] = static_cast<char>(i * 11 + 5);
	}
};

} // namespace

TEST(DsaBatch, SixteenOperationsInOneSubmission)
{
	dsa_model m;
	test_queue q(m);
	buffers b(16 * 256);
	batch bt(q, 16);
	for (int i = 0; i < 16; ++i)
		ASSERT_TRUE(bt.add(copy_op(b.dst.data() + 256 * i, b.src.data() + 256 * i, 256)));
	EXPECT_FALSE(bt.add(copy_op(b.dst.data(), b.src.data(), 8)));	// full
	EXPECT_EQ(finish(bt), job_state::done);
	EXPECT_EQ(bt.sends(), 1u);
	EXPECT_EQ(m.accepted(), 1u);
	for (int i = 0; i < 16; ++i)
		EXPECT_EQ(bt.state_of(i), job_state::done);
	EXPECT_EQ(b.dst, b.src);
	const auto seen = m.seen();
	ASSERT_EQ(seen.size(), 1u);
	EXPECT_EQ(seen[0].opcode, DSA_OPCODE_BATCH);
	EXPECT_EQ(seen[0].desc_count, 16u);
	EXPECT_EQ(seen[0].desc_list_addr % 64, 0u);
	EXPECT_EQ(q.in_flight.load(), 0u);
}

TEST(DsaBatch, EveryKindOfOperation)
{
	dsa_model m;
	test_queue q(m);
	buffers b(4096);
	batch bt(q, 4);
	vdm_operation set{}, mv{}, fl{};
	set.type = VDM_OPERATION_MEMSET;
	set.data.memset = {b.dst.data() + 1024, 0x77, 512, 0};
	mv.type = VDM_OPERATION_MEMMOVE;
	mv.data.memmove = {b.dst.data() + 2048, b.src.data() + 2048, 1024, 0};
	fl.type = VDM_OPERATION_FLUSH;
	fl.data.flush = {b.dst.data(), 4096, 0};
	ASSERT_TRUE(bt.add(copy_op(b.dst.data(), b.src.data(), 1024)));
	ASSERT_TRUE(bt.add(set));
	ASSERT_TRUE(bt.add(mv));
	ASSERT_TRUE(bt.add(fl));
	EXPECT_EQ(finish(bt), job_state::done);
	EXPECT_EQ(std::memcmp(b.dst.data(), b.src.data(), 1024), 0);
	for (int i = 1024; i < 1536; ++i)
		ASSERT_EQ(b.dst[i], 0x77);
	EXPECT_EQ(std::memcmp(b.dst.data() + 2048, b.src.data() + 2048, 1024), 0);
	const auto seen = m.seen();
	ASSERT_EQ(seen.size(), 1u);
}

TEST(DsaBatch, WhatAddRefuses)
{
	dsa_model m;
	test_queue q(m, 4096);
	buffers b(16384);
	batch bt(q, 4);
	EXPECT_FALSE(bt.add(copy_op(b.dst.data(), b.src.data(), 0)));		// empty
	EXPECT_FALSE(bt.add(copy_op(b.dst.data(), b.src.data(), 4097)));	// over the queue's maximum
	vdm_operation mv{};
	mv.type = VDM_OPERATION_MEMMOVE;
	mv.data.memmove = {b.dst.data() + 10, b.dst.data(), 100, 0};
	EXPECT_FALSE(bt.add(mv));						// overlapping
	EXPECT_TRUE(bt.add(copy_op(b.dst.data(), b.src.data(), 4096)));
	EXPECT_EQ(finish(bt), job_state::done);
	EXPECT_FALSE(bt.add(copy_op(b.dst.data(), b.src.data(), 64)));	// already sent
	EXPECT_EQ(bt.size(), 1u);
	batch none(q, 4);
	EXPECT_EQ(none.poll(), job_state::done);
	EXPECT_EQ(m.accepted(), 1u);
}

TEST(DsaBatch, OneFailingDescriptorFailsItsOperationOnly)
{
	dsa_model m;
	test_queue q(m);
	buffers b(8 * 512);
	batch bt(q, 8);
	for (int i = 0; i < 8; ++i)
		ASSERT_TRUE(bt.add(copy_op(b.dst.data() + 512 * i, b.src.data() + 512 * i, 512)));
	m.fail_in_batch(3, DSA_COMP_HW_ERR1);
	EXPECT_EQ(finish(bt), job_state::done);
	for (int i = 0; i < 8; ++i) {
		EXPECT_EQ(bt.state_of(i), i == 3 ? job_state::failed : job_state::done) << i;
		if (i != 3) {
			EXPECT_EQ(std::memcmp(b.dst.data() + 512 * i, b.src.data() + 512 * i, 512), 0);
		}
	}
	EXPECT_EQ(bt.status_of(3), DSA_COMP_HW_ERR1);
}

TEST(DsaBatch, APageFaultIsResumedForItsOperation)
{
	dsa_model m;
	test_queue q(m);
	alignas(4096) static char dst[8 * 4096];
	std::vector<char> src(sizeof(dst));
	for (std::size_t i = 0; i < src.size(); ++i)
		src[i] = static_cast<char>(i * 3);
	std::memset(dst, 0, sizeof(dst));
	batch bt(q, 4);
	for (int i = 0; i < 4; ++i)
		ASSERT_TRUE(bt.add(copy_op(dst + 8192 * i, src.data() + 8192 * i, 8192)));
	m.fault_at(dst + 8192 * 2 + 4096);	// the second page of the third operation
	EXPECT_EQ(finish(bt), job_state::done);
	for (int i = 0; i < 4; ++i)
		EXPECT_EQ(bt.state_of(i), job_state::done) << i;
	EXPECT_EQ(std::memcmp(dst, src.data(), sizeof(dst)), 0);
	const auto seen = m.seen();
	ASSERT_EQ(seen.size(), 2u);	// the batch, then the rest of the third
	EXPECT_EQ(seen[1].opcode, DSA_OPCODE_MEMMOVE);
	EXPECT_EQ(seen[1].dst_addr, reinterpret_cast<std::uintptr_t>(dst + 8192 * 2 + 4096));
	EXPECT_EQ(seen[1].xfer_size, 4096u);
}

TEST(DsaBatch, AResetBatchCarriesTheNextRunAfterAFault)
{
	dsa_model m;
	test_queue q(m);
	alignas(4096) static char dst[4 * 4096];
	std::vector<char> src(sizeof(dst));
	for (std::size_t i = 0; i < src.size(); ++i)
		src[i] = static_cast<char>(i * 7 + 1);
	batch bt(q, 4);
	EXPECT_TRUE(bt.add(copy_op(dst, src.data(), 8192)));
	m.fault_at(dst + 4096);
	EXPECT_EQ(finish(bt), job_state::done);
	EXPECT_EQ(m.accepted(), 2u);	// the batch, the rest after the fault
	bt.reset();
	EXPECT_EQ(bt.size(), 0u);
	for (int i = 0; i < 2; ++i)
		ASSERT_TRUE(bt.add(copy_op(dst + 8192 + 4096 * i, src.data() + 8192 + 4096 * i, 4096)));
	EXPECT_EQ(finish(bt), job_state::done);
	EXPECT_EQ(bt.sends(), 2u);
	EXPECT_EQ(m.accepted(), 3u);
	EXPECT_EQ(bt.state_of(0), job_state::done);
	EXPECT_EQ(bt.state_of(1), job_state::done);
	EXPECT_EQ(std::memcmp(dst, src.data(), sizeof(dst)), 0);
	EXPECT_EQ(q.in_flight.load(), 0u);
}

TEST(DsaBatch, ACountTheDeviceRefusesFailsEveryOperation)
{
	dsa_model::options o;
	o.max_batch_size = 4;
	dsa_model m(o);
	test_queue q(m);
	buffers b(8 * 64);
	batch bt(q, 8);
	for (int i = 0; i < 8; ++i)
		ASSERT_TRUE(bt.add(copy_op(b.dst.data() + 64 * i, b.src.data() + 64 * i, 64)));
	EXPECT_EQ(finish(bt), job_state::done);
	for (int i = 0; i < 8; ++i) {
		EXPECT_EQ(bt.state_of(i), job_state::failed);
		EXPECT_EQ(bt.status_of(i), DSA_COMP_DESC_CNT_ERANGE);
	}
}
