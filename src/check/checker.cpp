// The persistence checker (checker.hpp). One lock guards the regions and
// their shadows; each thread keeps what it flushed or streamed since its
// last fence, which its next fence makes durable.
#include "check/checker.hpp"
#include "check/shadow.hpp"

#include <libpmem2.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

namespace pmem2::check {

namespace {

constexpr std::uintptr_t line_size = 64;

struct pending_line {
	std::uintptr_t addr;
	std::uint64_t seq;				// when it was flushed
	std::array<unsigned char, line_size> bytes;	// as they were at the flush
};

// What this thread flushed or streamed since its last fence.
struct pending {
	std::vector<pending_line> lines;
	std::vector<std::pair<std::uintptr_t, std::size_t>> nt;
};
thread_local pending tl_pending;

std::atomic<checker *> g_active{nullptr};

// Generations of region sets, from one counter for every checker: a set
// takes a new one at each change, so an answer cached under one generation
// is never taken for another set's, or another checker's.
std::atomic<std::uint64_t> g_generation{0};

std::uint64_t next_generation() noexcept
{
	return g_generation.fetch_add(1, std::memory_order_relaxed) + 1;
}

// The CACHE_LINE region this thread's last flush fell in, found under the
// lock: later flushes into it need not take the lock while the region set
// keeps the generation it had then.
struct flush_cache {
	const void *set = nullptr;	// the checker's state
	std::uint64_t generation = 0;
	std::uintptr_t base = 0;
	std::size_t len = 0;
};
thread_local flush_cache tl_flush_cache;

} // namespace

struct checker::state {
	struct region {
		std::uintptr_t base;
		std::size_t len;
		memops::granularity g;
		check::shadow shadow;	// the durable image, with its versions
	};
	mutable std::mutex m;
	std::vector<region> regions;
	// Of `regions`: changed (under m) whenever they are.
	std::atomic<std::uint64_t> generation{next_generation()};
	// Events are numbered from 1 on; 64 bits never wrap.
	std::atomic<std::uint64_t> clock{0};
	// Non-temporal ranges streamed into tracked regions and not yet fenced
	// by their thread (`owner`: that thread's pending list). Until then they
	// are not durable whatever else happens to their lines: another
	// thread's flush, fence or msync does not drain this thread's
	// write-combining buffers (at BYTE, the one way a visible store is not
	// durable).
	struct unfenced_nt {
		const void *owner;
		std::uintptr_t a;
		std::size_t n;
	};
	std::vector<unfenced_nt> unfenced;
	std::atomic<std::uint64_t> fences{0};
	std::atomic<std::uint64_t> durable{0};
	std::atomic<point_hook> hook{nullptr};
	std::atomic<void *> hook_ctx{nullptr};

	void point(const checker &c, const char *call) const noexcept
	{
		if (point_hook h = hook.load(std::memory_order_acquire))
			h(hook_ctx.load(std::memory_order_acquire), c, call);
	}

	// The runs of [a, a + end) of r that are not durable: differing from
	// the image (not at BYTE) or under an unfenced stream. Caller holds m.
	std::vector<std::pair<std::size_t, std::size_t>> not_durable(const region &r, std::uintptr_t a,
		std::size_t end) const;

	std::uint64_t tick() noexcept { return clock.fetch_add(1, std::memory_order_acq_rel) + 1; }

	// The region set changed (caller holds m).
	void changed() noexcept { generation.store(next_generation(), std::memory_order_release); }

	region *find(std::uintptr_t a) noexcept
	{
		for (region &r : regions)
			if (a >= r.base && a - r.base < r.len)
				return &r;
		return nullptr;
	}
	const region *find(std::uintptr_t a) const noexcept
	{
		return const_cast<state *>(this)->find(a);
	}
	// Whether [a, end) overlaps a region of granularity g. Caller holds m.
	bool overlaps(memops::granularity g, std::uintptr_t a, std::uintptr_t end) const noexcept
	{
		for (const region &r : regions)
			if (r.g == g && r.base < end && a < r.base + r.len)
				return true;
		return false;
	}
	// The bytes of [a, end) in regions of granularity g, as memory holds
	// them, durable as of a new event. Caller holds m.
	void commit_live(memops::granularity g, std::uintptr_t a, std::uintptr_t end) noexcept
	{
		const std::uint64_t now = tick();
		for (region &r : regions) {
			std::uintptr_t lo = std::max(a, r.base), hi = std::min(end, r.base + r.len);
			if (r.g == g && lo < hi)
				commit(lo, hi - lo, reinterpret_cast<const unsigned char *>(lo), now);
		}
	}
	// Copy [a, a+n) from `src`, as of event `seq`, into every region it
	// overlaps, where no newer event wrote already (shadow.hpp).
	void commit(std::uintptr_t a, std::size_t n, const unsigned char *src, std::uint64_t seq) noexcept
	{
		for (region &r : regions) {
			std::uintptr_t lo = std::max(a, r.base);
			std::uintptr_t hi = std::min(a + n, r.base + r.len);
			if (lo >= hi)
				continue;
			r.shadow.commit(lo, hi - lo, src + (lo - a), seq);
			durable.fetch_add(hi - lo, std::memory_order_relaxed);
		}
	}
};

checker::checker() : s_(new state) {}
checker::~checker() { delete s_; }

void checker::track(void *base, std::size_t len, memops::granularity g)
{
	auto a = reinterpret_cast<std::uintptr_t>(base);
	std::lock_guard lk(s_->m);
	s_->regions.push_back({a, len, g, check::shadow(a, len, static_cast<const unsigned char *>(base))});
	s_->changed();
}

void checker::track(pmem2_map *map)
{
	auto g = static_cast<memops::granularity>(pmem2_map_get_store_granularity(map));
	track(pmem2_map_get_address(map), pmem2_map_get_size(map), g);
}

void checker::untrack(const void *base)
{
	auto a = reinterpret_cast<std::uintptr_t>(base);
	std::lock_guard lk(s_->m);
	auto &v = s_->regions;
	for (const state::region &r : v) {
		if (r.base != a)
			continue;
		auto &u = s_->unfenced;
		u.erase(std::remove_if(u.begin(), u.end(),
			[&r](const state::unfenced_nt &e) { return e.a >= r.base && e.a - r.base < r.len; }),
			u.end());
	}
	v.erase(std::remove_if(v.begin(), v.end(), [a](const state::region &r) { return r.base == a; }),
		v.end());
	s_->changed();
}

void checker::untrack_all()
{
	std::lock_guard lk(s_->m);
	s_->regions.clear();
	s_->unfenced.clear();
	s_->changed();
}

std::vector<unsigned char> checker::image(const void *base) const
{
	auto a = reinterpret_cast<std::uintptr_t>(base);
	std::lock_guard lk(s_->m);
	const state::region *r = s_->find(a);
	if (r == nullptr)
		return {};
	if (r->g == memops::granularity::byte) {
		// Every visible store is durable: the image is the memory.
		const auto *p = reinterpret_cast<const unsigned char *>(r->base);
		return std::vector<unsigned char>(p, p + r->len);
	}
	return r->shadow.bytes();
}

namespace {

// The runs of bytes of [a, a + end) that differ from the durable image, as
// (offset from a, length).
std::vector<std::pair<std::size_t, std::size_t>> differing_runs(const checker::state::region &r,
	std::uintptr_t a, std::size_t end)
{
	std::vector<std::pair<std::size_t, std::size_t>> out;
	const auto *live = reinterpret_cast<const unsigned char *>(a);
	const unsigned char *sh = r.shadow.bytes().data() + (a - r.base);
	// Usually the whole range is durable: one comparison tells.
	if (std::memcmp(live, sh, end) == 0)
		return out;
	constexpr std::size_t block = 64;
	for (std::size_t i = 0; i < end;) {
		// Equal blocks are skipped whole (most of a map is).
		if (i % block == 0 && end - i >= block && std::memcmp(live + i, sh + i, block) == 0) {
			i += block;
			continue;
		}
		if (live[i] == sh[i]) {
			++i;
			continue;
		}
		std::size_t j = i;
		while (j < end && live[j] != sh[j])
			++j;
		out.emplace_back(i, j - i);
		i = j;
	}
	return out;
}

// `runs` and the parts of [a, a + end) that streams not yet fenced cover,
// as (offset from a, length), in order and coalesced.
std::vector<std::pair<std::size_t, std::size_t>> with_unfenced(
	std::vector<std::pair<std::size_t, std::size_t>> cut,
	const std::vector<checker::state::unfenced_nt> &pending, std::uintptr_t a, std::size_t end)
{
	const std::size_t differing = cut.size();
	for (const auto &e : pending) {
		std::uintptr_t lo = std::max(e.a, a), hi = std::min(e.a + e.n, a + end);
		if (lo < hi)
			cut.emplace_back(lo - a, hi - lo);
	}
	if (cut.size() == differing)
		return cut;
	std::vector<std::pair<std::size_t, std::size_t>> out;
	std::sort(cut.begin(), cut.end());
	for (auto [o, l] : cut) {
		if (!out.empty() && o <= out.back().first + out.back().second)
			out.back().second = std::max(out.back().second, o + l - out.back().first);
		else
			out.emplace_back(o, l);
	}
	return out;
}

} // namespace

std::string checker::verify(const void *p, std::size_t n, const char *call) const
{
	auto a = reinterpret_cast<std::uintptr_t>(p);
	std::lock_guard lk(s_->m);
	const state::region *r = s_->find(a);
	if (r == nullptr)
		return std::string(call) + ": range is not in a tracked map";
	if (n == 0)
		return "";
	const std::size_t end = std::min<std::size_t>(n, r->base + r->len - a);
	std::size_t bad = 0, first = 0, last = 0, runs = 0;
	std::string ranges;
	for (const auto &[i, len] : s_->not_durable(*r, a, end)) {
		if (bad == 0)
			first = i;
		last = i + len - 1;
		bad += len;
		if (++runs <= 8)
			ranges += " [+" + std::to_string(i) + ", +" + std::to_string(i + len) + ")";
	}
	if (end < n)
		return std::string(call) + ": range runs past the tracked map";
	if (bad == 0)
		return "";
	char head[256];
	std::snprintf(head, sizeof(head),
		"%s: %zu of %zu bytes not durable (first +%zu, last +%zu, map offset 0x%zx, %s granularity):",
		call, bad, n, first, last, std::size_t(a - r->base) + first,
		r->g == memops::granularity::page ? "PAGE" :
		r->g == memops::granularity::byte ? "BYTE" : "CACHE_LINE");
	return head + ranges + (runs > 8 ? " ..." : "");
}

std::vector<std::pair<std::size_t, std::size_t>> checker::differences(const void *p, std::size_t n) const
{
	std::vector<std::pair<std::size_t, std::size_t>> out;
	auto a = reinterpret_cast<std::uintptr_t>(p);
	std::lock_guard lk(s_->m);
	const state::region *r = s_->find(a);
	if (r == nullptr)
		return out;
	return s_->not_durable(*r, a, std::min<std::size_t>(n, r->base + r->len - a));
}

std::vector<std::pair<std::size_t, std::size_t>> checker::state::not_durable(const region &r,
	std::uintptr_t a, std::size_t end) const
{
	if (r.g == memops::granularity::byte)
		return with_unfenced({}, unfenced, a, end);
	return with_unfenced(differing_runs(r, a, end), unfenced, a, end);
}

void checker::set_point_hook(point_hook h, void *ctx) noexcept
{
	s_->hook_ctx.store(ctx, std::memory_order_release);
	s_->hook.store(h, std::memory_order_release);
}

std::uint64_t checker::fences() const noexcept
{
	return s_->fences.load(std::memory_order_relaxed);
}

std::uint64_t checker::durable_bytes() const noexcept
{
	return s_->durable.load(std::memory_order_relaxed);
}

void checker::on_flush(const void *line) noexcept
{
	auto a = reinterpret_cast<std::uintptr_t>(line);
	flush_cache &c = tl_flush_cache;
	if (c.set != s_ || c.generation != s_->generation.load(std::memory_order_acquire) ||
		a - c.base >= c.len) {
		std::lock_guard lk(s_->m);
		const state::region *r = s_->find(a);
		if (r == nullptr || r->g != memops::granularity::cache_line)
			return;
		c = {s_, s_->generation.load(std::memory_order_relaxed), r->base, r->len};
	}
	pending_line pl;
	pl.addr = a;
	// The line as the flush writes it back: later stores dirty it again.
	// The tick comes first: a flush ordered after another thread's tick
	// sees that thread's earlier stores.
	pl.seq = s_->tick();
	std::memcpy(pl.bytes.data(), line, line_size);
	tl_pending.lines.push_back(pl);
}

void checker::on_nt_store(const void *dest, std::size_t len) noexcept
{
	auto a = reinterpret_cast<std::uintptr_t>(dest);
	tl_pending.nt.emplace_back(a, len);
	std::lock_guard lk(s_->m);
	if (s_->find(a) != nullptr)
		s_->unfenced.push_back({&tl_pending, a, len});
}

void checker::on_fence() noexcept
{
	s_->fences.fetch_add(1, std::memory_order_relaxed);
	pending &p = tl_pending;
	if (p.lines.empty() && p.nt.empty())
		return;
	s_->point(*this, "fence");
	{
		std::lock_guard lk(s_->m);
		for (const pending_line &l : p.lines)
			s_->commit(l.addr, line_size, l.bytes.data(), l.seq);
		std::uint64_t now = s_->tick();
		for (auto [a, n] : p.nt) {
			const state::region *r = s_->find(a);
			if (r != nullptr && r->g == memops::granularity::cache_line)
				s_->commit(a, n, reinterpret_cast<const unsigned char *>(a), now);
		}
		auto &u = s_->unfenced;
		if (!u.empty())
			u.erase(std::remove_if(u.begin(), u.end(),
				[&p](const state::unfenced_nt &e) { return e.owner == &p; }), u.end());
	}
	p.lines.clear();
	p.nt.clear();
}

void checker::on_device_write(const void *dest, std::size_t len) noexcept
{
	auto a = reinterpret_cast<std::uintptr_t>(dest);
	{
		std::lock_guard lk(s_->m);
		if (!s_->overlaps(memops::granularity::cache_line, a, a + len))
			return;
	}
	s_->point(*this, "device");
	std::lock_guard lk(s_->m);
	s_->commit_live(memops::granularity::cache_line, a, a + len);
}

void checker::point_now(const char *call) const noexcept
{
	s_->point(*this, call);
}

void checker::on_page_sync(const void *ptr, std::size_t len) noexcept
{
	// The kernel's page (64 KiB on most ppc64le kernels): msync writes
	// back whole pages. (Not os::page_size(): the tests' copy of the
	// checker links libpmem2.so, which does not export it.)
	static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
	auto a = reinterpret_cast<std::uintptr_t>(ptr) & ~(page - 1);
	std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(ptr) + len + page - 1) & ~(page - 1);
	if (len == 0)
		end = a + page;
	if (s_->hook.load(std::memory_order_acquire) != nullptr) {
		bool tracked;
		{
			std::lock_guard lk(s_->m);
			tracked = s_->overlaps(memops::granularity::page, a, end);
		}
		if (tracked)
			s_->point(*this, "msync");
	}
	std::lock_guard lk(s_->m);
	s_->commit_live(memops::granularity::page, a, end);
}

checker &install()
{
	static checker instance;	// outlives late callbacks from workers
	g_active.store(&instance, std::memory_order_release);
	memops::set_recorder(&instance);
	memops::redispatch(memops::options_from_env());
	return instance;
}

void uninstall()
{
	memops::set_recorder(nullptr);
	memops::redispatch(memops::options_from_env());
	g_active.store(nullptr, std::memory_order_release);
}

checker *install_from_env()
{
	const char *v = std::getenv("PMEM2_CHECK");
	if (v == nullptr || std::strcmp(v, "1") != 0)
		return nullptr;
	return &install();
}

checker *active() noexcept
{
	return g_active.load(std::memory_order_acquire);
}

} // namespace pmem2::check
