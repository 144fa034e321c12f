// How the threads mover cuts an operation (src/miniasync/chunking.hpp):
// the chunks tile the operation exactly, every boundary between two of
// them is a page-aligned destination address (4 KiB and 64 KiB pages), and
// operations that are small, have one worker, or move between overlapping
// ranges are not cut.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "miniasync/chunking.hpp"

namespace {

using namespace pmem2::masync;

constexpr std::size_t threshold = std::size_t(1) << 20;

// dest is not dereferenced: any address will do.
constexpr std::uintptr_t base = std::uintptr_t(1) << 40;

vdm_operation move_op(std::uintptr_t dest, std::uintptr_t src, std::size_t n)
{
	vdm_operation op{};
	op.type = VDM_OPERATION_MEMMOVE;
	op.data.memmove.dest = reinterpret_cast<void *>(dest);
	op.data.memmove.src = reinterpret_cast<void *>(src);
	op.data.memmove.n = n;
	return op;
}

} // namespace

TEST(Chunking, ChunksTileTheOperationAtPageBoundaries)
{
	for (std::size_t page : {std::size_t(4096), std::size_t(65536)})
		for (std::size_t skew : {std::size_t(0), std::size_t(1), std::size_t(63), page - 1})
			for (std::size_t len : {threshold, threshold + 123, std::size_t(8) << 20,
			     (std::size_t(64) << 20) + 7})
				for (std::size_t min_chunk : {std::size_t(512) << 10, std::size_t(4096),
				     std::size_t(1000)})
					for (std::size_t nthreads : {2u, 12u}) {
						std::uintptr_t dest = base + skew;
						chunk_plan p = plan_chunks(dest, len, threshold, min_chunk, nthreads, page);
						SCOPED_TRACE(testing::Message() << "page " << page << " skew " << skew
							<< " len " << len << " min_chunk " << min_chunk);
						EXPECT_GE(p.nchunks, 2u);
						EXPECT_LE(p.nchunks, max_chunks);
						std::size_t at = 0;
						for (std::uint32_t c = 0; c < p.nchunks; ++c) {
							std::size_t off, part;
							chunk_range(p, len, c, off, part);
							EXPECT_EQ(off, at) << "chunk " << c;
							EXPECT_GT(part, 0u) << "chunk " << c;
							if (c != 0) {
								EXPECT_EQ((dest + off) % page, 0u) << "chunk " << c;
							}
							at = off + part;
						}
						EXPECT_EQ(at, len);
					}
}

TEST(Chunking, WhatIsNotCut)
{
	const std::size_t chunk = std::size_t(512) << 10;
	const std::size_t len = std::size_t(8) << 20;
	constexpr std::size_t page = 4096;
	EXPECT_EQ(plan_chunks(base, len, threshold, chunk, 1, page).nchunks, 1u);	// one worker
	EXPECT_EQ(plan_chunks(base, threshold - 1, threshold, 4096, 12, page).nchunks, 1u);	// small
	EXPECT_EQ(plan_chunks(base, threshold, threshold, threshold, 12, page).nchunks, 1u);	// one chunk's worth
	// Chunks are at least a page: 1 MiB is one chunk's worth of 1 MiB pages.
	EXPECT_EQ(plan_chunks(base, threshold, threshold, 4096, 12, threshold).nchunks, 1u);
	chunk_plan whole = plan_chunks(base, len, threshold, chunk, 1, page);
	std::size_t off, part;
	chunk_range(whole, len, 0, off, part);
	EXPECT_EQ(off, 0u);
	EXPECT_EQ(part, len);

	// A move is cut only when its ranges do not overlap.
	EXPECT_EQ(plan_operation(move_op(base, base + len - 1, len), threshold, chunk, 12, page).nchunks, 1u);
	EXPECT_EQ(plan_operation(move_op(base + len - 1, base, len), threshold, chunk, 12, page).nchunks, 1u);
	EXPECT_GT(plan_operation(move_op(base, base + len, len), threshold, chunk, 12, page).nchunks, 1u);
	EXPECT_GT(plan_operation(move_op(base + len, base, len), threshold, chunk, 12, page).nchunks, 1u);
}

TEST(Chunking, ABatchIsCutByEntriesWithoutFences)
{
	namespace d = pmem2::durable;
	std::vector<d::batch_entry> e(16, d::batch_entry{d::entry_kind::copy, 0, nullptr, nullptr, 0, 4096});
	d::batch_op b{e.data(), e.size(), 0, 16 * 4096};
	// 64 KiB on two workers: two runs of eight entries.
	chunk_plan p = plan_batch(b, 2);
	EXPECT_EQ(p.nchunks, 2u);
	EXPECT_EQ(p.chunk_size, 8u);
	std::size_t off, part;
	chunk_range(p, b.count, 1, off, part);
	EXPECT_EQ(off, 8u);
	EXPECT_EQ(part, 8u);
	// Not cut: one worker, small, one entry, or a fence anywhere.
	EXPECT_EQ(plan_batch(b, 1).nchunks, 1u);
	d::batch_op small = b;
	small.bytes = batch_split_bytes - 1;
	EXPECT_EQ(plan_batch(small, 4).nchunks, 1u);
	d::batch_op one{e.data(), 1, 0, 1 << 20};
	EXPECT_EQ(plan_batch(one, 4).nchunks, 1u);
	e[11].kind = d::entry_kind::fence;
	EXPECT_EQ(plan_batch(b, 2).nchunks, 1u);
	e[11].kind = d::entry_kind::copy;
	// Thirteen entries on four workers: runs of four, the last shorter.
	d::batch_op odd{e.data(), 13, 0, 13 * 4096};
	p = plan_batch(odd, 4);
	EXPECT_EQ(p.nchunks, 3u);	// 52 KiB: three runs of at least 16 KiB
	chunk_range(p, odd.count, 2, off, part);
	EXPECT_EQ(off + part, 13u);
}
