// A pmem2 batch on a work queue, against the device model: one BATCH
// submission whose sub-descriptors are the entries (durable writes, a
// cache flush for a persist entry, FENCE after a fence entry, MEMFILL with
// the pattern, DUALCAST, CRCGEN, COPY_CRC, COMPARE), or one job for a batch
// of one entry; the outputs equal the CPU kernels'; page faults resumed;
// what the device cannot take whole is left to the CPU, nothing sent; a
// failing entry fails the batch with its status; PAGE syncs of what the
// entries wrote.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "memops/compare.hpp"
#include "memops/crc32c.hpp"
#include "support/dsa_model.hpp"
#include "support/wait.hpp"
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

// Polls until the batch ends, for at most the tests' wait bound (the model
// computes CRCs bytewise: megabytes take a while on a loaded machine).
job_state finish(op_slot &s)
{
	const auto end = std::chrono::steady_clock::now() + pmem2::test::wait_bound;
	job_state st;
	while ((st = pmem2::vdm_dml::poll_device_batch(s)) == job_state::running &&
	       std::chrono::steady_clock::now() < end)
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

// Starts the batch of entries `e` as the mover does: the slot's operation
// is the batch.
bool start(op_slot &s, pmem2::dsa::queue_link &q, const std::vector<d::batch_entry> &e)
{
	d::set_batch(s.op, op_of(e));
	return pmem2::vdm_dml::start_device_batch(s, q, op_of(e));
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
	ASSERT_TRUE(start(s, q, e));
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
	ASSERT_TRUE(start(s, q, e));
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
	EXPECT_FALSE(start(s, q, none));	// nothing to send
	std::vector<d::batch_entry> four = {copy, copy, copy, copy};	// max_batch_size 3
	EXPECT_FALSE(start(s, q, four));
	std::vector<d::batch_entry> overlap = {copy, {d::entry_kind::move, 0, buf.data() + 10, buf.data(), 0, 100}};
	EXPECT_FALSE(start(s, q, overlap));
	std::vector<d::batch_entry> too_long = {copy, {d::entry_kind::fill, 0, buf.data(), nullptr, 0, (1 << 20) + 1}};
	EXPECT_FALSE(start(s, q, too_long));
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
	ASSERT_TRUE(start(s, q, e));
	EXPECT_EQ(finish(s), job_state::failed);
	EXPECT_TRUE(s.failed);
	EXPECT_EQ(s.dev_status, DSA_COMP_HW_ERR1);
}

// ---- the entries beyond copies, fills and persists ---------------------------

namespace {

// Buffers for one entry of each kind at length n, misaligned by `mis`
// bytes, and the CPU path's results for them.
struct kinds {
	std::size_t n;
	std::vector<unsigned char> src, other, d1, d2, d3, d4, cpu_fill;
	unsigned char *s, *o, *a, *b, *c, *f;
	std::uint32_t crc = 0, copy_crc = 0;
	std::size_t diff = 0;
	const std::uint64_t pattern = 0xf1e2d3c4b5a69788ULL;
	const std::uint32_t seed = 0x9e3779b9u;

	kinds(std::size_t len, std::size_t mis, std::size_t differ_at)
		: n(len), src(len + 8192), other(len + 8192), d1(len + 8192), d2(len + 8192), d3(len + 8192),
		  d4(len + 8192), cpu_fill(len)
	{
		for (std::size_t i = 0; i < src.size(); ++i)
			src[i] = other[i] = static_cast<unsigned char>(i * 7 + 1);
		s = src.data() + mis;
		o = other.data() + mis;
		if (differ_at < n)
			o[differ_at] ^= 0x10;
		// The two dualcast destinations share bits 11:0.
		a = d1.data() + (4096 - reinterpret_cast<std::uintptr_t>(d1.data()) % 4096) + mis;
		b = d2.data() + (4096 - reinterpret_cast<std::uintptr_t>(d2.data()) % 4096) + mis;
		c = d3.data() + 1 + mis;
		f = d4.data() + 2 + mis;
		for (std::size_t i = 0; i < n; ++i)
			cpu_fill[i] = static_cast<unsigned char>(pattern >> (8 * (i % 8)));
	}
	std::vector<d::batch_entry> entries(bool with_copy_and_fence)
	{
		std::vector<d::batch_entry> e;
		auto entry = [](d::entry_kind k, void *dest, const void *src, std::size_t n) {
			return d::batch_entry{k, 0, dest, src, 0, n};
		};
		if (with_copy_and_fence) {
			e.push_back(entry(d::entry_kind::copy, c, s, n));
			e.push_back(entry(d::entry_kind::fence, nullptr, nullptr, 0));
		}
		e.push_back(entry(d::entry_kind::fill8, f, nullptr, n));
		e.back().value = pattern;
		if (with_copy_and_fence)
			e.push_back(entry(d::entry_kind::fence, nullptr, nullptr, 0));
		e.push_back(entry(d::entry_kind::dualcast, a, s, n));
		e.back().dest2 = b;
		e.push_back(entry(d::entry_kind::crc32c, nullptr, s, n));
		e.back().value = seed;
		e.back().out = &crc;
		e.push_back(entry(d::entry_kind::copy_crc32c, c, o, n));
		e.back().value = seed;
		e.back().out = &copy_crc;
		e.push_back(entry(d::entry_kind::compare, nullptr, s, n));
		e.back().src2 = o;
		e.back().out = &diff;
		return e;
	}
	// Each entry's result equals the CPU path's (run_batch's kernels).
	void check_results(d::entry_kind only) const
	{
		using k = d::entry_kind;
		if (only == k::fill8) {
			EXPECT_EQ(std::memcmp(f, cpu_fill.data(), n), 0);
		}
		if (only == k::dualcast) {
			EXPECT_EQ(std::memcmp(a, s, n), 0);
			EXPECT_EQ(std::memcmp(b, s, n), 0);
		}
		if (only == k::crc32c) {
			EXPECT_EQ(crc, pmem2::memops::crc32c(seed, s, n));
		}
		if (only == k::copy_crc32c) {
			EXPECT_EQ(std::memcmp(c, o, n), 0);
			EXPECT_EQ(copy_crc, pmem2::memops::crc32c(seed, o, n));
		}
		if (only == k::compare) {
			EXPECT_EQ(diff, pmem2::memops::first_difference(s, o, n));
		}
	}
};

constexpr d::entry_kind new_kinds[] = {d::entry_kind::fill8, d::entry_kind::dualcast,
	d::entry_kind::crc32c, d::entry_kind::copy_crc32c, d::entry_kind::compare};

std::uint8_t opcode_of(d::entry_kind k)
{
	switch (k) {
	case d::entry_kind::fill8: return DSA_OPCODE_MEMFILL;
	case d::entry_kind::dualcast: return DSA_OPCODE_DUALCAST;
	case d::entry_kind::crc32c: return DSA_OPCODE_CRCGEN;
	case d::entry_kind::copy_crc32c: return DSA_OPCODE_COPY_CRC;
	case d::entry_kind::compare: return DSA_OPCODE_COMPARE;
	default: return DSA_OPCODE_MEMMOVE;
	}
}

} // namespace

TEST(DeviceBatch, TheNewKindsGoInOneBatchWithCopiesAndFences)
{
	for (std::size_t n : {std::size_t(1), std::size_t(63), std::size_t(4096), std::size_t(65536 + 5)})
		for (std::size_t mis : {0, 3}) {
			SCOPED_TRACE(::testing::Message() << "n " << n << " misaligned by " << mis);
			kinds k(n, mis, n / 2);
			dsa_model m;
			queue q(m);
			const auto e = k.entries(true);
			op_slot s;
			ASSERT_TRUE(start(s, q, e));
			ASSERT_EQ(finish(s), job_state::done);
			EXPECT_FALSE(s.failed);
			for (auto kind : new_kinds)
				k.check_results(kind);
			EXPECT_EQ(std::memcmp(k.c, k.o, n), 0);	// the copy_crc32c after the copy
			const auto seen = m.seen();
			ASSERT_EQ(seen.size(), 1u);
			ASSERT_EQ(seen[0].opcode, DSA_OPCODE_BATCH);
			ASSERT_EQ(seen[0].desc_count, 6u);
			const auto *list = reinterpret_cast<const dsa_hw_desc *>(static_cast<std::uintptr_t>(seen[0].desc_list_addr));
			EXPECT_EQ(list[0].opcode, DSA_OPCODE_MEMMOVE);
			for (std::size_t i = 0; i < 5; ++i)
				EXPECT_EQ(list[i + 1].opcode, opcode_of(new_kinds[i])) << i;
			EXPECT_TRUE(list[1].flags & IDXD_OP_FLAG_FENCE);
			EXPECT_TRUE(list[2].flags & IDXD_OP_FLAG_FENCE);
			EXPECT_FALSE(list[3].flags & IDXD_OP_FLAG_FENCE);
			for (int i : {0, 1, 2, 4}) {	// what writes: durable
				EXPECT_TRUE(list[i].flags & IDXD_OP_FLAG_DRDBK) << i;
				EXPECT_FALSE(list[i].flags & IDXD_OP_FLAG_CC) << i;
			}
			EXPECT_EQ(list[3].crc_seed, k.seed);
			EXPECT_EQ(list[4].crc_seed, k.seed);
			EXPECT_EQ(list[1].pattern, k.pattern);
		}
}

TEST(DeviceBatch, EachNewKindAloneIsOneJob)
{
	for (std::size_t n : {std::size_t(1), std::size_t(63), std::size_t(4096), std::size_t(65536 + 5)})
		for (std::size_t differ_at : {std::size_t(0), n / 2, n - 1, n})
			for (std::size_t i = 0; i < 5; ++i) {
				SCOPED_TRACE(::testing::Message() << "n " << n << " kind " << i << " differ at " << differ_at);
				kinds k(n, 5, differ_at);
				dsa_model m;
				queue q(m);
				auto e = k.entries(false);
				std::vector<d::batch_entry> one = {e[i], {d::entry_kind::fence, 0, nullptr, nullptr, 0, 0}};
				op_slot s;
				ASSERT_TRUE(start(s, q, one));
				EXPECT_TRUE(s.has_job);
				ASSERT_EQ(finish(s), job_state::done);
				k.check_results(new_kinds[i]);
				const auto seen = m.seen();
				ASSERT_EQ(seen.size(), 1u);
				EXPECT_EQ(seen[0].opcode, opcode_of(new_kinds[i]));
				s.job()->~job();
			}
}

TEST(DeviceBatch, ADualcastWithDestinationsOfDifferentLowBitsIsLeftToTheCpu)
{
	kinds k(4096, 0, 4096);
	dsa_model m;
	queue q(m);
	auto e = k.entries(true);
	ASSERT_EQ(e[4].kind, d::entry_kind::dualcast);
	e[4].dest2 = k.b + 8;	// bits 11:0 differ from dest's
	op_slot s;
	EXPECT_FALSE(start(s, q, e));
	std::vector<d::batch_entry> alone = {e[4]};
	EXPECT_FALSE(start(s, q, alone));
	EXPECT_FALSE(s.has_batch);
	EXPECT_EQ(m.accepted(), 0u) << "the model saw a descriptor";
}

TEST(DeviceBatch, APageFaultInAnyNewKindIsResumedToTheSameResult)
{
	const std::size_t n = 5 * 4096 + 9;
	for (std::size_t i = 0; i < 5; ++i)
		for (bool alone : {false, true}) {
			SCOPED_TRACE(::testing::Message() << "kind " << i << (alone ? " alone" : " in a batch"));
			kinds k(n, 3, n - 2);
			auto e = k.entries(false);
			// A page in the middle of the buffer the entry reads or writes.
			const d::batch_entry &x = e[i];
			const void *buf = x.kind == d::entry_kind::crc32c || x.kind == d::entry_kind::compare ? x.src : x.dest;
			dsa_model m;
			m.fault_at(static_cast<const char *>(buf) + 2 * 4096 + 100);
			queue q(m);
			if (alone)
				e = {x};
			op_slot s;
			ASSERT_TRUE(start(s, q, e));
			ASSERT_EQ(finish(s), job_state::done);
			k.check_results(new_kinds[i]);
			EXPECT_GE(m.accepted(), 2u) << "resumed after the fault";
			if (s.has_job)
				s.job()->~job();
		}
}

TEST(DeviceBatch, AForcedStatusFailsANewKindWithItsStatus)
{
	for (std::size_t i = 0; i < 5; ++i) {
		kinds k(8192, 0, 8192);
		auto e = k.entries(false);
		dsa_model m;
		queue q(m);
		m.fail_in_batch(static_cast<std::uint32_t>(i), DSA_COMP_HW_ERR1);
		op_slot s;
		ASSERT_TRUE(start(s, q, e));
		EXPECT_EQ(finish(s), job_state::failed);
		EXPECT_EQ(s.dev_status, DSA_COMP_HW_ERR1);
		// Alone: its job fails with the status.
		dsa_model m1;
		queue q1(m1);
		m1.fail_next(DSA_COMP_ADDR_ALIGN);
		std::vector<d::batch_entry> one = {e[i]};
		op_slot s1;
		ASSERT_TRUE(start(s1, q1, one));
		EXPECT_EQ(finish(s1), job_state::failed);
		EXPECT_TRUE(s1.failed);
		EXPECT_EQ(s1.dev_status, DSA_COMP_ADDR_ALIGN);
		s1.job()->~job();
	}
}

namespace {

std::vector<std::pair<const void *, std::size_t>> synced;
int record_persist(const void *p, std::size_t n, const d::request &) noexcept
{
	synced.emplace_back(p, n);
	return 0;
}

} // namespace

TEST(DeviceBatch, PageSyncsCoverBothDualcastDestinationsAndSkipWhatWritesNothing)
{
	kinds k(100, 0, 100);
	auto e = k.entries(true);
	e.push_back({d::entry_kind::persist, 0, k.c, nullptr, 0, 50});
	d::services svc{};
	svc.persist = record_persist;
	d::map_guard g;
	g.svc = &svc;
	op_slot s;
	d::set_batch(s.op, op_of(e));
	s.guard = &g;
	synced.clear();
	EXPECT_EQ(pmem2::vdm_dml::sync_batch_entries(s), 0);
	const std::vector<std::pair<const void *, std::size_t>> want = {
		{k.c, 100}, {k.f, 100}, {k.a, 100}, {k.b, 100}, {k.c, 100}, {k.c, 50}};
	EXPECT_EQ(synced, want);	// copy, fill8, dualcast's two, copy_crc32c, persist
}

TEST(DeviceBatch, TheQueueChoiceGoesByTheFirstDestinationElseTheFirstSource)
{
	char a[8], b[8];
	std::vector<d::batch_entry> e = {{d::entry_kind::fence, 0, nullptr, nullptr, 0, 0},
		{d::entry_kind::crc32c, 0, nullptr, a, 0, 8}, {d::entry_kind::copy, 0, b, a, 0, 8}};
	EXPECT_EQ(pmem2::vdm_dml::batch_place(op_of(e)), b);
	e.pop_back();
	EXPECT_EQ(pmem2::vdm_dml::batch_place(op_of(e)), a);
	e.pop_back();
	EXPECT_EQ(pmem2::vdm_dml::batch_place(op_of(e)), nullptr);
}

TEST(DeviceBatch, OneEntryIsOneJobCutIntoPiecesAboveTheMaximumTransfer)
{
	dsa_model m;
	queue q(m);	// 1 MiB per descriptor
	std::vector<unsigned char> src((3 << 20) + 5), dst(src.size());
	for (std::size_t i = 0; i < src.size(); ++i)
		src[i] = static_cast<unsigned char>(i * 13 + 7);
	std::uint32_t crc = 0;
	d::batch_entry one{d::entry_kind::copy_crc32c, 0, dst.data(), src.data(), 0, src.size()};
	one.value = 42;
	one.out = &crc;
	std::vector<d::batch_entry> e = {one};
	op_slot s;
	ASSERT_TRUE(start(s, q, e));
	EXPECT_TRUE(s.has_job);
	ASSERT_EQ(finish(s), job_state::done);
	EXPECT_EQ(crc, pmem2::memops::crc32c(42, src.data(), src.size()));
	EXPECT_TRUE(src == dst);
	const auto seen = m.seen();
	ASSERT_EQ(seen.size(), 4u);
	for (const auto &x : seen)
		EXPECT_EQ(x.opcode, DSA_OPCODE_COPY_CRC);
	s.job()->~job();
	// A copy alone: one MEMMOVE, no BATCH.
	std::vector<d::batch_entry> copy = {{d::entry_kind::copy, 0, dst.data(), src.data(), 0, 100}};
	op_slot s2;
	ASSERT_TRUE(start(s2, q, copy));
	ASSERT_EQ(finish(s2), job_state::done);
	EXPECT_EQ(m.seen().back().opcode, DSA_OPCODE_MEMMOVE);
	s2.job()->~job();
}
