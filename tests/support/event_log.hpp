// A memops recorder that keeps every persistence event with the thread
// that issued it and a global sequence number, and answers whether a range
// was durable at a granularity by a given point: the tests' view of "complete
// means durable" for pmem2 futures on any mover.
#pragma once

#include <libpmem2.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "memops/memops.hpp"

namespace pmem2::test {

// Records every persistence event with the thread that issued it and a
// global sequence number.
class event_log : public pmem2::memops::recorder {
public:
	enum kind { flush, nt, fence, page_sync };
	struct event {
		kind k;
		std::uintptr_t addr;
		std::size_t len;
		std::thread::id tid;
		std::uint64_t seq;
	};

	void on_flush(const void *p) noexcept override { add(flush, p, 64); }
	void on_nt_store(const void *p, std::size_t n) noexcept override { add(nt, p, n); }
	void on_fence() noexcept override { add(fence, nullptr, 0); }
	void on_page_sync(const void *p, std::size_t n) noexcept override { add(page_sync, p, n); }

	std::uint64_t mark() { return seq_.fetch_add(1); }
	void clear()
	{
		std::lock_guard<std::mutex> g(m_);
		ev_.clear();
	}

	// Was every byte of [p, p+n) durable at granularity g by sequence `upto`?
	// Empty string when yes, else what was missing.
	using range = std::pair<const void *, std::size_t>;
	std::string durable_by(const void *p, std::size_t n, pmem2_granularity g, std::uint64_t upto)
	{
		return durable_by_all({{p, n}}, g, upto);
	}
	std::string durable_by_all(const std::vector<range> &ranges, pmem2_granularity g, std::uint64_t upto)
	{
		std::lock_guard<std::mutex> lk(m_);
		if (g == PMEM2_GRANULARITY_PAGE) {
			// the union of synced ranges must cover [a, a+n): chunks of a
			// split operation each sync their own part of a shared page
			std::vector<std::pair<std::uintptr_t, std::uintptr_t>> iv;
			for (const event &e : ev_)
				if (e.k == page_sync && e.seq < upto)
					iv.emplace_back(e.addr, e.addr + e.len);
			std::sort(iv.begin(), iv.end());
			for (const range &rg : ranges) {
				auto a = reinterpret_cast<std::uintptr_t>(rg.first);
				std::size_t n = rg.second;
				std::uintptr_t covered = a;
				for (auto &r : iv)
					if (r.first <= covered && r.second > covered)
						covered = r.second;
				if (covered < a + n)
					return "byte at +" + std::to_string(covered - a) + " not synced";
			}
			return "";
		}
		// last fence per thread before `upto`
		std::map<std::thread::id, std::uint64_t> last_fence;
		for (const event &e : ev_)
			if (e.k == fence && e.seq < upto)
				last_fence[e.tid] = std::max(last_fence[e.tid], e.seq + 1);
		if (g == PMEM2_GRANULARITY_BYTE)
			return last_fence.empty() ? "no fence issued" : "";
		// lines flushed or streamed, then fenced by the same thread
		std::unordered_set<std::uintptr_t> lines;
		for (const event &e : ev_) {
			if ((e.k != flush && e.k != nt) || e.seq >= upto)
				continue;
			auto f = last_fence.find(e.tid);
			if (f == last_fence.end() || f->second <= e.seq)
				continue;
			for (std::uintptr_t x = e.addr & ~(63); x < e.addr + e.len; x += 64)
				lines.insert(x);
		}
		for (const range &rg : ranges) {
			auto a = reinterpret_cast<std::uintptr_t>(rg.first);
			std::size_t n = rg.second;
			for (std::uintptr_t x = a & ~(63); x < a + n; x += 64)
				if (!lines.count(x))
					return "line at +" + std::to_string(x > a ? x - a : 0) + " not flushed and fenced";
		}
		return "";
	}

	// Threads that issued flush / nt / page-sync events.
	std::vector<std::thread::id> persisting_threads()
	{
		std::lock_guard<std::mutex> lk(m_);
		std::vector<std::thread::id> t;
		for (const event &e : ev_)
			if (e.k != fence && std::find(t.begin(), t.end(), e.tid) == t.end())
				t.push_back(e.tid);
		return t;
	}

	// Threads that issued events of kind k.
	std::vector<std::thread::id> threads_of(kind k)
	{
		std::lock_guard<std::mutex> lk(m_);
		std::vector<std::thread::id> t;
		for (const event &e : ev_)
			if (e.k == k && std::find(t.begin(), t.end(), e.tid) == t.end())
				t.push_back(e.tid);
		return t;
	}
	// Events of kind k recorded before sequence `upto`.
	std::size_t count(kind k, std::uint64_t upto)
	{
		std::lock_guard<std::mutex> lk(m_);
		std::size_t n = 0;
		for (const event &e : ev_)
			n += e.k == k && e.seq < upto;
		return n;
	}
	// Records an event as the memops kernels would (a device model's writes).
	void record(kind k, const void *p, std::size_t n) { add(k, p, n); }

private:
	void add(kind k, const void *p, std::size_t n)
	{
		std::uint64_t s = seq_.fetch_add(1);
		std::lock_guard<std::mutex> g(m_);
		ev_.push_back({k, reinterpret_cast<std::uintptr_t>(p), n, std::this_thread::get_id(), s});
	}
	std::mutex m_;
	std::vector<event> ev_;
	std::atomic<std::uint64_t> seq_{0};
};

// An event_log installed as the memops recorder for the object's lifetime
// (the kernels redispatched so that they report to it).
struct recorded {
	event_log log;
	recorded()
	{
		pmem2::memops::set_recorder(&log);
		pmem2::memops::redispatch(pmem2::memops::options_from_env());
	}
	~recorded()
	{
		pmem2::memops::set_recorder(nullptr);
		pmem2::memops::redispatch(pmem2::memops::options_from_env());
	}
	recorded(const recorded &) = delete;
	recorded &operator=(const recorded &) = delete;
};

} // namespace pmem2::test
