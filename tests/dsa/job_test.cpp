// Jobs on a work queue, against the software model of the device
// (support/dsa_model.hpp): every operation's bytes, pieces above the
// queue's maximum transfer, a dedicated queue never overfilled (so nothing
// is dropped), shared-queue refusals retried, page faults at the first, a
// middle and the last page of the source and the destination resumed, every
// other status reported, overlapping moves on the CPU, many threads on one
// shared queue.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "dsa/job.hpp"
#include "support/dsa_model.hpp"
#include "support/dsa_on_model.hpp"

using pmem2::dsa::job;
using pmem2::dsa::job_state;
using pmem2::dsa::queue_link;
using pmem2::test::dsa_model;

namespace {

vdm_operation copy_op(void *dst, const void *src, std::size_t n, std::uint64_t flags = 0)
{
	vdm_operation op{};
	op.type = VDM_OPERATION_MEMCPY;
	op.data.memcpy = {dst, const_cast<void *>(src), n, flags};
	return op;
}

vdm_operation move_op(void *dst, const void *src, std::size_t n)
{
	vdm_operation op{};
	op.type = VDM_OPERATION_MEMMOVE;
	op.data.memmove = {dst, const_cast<void *>(src), n, 0};
	return op;
}

vdm_operation set_op(void *dst, int c, std::size_t n)
{
	vdm_operation op{};
	op.type = VDM_OPERATION_MEMSET;
	op.data.memset = {dst, c, n, 0};
	return op;
}

vdm_operation flush_op(void *dst, std::size_t n)
{
	vdm_operation op{};
	op.type = VDM_OPERATION_FLUSH;
	op.data.flush = {dst, n, 0};
	return op;
}

struct test_queue : queue_link {
	test_queue(dsa_model &m, bool dedicated, std::uint32_t size, std::uint64_t max_xfer)
	{
		port = &m;
		this->dedicated = dedicated;
		this->size = size;
		max_transfer_size = max_xfer;
	}
};

// Polls until the job ends; fails the test (no hang) after 10 s.
job_state finish(job &j)
{
	const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
	job_state s;
	while ((s = j.poll()) == job_state::running) {
		if (std::chrono::steady_clock::now() > end) {
			ADD_FAILURE() << "job still running after 10 s";
			break;
		}
		std::this_thread::yield();
	}
	return s;
}

using pages = pmem2::test::anon_pages;

} // namespace

TEST(DsaJob, EveryOperation)
{
	dsa_model m;
	test_queue q(m, true, 16, 1 << 21);
	pages src(8192), dst(8192);
	for (std::size_t i = 0; i < src.len; ++i)
		src.p[i] = static_cast<char>(i * 13);
	job c(copy_op(dst.p + 1, src.p + 3, 5000, VDM_F_MEM_DURABLE), q);
	EXPECT_EQ(finish(c), job_state::done);
	EXPECT_EQ(std::memcmp(dst.p + 1, src.p + 3, 5000), 0);
	EXPECT_EQ(dst.p[0], 0);
	EXPECT_EQ(dst.p[5001], 0);
	job s(set_op(dst.p, 0x5c, 777), q);
	EXPECT_EQ(finish(s), job_state::done);
	for (int i = 0; i < 777; ++i)
		ASSERT_EQ(dst.p[i], 0x5c) << i;
	EXPECT_NE(dst.p[777], 0x5c);
	job f(flush_op(dst.p, 4096), q);
	EXPECT_EQ(finish(f), job_state::done);
	job mv(move_op(dst.p, src.p, 4096), q);	// no overlap: on the device
	EXPECT_EQ(finish(mv), job_state::done);
	EXPECT_EQ(std::memcmp(dst.p, src.p, 4096), 0);
	EXPECT_EQ(mv.sends(), 1u);
	const auto seen = m.seen();
	ASSERT_EQ(seen.size(), 4u);
	EXPECT_EQ(seen[0].opcode, DSA_OPCODE_MEMMOVE);
	EXPECT_NE(seen[0].flags & IDXD_OP_FLAG_DRDBK, 0u);
	EXPECT_EQ(seen[1].opcode, DSA_OPCODE_MEMFILL);
	EXPECT_EQ(seen[2].opcode, DSA_OPCODE_CFLUSH);
	EXPECT_EQ(q.in_flight.load(), 0u);
}

TEST(DsaJob, LongTransfersGoInPieces)
{
	dsa_model m;
	test_queue q(m, true, 4, 64 * 1024);
	pages src(1 << 20, 0x3d), dst(1 << 20);
	job c(copy_op(dst.p, src.p, (1 << 20) - 7), q);
	EXPECT_EQ(finish(c), job_state::done);
	EXPECT_EQ(c.sends(), 16u);
	EXPECT_EQ(std::memcmp(dst.p, src.p, (1 << 20) - 7), 0);
	EXPECT_EQ(dst.p[(1 << 20) - 7], 0);
	for (const auto &d : m.seen())
		EXPECT_LE(d.xfer_size, 64u * 1024);
}

TEST(DsaJob, DedicatedQueueIsNeverOverfilled)
{
	dsa_model::options o;
	o.size = 2;
	dsa_model m(o);
	test_queue q(m, true, 2, 1 << 21);
	pages src(4096 * 8, 7), dst(4096 * 8);
	m.stall(true);
	std::vector<std::unique_ptr<job>> jobs;
	for (int i = 0; i < 8; ++i)
		jobs.push_back(std::make_unique<job>(copy_op(dst.p + 4096 * i, src.p + 4096 * i, 4096), q));
	for (auto &j : jobs)
		EXPECT_EQ(j->poll(), job_state::running);
	EXPECT_EQ(m.accepted(), 2u);	// the others wait for room instead of being dropped
	EXPECT_EQ(q.in_flight.load(), 2u);
	m.stall(false);
	for (auto &j : jobs)
		EXPECT_EQ(finish(*j), job_state::done);
	EXPECT_EQ(m.dropped(), 0u);
	EXPECT_EQ(m.accepted(), 8u);
	EXPECT_LE(m.max_depth(), 2u);
	EXPECT_EQ(std::memcmp(dst.p, src.p, dst.len), 0);
}

TEST(DsaJob, TheModelDropsWhatAFullDedicatedQueueWould)
{
	// The hazard the slot count prevents: a queue that thinks it has more
	// room than the device loses descriptors.
	dsa_model::options o;
	o.size = 1;
	dsa_model m(o);
	m.stall(true);
	dsa_hw_desc d{};
	EXPECT_TRUE(m.submit(d));
	EXPECT_TRUE(m.submit(d));
	EXPECT_EQ(m.dropped(), 1u);
	m.stall(false);
}

TEST(DsaJob, SharedQueueRefusalsAreRetried)
{
	dsa_model::options o;
	o.dedicated = false;
	dsa_model m(o);
	test_queue q(m, false, 16, 1 << 21);
	pages src(4096, 9), dst(4096);
	m.refuse(3);
	job c(copy_op(dst.p, src.p, 4096), q);
	EXPECT_EQ(finish(c), job_state::done);
	EXPECT_EQ(c.refusals(), 3u);
	EXPECT_EQ(c.sends(), 1u);
	EXPECT_EQ(std::memcmp(dst.p, src.p, 4096), 0);
}

TEST(DsaJob, PageFaultsAnywhereAreResumed)
{
	const std::size_t len = 4096 * 6;
	for (bool on_dst : {false, true}) {
		for (std::size_t page : {std::size_t(0), std::size_t(3), std::size_t(5)}) {
			SCOPED_TRACE(std::string(on_dst ? "dst" : "src") + " page " + std::to_string(page));
			dsa_model m;
			test_queue q(m, true, 16, 1 << 21);
			pages src(len, 0), dst(len, 0);
			for (std::size_t i = 0; i < len; ++i)
				src.p[i] = static_cast<char>(i * 7 + 1);
			m.fault_at((on_dst ? dst.p : src.p) + page * 4096);
			job c(copy_op(dst.p, src.p, len), q);
			EXPECT_EQ(finish(c), job_state::done);
			EXPECT_EQ(c.faults(), 1u);
			EXPECT_EQ(c.sends(), 2u);
			EXPECT_EQ(std::memcmp(dst.p, src.p, len), 0);
			const auto seen = m.seen();
			ASSERT_EQ(seen.size(), 2u);
			EXPECT_EQ(seen[1].src_addr, reinterpret_cast<std::uintptr_t>(src.p) + page * 4096);
			EXPECT_EQ(seen[1].xfer_size, len - page * 4096);
		}
	}
}

TEST(DsaJob, AFaultThatNeverClearsFailsTheJob)
{
	dsa_model m;
	test_queue q(m, true, 16, 1 << 21);
	pages src(8192, 1), dst(8192);
	m.fault_at(dst.p + 4096, true);
	job c(copy_op(dst.p, src.p, 8192), q);
	EXPECT_EQ(finish(c), job_state::failed);
	EXPECT_EQ(c.failed_status(), DSA_COMP_PAGE_FAULT_NOBOF);
	EXPECT_EQ(std::memcmp(dst.p, src.p, 4096), 0);	// the first page got through
	EXPECT_EQ(q.in_flight.load(), 0u);
}

TEST(DsaJob, EveryOtherStatusFailsTheJobWithIt)
{
	for (std::uint8_t s : {std::uint8_t(DSA_COMP_BAD_OPCODE), std::uint8_t(DSA_COMP_INVALID_FLAGS),
		     std::uint8_t(DSA_COMP_XFER_ERANGE), std::uint8_t(DSA_COMP_OVERLAP_BUFFERS),
		     std::uint8_t(DSA_COMP_ADDR_ALIGN), std::uint8_t(DSA_COMP_HW_ERR1),
		     std::uint8_t(DSA_COMP_HW_ERR_DRB), std::uint8_t(DSA_COMP_TRANSLATION_FAIL)}) {
		SCOPED_TRACE(int(s));
		dsa_model m;
		test_queue q(m, true, 16, 1 << 21);
		pages src(4096, 2), dst(4096);
		m.fail_next(s);
		job c(copy_op(dst.p, src.p, 4096), q);
		EXPECT_EQ(finish(c), job_state::failed);
		EXPECT_EQ(c.failed_status(), s);
		EXPECT_EQ(q.in_flight.load(), 0u);
	}
}

TEST(DsaJob, ATransferTheDeviceCannotTakeIsReported)
{
	// The queue claims more than the device takes: XFER_ERANGE reaches the
	// job's result instead of a hang or a silent success.
	dsa_model::options o;
	o.max_transfer_size = 4096;
	dsa_model m(o);
	test_queue q(m, true, 16, 1 << 21);
	pages src(8192, 3), dst(8192);
	job c(copy_op(dst.p, src.p, 8192), q);
	EXPECT_EQ(finish(c), job_state::failed);
	EXPECT_EQ(c.failed_status(), DSA_COMP_XFER_ERANGE);
}

TEST(DsaJob, OverlappingMovesAndEmptyOperationsRunOnTheCpu)
{
	dsa_model m;
	test_queue q(m, true, 16, 1 << 21);
	pages buf(8192);
	for (int i = 0; i < 8192; ++i)
		buf.p[i] = static_cast<char>(i);
	std::vector<char> ref(buf.p, buf.p + 8192);
	job up(move_op(buf.p + 100, buf.p, 5000), q);
	EXPECT_EQ(up.poll(), job_state::done);
	std::memmove(ref.data() + 100, ref.data(), 5000);
	EXPECT_EQ(std::memcmp(buf.p, ref.data(), 8192), 0);
	job down(move_op(buf.p, buf.p + 100, 5000), q);
	EXPECT_EQ(down.poll(), job_state::done);
	std::memmove(ref.data(), ref.data() + 100, 5000);
	EXPECT_EQ(std::memcmp(buf.p, ref.data(), 8192), 0);
	job empty(copy_op(nullptr, nullptr, 0), q);
	EXPECT_EQ(empty.poll(), job_state::done);
	EXPECT_EQ(up.sends() + down.sends() + empty.sends(), 0u);
	EXPECT_EQ(m.accepted(), 0u);
}

TEST(DsaJob, OutOfOrderCompletions)
{
	dsa_model m;
	test_queue q(m, true, 16, 1 << 21);
	pages src(4096 * 8, 4), dst(4096 * 8);
	m.stall(true);
	m.newest_first(true);
	std::vector<std::unique_ptr<job>> jobs;
	for (int i = 0; i < 8; ++i) {
		jobs.push_back(std::make_unique<job>(copy_op(dst.p + 4096 * i, src.p + 4096 * i, 4096), q));
		jobs.back()->poll();
	}
	m.stall(false);
	for (auto &j : jobs)
		EXPECT_EQ(finish(*j), job_state::done);
	EXPECT_EQ(std::memcmp(dst.p, src.p, dst.len), 0);
}

TEST(DsaJob, ManyThreadsOnOneSharedQueue)
{
	dsa_model::options o;
	o.dedicated = false;
	o.size = 4;
	dsa_model m(o);
	test_queue q(m, false, 4, 1 << 21);
	constexpr int threads = 4, per_thread = 300;
	pages src(4096, 6), dst(4096 * threads);
	std::vector<std::thread> t;
	std::atomic<int> bad{0};
	for (int i = 0; i < threads; ++i)
		t.emplace_back([&, i] {
			for (int k = 0; k < per_thread; ++k) {
				job c(copy_op(dst.p + 4096 * i, src.p, 4096), q);
				if (finish(c) != job_state::done)
					++bad;
			}
		});
	for (auto &th : t)
		th.join();
	EXPECT_EQ(bad.load(), 0);
	EXPECT_EQ(m.accepted(), unsigned(threads * per_thread));
	EXPECT_EQ(std::memcmp(dst.p, src.p, 4096), 0);
}
