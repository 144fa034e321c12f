// Asynchronous durable operations of maps: default mover, C++ and C
// movers, co_await, when_all, error results.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include <pmem2/pmem2.hpp>

#include "support/bytes.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/wait.hpp"

using namespace pmem2;


TEST(CppMapAsync, DefaultMoverCompletesAndDataReachesTheFile)
{
	test::tmpfile f(1 << 20);
	auto data = test::pattern(8192, 10);
	{
		map m = map::open(f.path());
		pmem2::durable_future fut = m.write_async(4096, data);
		EXPECT_EQ(fut.wait(), m.data() + 4096);
		EXPECT_TRUE(fut.ready());
		m.memset_async(m.data(), 0x42, 100).wait();
		EXPECT_EQ(m.data()[99], std::byte{0x42});
	}
	EXPECT_EQ(test::read_file(f.path(), data.size(), 4096), data);
}

TEST(CppMapAsync, PersistAsyncOfARangeWrittenEarlier)
{
	test::tmpfile f(1 << 20);
	auto data = test::pattern(100000, 3);
	{
		map m = map::open(f.path());
		std::memcpy(m.data() + 8192, data.data(), data.size());
		pmem2::durable_future fut = m.persist_async(m.data() + 8192, data.size());
		EXPECT_EQ(fut.wait(), m.data() + 8192);
		auto bad = m.persist_async(m.data() + m.size() - 1, 2);
		EXPECT_THROW(bad.wait(), pmem2::error);
	}
	EXPECT_EQ(test::read_file(f.path(), data.size(), 8192), data);
}

TEST(CppMapAsync, MemmoveAsyncHandlesOverlap)
{
	test::tmpfile f(8192);
	map m = map::open(f.path());
	for (int i = 0; i < 255; ++i)
		m.data()[i] = static_cast<std::byte>(i);
	m.persist(m.data(), 255);
	m.memmove_async(m.data() + 127, m.data(), 255).wait();
	for (int i = 0; i < 255; ++i)
		ASSERT_EQ(m.data()[127 + i], static_cast<std::byte>(i));
}

TEST(CppMapAsync, ThreadsMoverCoroutinesCopyAFile)
{
	test::tmpfile f(4 << 20);
	threads_mover mv(4);
	map_options o;
	o.mover = mv;
	auto data = test::pattern(4 << 20, 11);
	{
		map m = map::open(f.path(), o);
		constexpr std::size_t chunk = 64 << 10;
		std::size_t next = 0;
		auto worker = [&]() -> task<std::size_t> {
			std::size_t copied = 0;
			while (next < data.size()) {
				std::size_t off = next;
				next += chunk;
				std::span<const std::byte> piece(data.data() + off, chunk);
				co_await m.write_async(off, piece);
				copied += chunk;
			}
			co_return copied;
		};
		std::vector<task<std::size_t>> ws;
		for (int i = 0; i < 16; ++i)
			ws.push_back(worker());
		auto per = sync_wait(when_all(std::move(ws)));
		std::size_t total = 0;
		for (auto c : per)
			total += c;
		EXPECT_EQ(total, data.size());
		EXPECT_TRUE(std::equal(data.begin(), data.end(), m.data()));
	}
	EXPECT_EQ(test::read_file(f.path(), data.size()), data);
}

TEST(CppMapAsync, CMoverServesACppMap)
{
	test::tmpfile f(1 << 20);
	data_mover_threads *dmt = data_mover_threads_new(2, 64, FUTURE_NOTIFIER_WAKER);
	ASSERT_NE(dmt, nullptr);
	{
		map_options o;
		o.mover = data_mover_threads_get_vdm(dmt);
		map m = map::open(f.path(), o);
		auto data = test::pattern(100000, 12);
		auto body = [&]() -> task<void> {
			co_await m.copy_async(m.bytes(), data);
			co_await m.fill_async(m.bytes().subspan(200000, 1000), std::byte{0xEE});
		};
		sync_wait(body());
		EXPECT_TRUE(std::equal(data.begin(), data.end(), m.data()));
		EXPECT_EQ(m.data()[200999], std::byte{0xEE});
	}
	data_mover_threads_delete(dmt);
}

TEST(CppMapAsync, SyncMoverServesAMap)
{
	test::tmpfile f(65536);
	sync_mover mv;
	map_options o;
	o.mover = mv;
	map m = map::open(f.path(), o);
	auto data = test::pattern(4096, 13);
	pmem2::durable_future fut = m.write_async(0, data);
	EXPECT_EQ(fut.poll(), FUTURE_STATE_COMPLETE);
	EXPECT_TRUE(std::equal(data.begin(), data.end(), m.data()));
}

TEST(CppMapAsync, WrappedCMapRunsAsyncOperations)
{
	test::tmpfile f(65536);
	pmem2_source *src = nullptr;
	pmem2_config *cfg = nullptr;
	pmem2_map *raw = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&src, f.fd()), 0);
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	ASSERT_EQ(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE), 0);
	ASSERT_EQ(pmem2_map_new(&raw, cfg, src), 0);
	{
		map_ref v(raw);
		auto data = test::pattern(1000, 14);
		EXPECT_EQ(sync_wait([&]() -> task<void *> { co_return co_await v.write_async(10, data); }()),
			v.data() + 10);
		EXPECT_TRUE(std::equal(data.begin(), data.end(), v.data() + 10));
	}
	EXPECT_EQ(pmem2_map_delete(&raw), 0);
	pmem2_config_delete(&cfg);
	pmem2_source_delete(&src);
}

TEST(CppMapAsync, InvalidRequestCompletesWithError)
{
	test::tmpfile f(65536);
	map m = map::open(f.path());
	std::vector<std::byte> buf(64);
	// Destination outside the map.
	pmem2::durable_future outside = m.memcpy_async(buf.data(), buf.data() + 32, 16);
	auto r = outside.try_wait();
	ASSERT_FALSE(r);
	EXPECT_NE(r.code(), 0);
	// Invalid flag bits.
	pmem2::durable_future bad = m.memcpy_async(m.data(), buf.data(), 16, mem_flags::from_bits(1u << 20));
	EXPECT_THROW(bad.wait(), error);
	auto quiet = [&]() -> task<int> {
		auto res = co_await m.memcpy_async(buf.data(), m.data(), 16).no_throw();
		co_return res.code();
	};
	EXPECT_NE(sync_wait(quiet()), 0);
	EXPECT_THROW((void)m.write_async(65530, std::span<const std::byte>(buf)), error);
}

TEST(CppMapAsync, FutureOfADeletedMapFailsWithMappingNotFound)
{
	test::tmpfile f(65536);
	std::vector<std::byte> buf(16, std::byte{1});
	pmem2::durable_future fut;
	EXPECT_FALSE(fut.valid());
	{
		map m = map::open(f.path());
		fut = m.memcpy_async(m.data(), buf.data(), buf.size());
	}
	auto r = fut.try_wait();
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_EQ(test::read_file(f.path(), 1)[0], std::byte{0}) << "nothing may be written";
}

TEST(CppMapAsync, DroppingUnpolledFuturesStartsNothing)
{
	test::tmpfile f(65536);
	threads_mover mv(2);
	map_options o;
	o.mover = mv;
	map m = map::open(f.path(), o);
	std::vector<std::byte> buf(4096, std::byte{5});
	for (int i = 0; i < 10000; ++i)
		(void)m.memcpy_async(m.data(), buf.data(), buf.size());
	EXPECT_EQ(m.data()[0], std::byte{0});
	m.memcpy_async(m.data(), buf.data(), buf.size()).wait();
	EXPECT_EQ(m.data()[4095], std::byte{5});
}

// The operations of <libpmem2/operations.h> through map_ref, on the default
// and threads movers: values are the destinations, results land in the
// caller's variables; a refused one throws with its code.
TEST(CppMapAsync, OperationsBeyondCopies)
{
	for (bool threads : {false, true}) {
		SCOPED_TRACE(threads);
		test::tmpfile f(1 << 20);
		data_mover_threads *dmt = data_mover_threads_new(2, 64, FUTURE_NOTIFIER_WAKER);
		ASSERT_NE(dmt, nullptr);
		{
			map_options o;
			if (threads)
				o.mover = data_mover_threads_get_vdm(dmt);
			map m = map::open(f.path(), o);
			auto data = test::pattern(10000, 5);
			std::byte *p = m.data();
			EXPECT_EQ(m.memset8_async(p + 3, 0x0102030405060708ull, 100).wait(), p + 3);
			EXPECT_EQ(p[3], std::byte{8});
			EXPECT_EQ(p[3 + 7], std::byte{1});
			EXPECT_EQ(m.dualcast_async(p + 4096, p + 65536, data.data(), data.size()).wait(), p + 4096);
			EXPECT_EQ(std::memcmp(p + 4096, data.data(), data.size()), 0);
			EXPECT_EQ(std::memcmp(p + 65536, data.data(), data.size()), 0);
			std::uint32_t crc = 0, copied = 0;
			EXPECT_EQ(m.crc32c_async(data.data(), data.size(), crc, 7).wait(), nullptr);
			EXPECT_EQ(crc, test::crc32c_of(data.data(), data.size(), 7));
			auto body = [&]() -> task<void> {
				co_await m.copy_crc32c_async(p + 131072, data.data(), data.size(), copied);
			};
			sync_wait(body());
			EXPECT_EQ(copied, test::crc32c_of(data.data(), data.size()));
			std::size_t diff = 0;
			data[1234] ^= std::byte{1};
			m.compare_async(p + 4096, data.data(), data.size(), diff).wait();
			EXPECT_EQ(diff, 1234u);
			durable_future bad = m.memset8_async(p + m.size() - 4, 1, 8);
			EXPECT_NE(std::string(pmem2_errormsg()).find("pmem2_memset8_async: range"), std::string::npos);
			try {
				bad.wait();
				ADD_FAILURE() << "no exception";
			} catch (const pmem2::error &e) {
				EXPECT_EQ(e.code(), PMEM2_E_MAP_RANGE);
			}
		}
		data_mover_threads_delete(dmt);
	}
}
