// pmem2 batches of the entries beyond copies, fills and persists (memset8,
// dualcast, crc32c, copy_crc32c, compare) through the DSA mover on the
// device model, end to end on the shared libraries: each alone (one
// descriptor of its opcode) and mixed with copies and fences (one BATCH
// descriptor), at several lengths and misalignments, with the outputs and
// bytes the CPU route (a SOFTWARE mover) gives for the same batch; a page
// fault in the middle resumed; a dualcast the device cannot take on the CPU
// route; a failing descriptor failing the future with -EIO; and everything
// written durable at completion at every granularity.
#include <gtest/gtest.h>

#include <libminiasync-vdm-dml.h>
#include <libminiasync.h>
#include <libpmem2/batch.h>

#include <cstring>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/bytes.hpp"
#include "support/dsa_on_model.hpp"
#include "support/event_log.hpp"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"	// mapped_file sets the vdm
#include "support/mapped_file.hpp"

namespace {

using pmem2::test::event_log;
using pmem2::test::mapped_file;

// The device model and the recorder: what the device wrote with readback to
// memory (both destinations of a DUALCAST) counts as streamed and fenced.
struct recorded_device : pmem2::test::dsa_on_model, pmem2::test::recorded {
	recorded_device()
	{
		model.on_performed([this](const dsa_hw_desc &d, std::uint32_t done) {
			const auto *dst = reinterpret_cast<const char *>(static_cast<std::uintptr_t>(d.dst_addr));
			if (d.opcode == DSA_OPCODE_CRCGEN || d.opcode == DSA_OPCODE_COMPARE || done == 0)
				return;	// nothing written
			if (d.opcode == DSA_OPCODE_CFLUSH) {
				for (std::uint32_t off = 0; off < done; off += 64)
					log.record(event_log::flush, dst + off, 64);
			} else if ((d.flags & IDXD_OP_FLAG_DRDBK) && !(d.flags & IDXD_OP_FLAG_CC)) {
				log.record(event_log::nt, dst, done);
				if (d.opcode == DSA_OPCODE_DUALCAST)
					log.record(event_log::nt,
						reinterpret_cast<const char *>(static_cast<std::uintptr_t>(d.dest2)), done);
			} else {
				return;
			}
			log.record(event_log::fence, nullptr, 0);
		});
	}
};

void wait(pmem2_future &f)
{
	runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(r);
}

enum kind { fill8, dualcast, crc, copy_crc, compare, all };
const char *const kind_names[] = {"memset8", "dualcast", "crc32c", "copy_crc32c", "compare", "all"};
const std::uint8_t opcodes[] = {DSA_OPCODE_MEMFILL, DSA_OPCODE_DUALCAST, DSA_OPCODE_CRCGEN,
	DSA_OPCODE_COPY_CRC, DSA_OPCODE_COMPARE};

// One run of a batch on a map: where each entry writes (offsets in the
// map), its inputs, and its outputs after the future.
struct run_result {
	int result = 0;
	std::uint32_t crc = 0, copy_crc = 0;
	std::size_t diff = 0;
	std::vector<char> image;	// the map's bytes
	std::vector<std::pair<const void *, std::size_t>> written;
};

struct batch_case {
	kind k;
	std::size_t n;
	std::size_t mis;		// misalignment of sources and destinations
	std::size_t differ_at;		// compare: where b differs (n: equal)
	std::size_t dest2_skew = 0;	// dualcast: bits 11:0 of dest2 minus dest's
};

// The map's layout: [0, 64 KiB) the copy's destination; then 128 KiB per
// entry: fill8, dualcast's two, copy_crc32c.
constexpr std::size_t slot = 128 * 1024;
constexpr std::size_t map_size = 6 * slot;

// With `model`, a page fault at page 3 of the buffer entry `fault_in`
// reads or writes.
run_result run_batch(mapped_file &mf, const batch_case &c, const std::vector<char> &src,
	const std::vector<char> &other, pmem2::test::dsa_model *model = nullptr, kind fault_in = all)
{
	run_result r;
	pmem2_batch *b = nullptr;
	EXPECT_EQ(pmem2_batch_new(&b, mf.map, 16), 0);
	const char *s = src.data() + c.mis;
	const char *o = other.data() + c.mis;
	char *copy_at = mf.base + c.mis;
	char *fill_at = mf.base + slot + c.mis;
	char *d1 = mf.base + 2 * slot + c.mis;
	char *d2 = mf.base + 3 * slot + c.mis + c.dest2_skew;
	char *cc_at = mf.base + 4 * slot + 1 + c.mis;
	const std::uint64_t pattern = 0x0123456789abcdefULL;
	const std::uint32_t seed = 0xdeadbeefu;
	if (c.k == all) {
		EXPECT_EQ(pmem2_batch_memcpy(b, copy_at, s, std::min<std::size_t>(c.n, slot / 2), 0), 0);
		EXPECT_EQ(pmem2_batch_fence(b), 0);
		r.written.emplace_back(copy_at, std::min<std::size_t>(c.n, slot / 2));
	}
	if (c.k == fill8 || c.k == all) {
		EXPECT_EQ(pmem2_batch_memset8(b, fill_at, pattern, c.n, 0), 0);
		r.written.emplace_back(fill_at, c.n);
	}
	if (c.k == dualcast || c.k == all) {
		EXPECT_EQ(pmem2_batch_dualcast(b, d1, d2, s, c.n, 0), 0);
		r.written.emplace_back(d1, c.n);
		r.written.emplace_back(d2, c.n);
	}
	if (c.k == all) {
		EXPECT_EQ(pmem2_batch_fence(b), 0);
	}
	if (c.k == crc || c.k == all) {
		EXPECT_EQ(pmem2_batch_crc32c(b, s, c.n, seed, &r.crc), 0);
	}
	if (c.k == copy_crc || c.k == all) {
		EXPECT_EQ(pmem2_batch_copy_crc32c(b, cc_at, o, c.n, seed, &r.copy_crc, 0), 0);
		r.written.emplace_back(cc_at, c.n);
	}
	if (c.k == compare || c.k == all) {
		EXPECT_EQ(pmem2_batch_compare(b, s, o, c.n, &r.diff), 0);
	}
	if (model != nullptr) {
		const char *buf = fault_in == fill8 ? fill_at : fault_in == dualcast ? d2
			: fault_in == copy_crc ? cc_at : fault_in == crc ? s : o;
		model->fault_at(buf + 3 * 4096);
	}
	pmem2_future f = pmem2_batch_async(b);
	wait(f);
	r.result = FUTURE_OUTPUT(&f)->result;
	r.image.assign(mf.base, mf.base + map_size);
	pmem2_batch_delete(&b);
	return r;
}

std::vector<char> source(std::size_t n, int seed)
{
	std::vector<char> v(n + 64);
	pmem2::test::fill_pattern(v.data(), v.size(), seed);
	return v;
}

// The same batch on the CPU route (a SOFTWARE mover): the reference.
run_result on_cpu(const batch_case &c, const std::vector<char> &src, const std::vector<char> &other)
{
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_SOFTWARE);
	run_result r;
	{
		mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE, data_mover_dml_get_vdm(d), "/dev/shm");
		r = run_batch(mf, c, src, other);
	}
	data_mover_dml_delete(d);
	return r;
}

void expect_same(const run_result &dev, const run_result &cpu, kind k)
{
	EXPECT_EQ(dev.result, 0);
	if (k == crc || k == all) {
		EXPECT_EQ(dev.crc, cpu.crc);
	}
	if (k == copy_crc || k == all) {
		EXPECT_EQ(dev.copy_crc, cpu.copy_crc);
	}
	if (k == compare || k == all) {
		EXPECT_EQ(dev.diff, cpu.diff);
	}
	EXPECT_TRUE(dev.image == cpu.image) << "the map's bytes differ from the CPU route's";
}

} // namespace

TEST(DmlBatchEntries, TheCpuRouteIsTheReference)
{
	// The reference's CRC is the CPU kernel's: "123456789" from 0.
	const std::vector<char> digits = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_SOFTWARE);
	{
		mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE, data_mover_dml_get_vdm(d), "/dev/shm");
		pmem2_batch *b = nullptr;
		ASSERT_EQ(pmem2_batch_new(&b, mf.map, 1), 0);
		std::uint32_t crc = 0;
		ASSERT_EQ(pmem2_batch_crc32c(b, digits.data(), 9, 0, &crc), 0);
		pmem2_future f = pmem2_batch_async(b);
		wait(f);
		EXPECT_EQ(crc, 0xE3069283u);
		pmem2_batch_delete(&b);
	}
	data_mover_dml_delete(d);
}

TEST(DmlBatchEntries, EachAloneAndAllTogetherGiveTheCpuRoutesResults)
{
	for (std::size_t n : {std::size_t(1), std::size_t(63), std::size_t(4096), std::size_t(65536 + 5)})
		for (std::size_t mis : {0, 5})
			for (int k = fill8; k <= all; ++k)
				for (std::size_t at : {std::size_t(0), n / 2, n - 1, n}) {
					if (k != compare && k != all && at != n / 2)
						continue;
					SCOPED_TRACE(::testing::Message() << kind_names[k] << " n " << n << " mis " << mis
									  << " differ at " << at);
					const batch_case c{kind(k), n, mis, at};
					const auto src = source(n, 3);
					auto other = src;
					if (at < n)
						other[mis + at] ^= 0x21;
					const run_result cpu = on_cpu(c, src, other);
					recorded_device dev;
					data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
					ASSERT_NE(d, nullptr);
					{
						mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE, data_mover_dml_get_vdm(d),
							"/dev/shm");
						const run_result r = run_batch(mf, c, src, other);
						expect_same(r, cpu, kind(k));
						const auto seen = dev.model.seen();
						ASSERT_EQ(seen.size(), 1u);
						EXPECT_EQ(seen[0].opcode, k == all ? std::uint8_t(DSA_OPCODE_BATCH) : opcodes[k]);
						if (k == all) {
							EXPECT_EQ(seen[0].desc_count, 6u);
						}
					}
					data_mover_dml_delete(d);
				}
}

TEST(DmlBatchEntries, APageFaultInTheMiddleIsResumedToTheSameResult)
{
	const std::size_t n = 6 * 4096 + 7;
	for (int k = fill8; k < all; ++k)
		for (bool alone : {true, false}) {
			SCOPED_TRACE(::testing::Message() << kind_names[k] << (alone ? " alone" : " with the others"));
			const auto src = source(n, 8);
			auto other = src;
			other[3 + n - 1] ^= 1;
			const batch_case whole{alone ? kind(k) : all, n, 3, n - 1};
			const run_result cpu = on_cpu(whole, src, other);
			recorded_device dev;
			data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
			{
				mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE, data_mover_dml_get_vdm(d), "/dev/shm");
				const run_result r = run_batch(mf, whole, src, other, &dev.model, kind(k));
				expect_same(r, cpu, whole.k);
				EXPECT_GE(dev.model.accepted(), 2u) << "resumed after the fault";
			}
			data_mover_dml_delete(d);
		}
}

TEST(DmlBatchEntries, ADualcastTheDeviceCannotTakeRunsOnTheCpuRoute)
{
	// The device requires bits 11:0 of both destinations equal; these differ
	// by 8, so the batch (alone or with the others) takes the CPU route.
	for (kind k : {dualcast, all}) {
		const batch_case c{k, 8192, 0, 8192, 8};
		const auto src = source(c.n, 2);
		const run_result cpu = on_cpu(c, src, src);
		recorded_device dev;
		data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
		{
			mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE, data_mover_dml_get_vdm(d), "/dev/shm");
			const run_result r = run_batch(mf, c, src, src);
			expect_same(r, cpu, k);
			EXPECT_EQ(dev.model.accepted(), 0u) << "the model saw a descriptor";
		}
		data_mover_dml_delete(d);
	}
}

TEST(DmlBatchEntries, AFailingDescriptorFailsTheFutureWithEio)
{
	for (int k = fill8; k <= all; ++k) {
		SCOPED_TRACE(kind_names[k]);
		const batch_case c{kind(k), 8192, 0, 8192};
		const auto src = source(c.n, 4);
		recorded_device dev;
		data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
		{
			mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE, data_mover_dml_get_vdm(d), "/dev/shm");
			if (k == all)
				dev.model.fail_in_batch(3, DSA_COMP_HW_ERR1);
			else
				dev.model.fail_next(DSA_COMP_HW_ERR1);
			const run_result r = run_batch(mf, c, src, src);
			EXPECT_EQ(r.result, -EIO);
		}
		data_mover_dml_delete(d);
	}
}

class DmlBatchEntriesDurable : public ::testing::TestWithParam<pmem2_granularity> {};

// What the entries write is durable when the future completes; PAGE syncs
// (both dualcast destinations) run off the polling thread.
TEST_P(DmlBatchEntriesDurable, EveryWrittenRangeIsDurableAtCompletion)
{
	const pmem2_granularity gran = GetParam();
	for (int k = fill8; k <= all; ++k) {
		if (k == crc || k == compare)
			continue;	// they write nothing in the map
		SCOPED_TRACE(kind_names[k]);
		const batch_case c{kind(k), 3 * 4096 + 11, 1, 0};
		const auto src = source(c.n, 6);
		recorded_device dev;
		data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
		{
			mapped_file mf(map_size, gran, data_mover_dml_get_vdm(d), "/dev/shm");
			ASSERT_NE(mf.map, nullptr);
			dev.log.clear();
			const run_result r = run_batch(mf, c, src, src);
			const std::uint64_t seen = dev.log.mark();
			EXPECT_EQ(r.result, 0);
			EXPECT_EQ(dev.log.durable_by_all(r.written, gran, seen), "");
			EXPECT_GE(dev.model.accepted(), 1u);
			for (auto t : dev.log.threads_of(event_log::page_sync))
				EXPECT_NE(t, std::this_thread::get_id()) << "a page sync ran on the polling thread";
		}
		data_mover_dml_delete(d);
	}
}

INSTANTIATE_TEST_SUITE_P(All, DmlBatchEntriesDurable,
	::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_PAGE),
	[](const auto &info) { return std::string(pmem2::test::granularity_name(info.param)); });
