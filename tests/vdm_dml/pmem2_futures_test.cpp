// pmem2 futures on a map whose mover is the DSA mover: libpmem2 recognises
// it as one of the movers that make data durable themselves, so there is no
// persist step on the polling thread, and every future is durable when it
// completes, at every granularity, on the device (the model, whose writes
// count as durable only when a descriptor asked for readback to memory) and
// on the CPU path; pmem2_persist_async too (a cache-flush descriptor on the
// device). On a PAGE map the page sync runs on the mover's completer
// thread, never on the polling one. On the shared libraries, as
// users link them.
#include <gtest/gtest.h>

#include <libminiasync-vdm-dml.h>
#include <libminiasync.h>
#include <libpmem2/batch.h>
#include <libpmem2/operations.h>
#include <libpmem2/persist_async.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "support/bytes.hpp"
#include "support/dsa_on_model.hpp"
#include "support/event_log.hpp"
#include "support/mapped_file.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using pmem2::test::event_log;
using pmem2::test::mapped_file;

// The device model and the recorder: what the device wrote with readback
// to memory counts as streamed and fenced by the device's thread.
// The device model and the recorder: what the device wrote with readback
// to memory counts as streamed and fenced by the device's thread.
struct recorded_device : pmem2::test::dsa_on_model, pmem2::test::recorded {
	recorded_device()
	{
		model.on_performed([this](const dsa_hw_desc &d, std::uint32_t done) {
			const auto *dst = reinterpret_cast<const char *>(static_cast<std::uintptr_t>(d.dst_addr));
			if (d.opcode == DSA_OPCODE_CFLUSH) {
				for (std::uint32_t off = 0; off < done; off += 64)
					log.record(event_log::flush, dst + off, 64);
				log.record(event_log::fence, nullptr, 0);
			} else if ((d.flags & IDXD_OP_FLAG_DRDBK) && !(d.flags & IDXD_OP_FLAG_CC) && done != 0) {
				log.record(event_log::nt, dst, done);
				log.record(event_log::fence, nullptr, 0);
			}
		});
	}
};

enum class path { device, cpu };
enum class op_kind { memcpy, memmove, memset };

void wait(pmem2_future &f)
{
	runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(r);
}

using matrix_param = std::tuple<pmem2_granularity, path, op_kind>;
class DmlPmem2Matrix : public ::testing::TestWithParam<matrix_param> {};

TEST_P(DmlPmem2Matrix, DurableAtCompletionWithNoPersistOnThePoller)
{
	auto [gran, p, ok] = GetParam();
	recorded_device dev;
	data_mover_dml *d = data_mover_dml_new(p == path::device ? DATA_MOVER_DML_HARDWARE
								 : DATA_MOVER_DML_SOFTWARE);
	ASSERT_NE(d, nullptr) << data_mover_dml_errormsg();
	{
		constexpr std::size_t size = 1 << 20;
		mapped_file mf(size, gran, data_mover_dml_get_vdm(d), "/dev/shm");
		ASSERT_NE(mf.map, nullptr) << mf.err;
		ASSERT_EQ(pmem2_map_get_store_granularity(mf.map), gran);
		std::vector<char> expect(mf.base, mf.base + size);
		unsigned seed = 1;
		for (std::size_t len : {std::size_t(1), std::size_t(64), std::size_t(4096 + 17),
			     std::size_t(40000), std::size_t(300000)}) {
			SCOPED_TRACE(len);
			const std::size_t doff = 4096 * 3 + len % 61;
			std::vector<char> src(len);
			pmem2::test::fill_pattern(src.data(), len, seed++);
			char *dest = mf.base + doff;
			pmem2_future f;
			switch (ok) {
			case op_kind::memcpy:
				f = pmem2_memcpy_async(mf.map, dest, src.data(), len, 0);
				std::memcpy(expect.data() + doff, src.data(), len);
				break;
			case op_kind::memmove: {
				// from the far half of the map: the device does it
				const std::size_t soff = size / 2 + 128;
				std::memcpy(mf.base + soff, src.data(), len);
				std::memcpy(expect.data() + soff, src.data(), len);
				f = pmem2_memmove_async(mf.map, dest, mf.base + soff, len, 0);
				std::memcpy(expect.data() + doff, src.data(), len);
				break;
			}
			case op_kind::memset:
				f = pmem2_memset_async(mf.map, dest, 0x30 + int(len % 50), len, 0);
				std::memset(expect.data() + doff, 0x30 + int(len % 50), len);
				break;
			}
			dev.log.clear();
			const unsigned sent = dev.model.accepted();
			wait(f);
			const std::uint64_t seen = dev.log.mark();
			ASSERT_EQ(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);
			EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
			EXPECT_EQ(FUTURE_OUTPUT(&f)->dest, dest);
			EXPECT_EQ(dev.log.durable_by(dest, len, gran, seen), "");
			ASSERT_EQ(std::memcmp(mf.base, expect.data(), size), 0);
			// Where the work ran: the device for every operation of a
			// HARDWARE mover, never for a SOFTWARE one.
			if (p == path::device)
				EXPECT_GT(dev.model.accepted(), sent);
			else
				EXPECT_EQ(dev.model.accepted(), sent);
			const auto me = std::this_thread::get_id();
			for (auto t : dev.log.threads_of(event_log::page_sync))
				EXPECT_NE(t, me) << "a page sync ran on the polling thread";
			if (p == path::device)
				for (auto k : {event_log::flush, event_log::nt})
					for (auto t : dev.log.threads_of(k))
						EXPECT_NE(t, me) << "the polling thread persisted";
		}
	}
	data_mover_dml_delete(d);
}

std::string matrix_name(const ::testing::TestParamInfo<matrix_param> &info)
{
	auto [g, p, o] = info.param;
	const char *ops[] = {"memcpy", "memmove", "memset"};
	return std::string(pmem2::test::granularity_name(g)) + (p == path::device ? "_device_" : "_cpu_") +
		ops[int(o)];
}

INSTANTIATE_TEST_SUITE_P(All, DmlPmem2Matrix,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE,
				   PMEM2_GRANULARITY_PAGE),
		::testing::Values(path::device, path::cpu),
		::testing::Values(op_kind::memcpy, op_kind::memmove, op_kind::memset)),
	matrix_name);

class DmlPersistAsync : public ::testing::TestWithParam<std::tuple<pmem2_granularity, path>> {};

TEST_P(DmlPersistAsync, ARangeWrittenEarlierIsDurableAtCompletion)
{
	auto [gran, p] = GetParam();
	recorded_device dev;
	data_mover_dml *d = data_mover_dml_new(p == path::device ? DATA_MOVER_DML_HARDWARE
								 : DATA_MOVER_DML_SOFTWARE);
	ASSERT_NE(d, nullptr);
	{
		mapped_file mf(1 << 20, gran, data_mover_dml_get_vdm(d), "/dev/shm");
		ASSERT_NE(mf.map, nullptr);
		for (std::size_t len : {std::size_t(64), std::size_t(5000), std::size_t(300000)}) {
			SCOPED_TRACE(len);
			char *at = mf.base + 64 + len % 7;
			pmem2::test::fill_pattern(at, len, unsigned(len));
			dev.log.clear();
			const unsigned sent = dev.model.accepted();
			pmem2_future f = pmem2_persist_async(mf.map, at, len);
			wait(f);
			const std::uint64_t seen = dev.log.mark();
			EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
			EXPECT_EQ(dev.log.durable_by(at, len, gran, seen), "");
			if (p == path::device) {
				// A cache-flush descriptor: the device wrote the lines back.
				ASSERT_GT(dev.model.accepted(), sent);
				EXPECT_EQ(dev.model.seen().back().opcode, DSA_OPCODE_CFLUSH);
			}
			for (auto t : dev.log.threads_of(event_log::page_sync))
				EXPECT_NE(t, std::this_thread::get_id()) << "a page sync ran on the polling thread";
		}
	}
	data_mover_dml_delete(d);
}

INSTANTIATE_TEST_SUITE_P(All, DmlPersistAsync,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE,
				   PMEM2_GRANULARITY_PAGE),
		::testing::Values(path::device, path::cpu)),
	[](const auto &info) {
		return std::string(pmem2::test::granularity_name(std::get<0>(info.param))) +
			(std::get<1>(info.param) == path::device ? "_device" : "_cpu");
	});

class DmlBatch : public ::testing::TestWithParam<std::tuple<pmem2_granularity, path>> {};

// A pmem2 batch: on the device one BATCH descriptor, on the CPU path
// libpmem2's kernels; durable at completion either way, PAGE syncs off the
// polling thread.
TEST_P(DmlBatch, EveryEntryIsDurableAtCompletion)
{
	auto [gran, p] = GetParam();
	recorded_device dev;
	data_mover_dml *d = data_mover_dml_new(p == path::device ? DATA_MOVER_DML_HARDWARE
								 : DATA_MOVER_DML_SOFTWARE);
	ASSERT_NE(d, nullptr);
	{
		mapped_file mf(1 << 20, gran, data_mover_dml_get_vdm(d), "/dev/shm");
		ASSERT_NE(mf.map, nullptr);
		std::vector<char> src(16 * 1000);
		pmem2::test::fill_pattern(src.data(), src.size(), 17);
		pmem2_batch *b = nullptr;
		ASSERT_EQ(pmem2_batch_new(&b, mf.map, 20), 0);
		std::vector<std::pair<const void *, std::size_t>> ranges;
		for (int i = 0; i < 16; ++i) {
			char *at = mf.base + 4096 * i + 7;
			if (i == 8)
				ASSERT_EQ(pmem2_batch_fence(b), 0);
			if (i % 4 == 3)
				ASSERT_EQ(pmem2_batch_memset(b, at, i, 1000, 0), 0);
			else
				ASSERT_EQ(pmem2_batch_memcpy(b, at, src.data() + 1000 * i, 1000, 0), 0);
			ranges.emplace_back(at, 1000);
		}
		dev.log.clear();
		const unsigned sent = dev.model.accepted();
		pmem2_future f = pmem2_batch_async(b);
		wait(f);
		const std::uint64_t seen = dev.log.mark();
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
		EXPECT_EQ(dev.log.durable_by_all(ranges, gran, seen), "");
		for (int i = 0; i < 16; ++i) {
			const char *at = mf.base + 4096 * i + 7;
			if (i % 4 == 3)
				EXPECT_EQ(at[999], char(i));
			else
				EXPECT_EQ(std::memcmp(at, src.data() + 1000 * i, 1000), 0) << i;
		}
		if (p == path::device) {
			ASSERT_EQ(dev.model.accepted(), sent + 1);
			EXPECT_EQ(dev.model.seen().back().opcode, DSA_OPCODE_BATCH);
		} else {
			EXPECT_EQ(dev.model.accepted(), sent);
		}
		for (auto t : dev.log.threads_of(event_log::page_sync))
			EXPECT_NE(t, std::this_thread::get_id()) << "a page sync ran on the polling thread";
		// A failing entry on the device: -EIO, and the map can go.
		if (p == path::device) {
			dev.model.fail_in_batch(2, DSA_COMP_HW_ERR1);
			pmem2_future g = pmem2_batch_async(b);
			wait(g);
			EXPECT_EQ(FUTURE_OUTPUT(&g)->result, -EIO);
		}
		pmem2_batch_delete(&b);
	}
	data_mover_dml_delete(d);
}

INSTANTIATE_TEST_SUITE_P(All, DmlBatch,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE,
				   PMEM2_GRANULARITY_PAGE),
		::testing::Values(path::device, path::cpu)),
	[](const auto &info) {
		return std::string(pmem2::test::granularity_name(std::get<0>(info.param))) +
			(std::get<1>(info.param) == path::device ? "_device" : "_cpu");
	});

class DmlOperations : public ::testing::TestWithParam<std::tuple<pmem2_granularity, path>> {};

// The operations of <libpmem2/operations.h>, one-entry batches, on the DSA
// mover: right results, durable at completion, no page sync on the poller.
TEST_P(DmlOperations, EachAgainstItsReferenceDurableAtCompletion)
{
	auto [gran, p] = GetParam();
	recorded_device dev;
	data_mover_dml *d = data_mover_dml_new(p == path::device ? DATA_MOVER_DML_HARDWARE
								 : DATA_MOVER_DML_SOFTWARE);
	ASSERT_NE(d, nullptr);
	{
		mapped_file mf(8 << 20, gran, data_mover_dml_get_vdm(d), "/dev/shm");
		ASSERT_NE(mf.map, nullptr);
		std::vector<char> src((1 << 20) + 64);
		pmem2::test::fill_pattern(src.data(), src.size(), 31);
		for (std::size_t len : {std::size_t(0), std::size_t(1), std::size_t(63), std::size_t(4096),
			     std::size_t((1 << 20) + 3)}) {
			SCOPED_TRACE(len);
			char *f8 = mf.base + 5, *d1 = mf.base + (2 << 20) + 1, *d2 = mf.base + (4 << 20) + 2,
			     *cc = mf.base + (6 << 20) + 3;
			std::uint32_t crc = 1, copied = 1;
			std::size_t diff = 1;
			pmem2_future fs[] = {
				pmem2_memset8_async(mf.map, f8, 0xa1a2a3a4a5a6a7a8ull, len, 0),
				pmem2_dualcast_async(mf.map, d1, d2, src.data() + 1, len, 0),
				pmem2_crc32c_async(mf.map, src.data() + 2, len, 3, &crc),
				pmem2_copy_crc32c_async(mf.map, cc, src.data() + 3, len, 0, &copied, 0),
				pmem2_compare_async(mf.map, src.data(), src.data(), len, &diff),
			};
			for (auto &f : fs) {
				wait(f);
				EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
			}
			const std::uint64_t seen = dev.log.mark();
			for (std::size_t i = 0; i < len; ++i)
				ASSERT_EQ(static_cast<unsigned char>(f8[i]), 0xa8 - (i % 8)) << i;
			EXPECT_EQ(std::memcmp(d1, src.data() + 1, len), 0);
			EXPECT_EQ(std::memcmp(d2, src.data() + 1, len), 0);
			EXPECT_EQ(std::memcmp(cc, src.data() + 3, len), 0);
			EXPECT_EQ(crc, pmem2::test::crc32c_of(src.data() + 2, len, 3));
			EXPECT_EQ(copied, pmem2::test::crc32c_of(src.data() + 3, len));
			EXPECT_EQ(diff, len);
			if (len != 0)
				EXPECT_EQ(dev.log.durable_by_all({{f8, len}, {d1, len}, {d2, len}, {cc, len}}, gran, seen), "");
		}
		for (auto t : dev.log.threads_of(event_log::page_sync))
			EXPECT_NE(t, std::this_thread::get_id()) << "a page sync ran on the polling thread";
	}
	data_mover_dml_delete(d);
}

INSTANTIATE_TEST_SUITE_P(All, DmlOperations,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE,
				   PMEM2_GRANULARITY_PAGE),
		::testing::Values(path::device, path::cpu)),
	[](const auto &info) {
		return std::string(pmem2::test::granularity_name(std::get<0>(info.param))) +
			(std::get<1>(info.param) == path::device ? "_device" : "_cpu");
	});

// One HARDWARE mover and a map of granularity g on /dev/shm.
struct device_map : recorded_device {
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	mapped_file mf;
	explicit device_map(pmem2_granularity g, std::size_t size = 1 << 20)
		: mf(size, g, data_mover_dml_get_vdm(d), "/dev/shm")
	{
	}
	~device_map()
	{
		if (mf.map)
			pmem2_map_delete(&mf.map);
		data_mover_dml_delete(d);
	}
};

TEST(DmlPmem2, MapDeletedBeforeTheFirstPollWritesNothing)
{
	device_map m(PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(m.mf.map, nullptr);
	std::vector<char> src(8192, 7);
	char *dest = m.mf.base + 4096;
	pmem2_future f = pmem2_memcpy_async(m.mf.map, dest, src.data(), src.size(), 0);
	pmem2_map_delete(&m.mf.map);
	wait(f);
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_EQ(m.model.accepted(), 0u);
	std::vector<char> file(src.size());
	ASSERT_EQ(pread(m.mf.file.fd(), file.data(), file.size(), 4096), ssize_t(file.size()));
	EXPECT_EQ(file, std::vector<char>(src.size(), 0)) << "the file was written";
}

TEST(DmlPmem2, ADeviceErrorIsEioAndTheMapCanStillBeDeleted)
{
	device_map m(PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(m.mf.map, nullptr);
	std::vector<char> src(8192, 7);
	m.model.fail_next(DSA_COMP_HW_ERR1);
	pmem2_future f = pmem2_memcpy_async(m.mf.map, m.mf.base, src.data(), src.size(), 0);
	wait(f);
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, -EIO);
	// The guard was left: deleting the map does not wait for anything.
	auto del = std::async(std::launch::async, [&] { return pmem2_map_delete(&m.mf.map); });
	ASSERT_EQ(del.wait_for(std::chrono::seconds(10)), std::future_status::ready);
	EXPECT_EQ(del.get(), 0);
}

TEST(DmlPmem2, PageFaultsOnTheWayAreResumedAndTheResultIsDurable)
{
	device_map m(PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(m.mf.map, nullptr);
	std::vector<char> src(5 * 4096 + 100);
	pmem2::test::fill_pattern(src.data(), src.size(), 9);
	char *dest = m.mf.base + 100;
	m.model.fault_at(dest + 2 * 4096);
	m.log.clear();
	pmem2_future f = pmem2_memcpy_async(m.mf.map, dest, src.data(), src.size(), 0);
	wait(f);
	const std::uint64_t seen = m.log.mark();
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
	EXPECT_EQ(std::memcmp(dest, src.data(), src.size()), 0);
	EXPECT_EQ(m.log.durable_by(dest, src.size(), PMEM2_GRANULARITY_CACHE_LINE, seen), "");
	EXPECT_GE(m.model.accepted(), 2u);	// resumed after the fault
}

TEST(DmlPmem2, ADroppedRunningFutureLeavesItsGuardWhenTheMoverIsDeleted)
{
	recorded_device dev;
	data_mover_dml *d = data_mover_dml_new(DATA_MOVER_DML_HARDWARE);
	ASSERT_NE(d, nullptr);
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, data_mover_dml_get_vdm(d), "/dev/shm");
	ASSERT_NE(mf.map, nullptr);
	std::vector<char> src(65536, 3);
	dev.model.stall(true);
	{
		pmem2_future f = pmem2_memcpy_async(mf.map, mf.base, src.data(), src.size(), 0);
		EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_RUNNING);
	}	// dropped while the device holds it
	dev.model.stall(false);
	data_mover_dml_delete(d);
	auto del = std::async(std::launch::async, [&] { return pmem2_map_delete(&mf.map); });
	ASSERT_EQ(del.wait_for(std::chrono::seconds(10)), std::future_status::ready)
		<< "the map delete waits for a guard nobody will leave";
	EXPECT_EQ(del.get(), 0);
}

TEST(DmlPmem2, SlotsAreReusedNotAllocatedPerOperation)
{
	device_map m(PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(m.mf.map, nullptr);
	std::vector<char> src(4096, 1);
	for (int i = 0; i < 2000; ++i) {
		pmem2_future f = pmem2_memcpy_async(m.mf.map, m.mf.base + (i % 64) * 4096, src.data(),
			src.size(), 0);
		wait(f);
		ASSERT_EQ(FUTURE_OUTPUT(&f)->result, 0);
	}
	EXPECT_EQ(m.d->slots.capacity(), 64u) << "one chunk serves one operation at a time";
}

} // namespace
