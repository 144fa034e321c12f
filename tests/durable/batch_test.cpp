// How a batch travels (durable/batch.hpp): a FLUSH operation marked in its
// flags, the entries where a flush's dest is, the request where every
// durable operation's flags are; run_range hands it whole to the kernels'
// batch function, and a mover that took it for a plain flush would only
// flush the entry array.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "durable/batch.hpp"
#include "durable/protocol.hpp"
#include "durable/run.hpp"

namespace d = pmem2::durable;

namespace {

// run_range takes its kernels by const reference: the counts are mutable.
struct counting_kernels {
	mutable int moves = 0, fills = 0, persists = 0, batches = 0;
	mutable const d::batch_entry *seen = nullptr;
	mutable std::size_t count = 0;
	int move(void *, const void *, std::size_t, const d::request &) const { return ++moves, 0; }
	int fill(void *, int, std::size_t, const d::request &) const { return ++fills, 0; }
	int persist(const void *, std::size_t, const d::request &) const { return ++persists, 0; }
	int batch(const d::batch_entry *e, std::size_t n, const d::request &) const
	{
		seen = e;
		count = n;
		return ++batches, 0;
	}
};

vdm_operation batch_operation(const std::vector<d::batch_entry> &e, const d::request &r)
{
	vdm_operation op{};
	d::set_batch(op, d::batch_op{e.data(), e.size(), d::pack(r) | d::f_batch, 4096});
	return op;
}

} // namespace

TEST(DurableBatch, TheOperationCarriesEntriesAndRequest)
{
	std::vector<d::batch_entry> e(3);
	const d::request r{77, 1, 2};
	vdm_operation op = batch_operation(e, r);
	EXPECT_EQ(op.type, VDM_OPERATION_FLUSH);
	EXPECT_TRUE(d::is_batch(op));
	EXPECT_TRUE(d::is_request(d::flags_of(op)));
	const d::request back = d::unpack(d::flags_of(op));
	EXPECT_EQ(back.gen, 77u);
	EXPECT_EQ(back.granularity, 1u);
	EXPECT_EQ(back.hints, 2u);
	const d::batch_op b = d::batch_of(op);
	EXPECT_EQ(b.entries, e.data());
	EXPECT_EQ(b.count, 3u);
	EXPECT_EQ(b.bytes, 4096u);
	// As a flush: the entry array, never a destination.
	EXPECT_EQ(op.data.flush.dest, static_cast<void *>(e.data()));
	EXPECT_EQ(op.data.flush.n, 3u);
	// The guard pointer's bytes are untouched by the batch's data.
	d::set_guard(op, reinterpret_cast<d::map_guard *>(0x1234));
	EXPECT_EQ(d::batch_of(op).bytes, 4096u);
	EXPECT_EQ(d::guard_of(op), reinterpret_cast<d::map_guard *>(0x1234));
}

TEST(DurableBatch, AFlushIsNotABatch)
{
	vdm_operation op{};
	op.type = VDM_OPERATION_FLUSH;
	op.data.flush = {nullptr, 64, d::pack(d::request{1, 1, 0})};
	EXPECT_FALSE(d::is_batch(op));
	op.type = VDM_OPERATION_MEMCPY;
	op.data.memcpy.flags = d::f_batch;
	EXPECT_FALSE(d::is_batch(op));
}

TEST(DurableBatch, RunRangeHandsTheBatchWholeToTheKernels)
{
	std::vector<d::batch_entry> e(5);
	const d::request r{3, 1, 0};
	vdm_operation op = batch_operation(e, r);
	counting_kernels k;
	EXPECT_EQ(d::run_range(op, d::whole_op{}, r, k), 0);
	EXPECT_EQ(k.batches, 1);
	EXPECT_EQ(k.persists, 0);
	EXPECT_EQ(k.seen, e.data());
	EXPECT_EQ(k.count, 5u);
	// A plain flush still persists.
	vdm_operation f{};
	f.type = VDM_OPERATION_FLUSH;
	f.data.flush = {e.data(), 8, d::pack(r)};
	EXPECT_EQ(d::run_range(f, d::whole_op{}, r, k), 0);
	EXPECT_EQ(k.persists, 1);
	EXPECT_EQ(k.batches, 1);
}
