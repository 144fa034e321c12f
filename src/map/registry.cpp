#include "map/registry.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>

#include <sys/mman.h>
#include <unistd.h>

#include <libpmem2/base.h>

#include "common/errormsg.hpp"
#include "map/map.hpp"
#include "memops/memops.hpp"
#include "os/os.hpp"

namespace pmem2::registry {

namespace {

struct state {
	std::shared_mutex mtx;
	std::map<std::uintptr_t, pmem2_map *> maps;	// by start address
};

// Never destroyed: page sync may run from other threads or destructors
// while the process exits, and unload must not unmap anything.
state &st() noexcept
{
	static state *s = new state;
	return *s;
}

std::uintptr_t start_of(const pmem2_map *m) noexcept { return reinterpret_cast<std::uintptr_t>(m->addr); }

} // namespace

std::shared_mutex &lock() noexcept { return st().mtx; }

pmem2_map *first_overlapping_locked(std::uintptr_t p, std::size_t len) noexcept
{
	auto &maps = st().maps;
	std::uintptr_t end = len > UINTPTR_MAX - p ? UINTPTR_MAX : p + len;
	auto it = maps.upper_bound(p);
	if (it != maps.begin()) {
		auto prev = std::prev(it);
		if (prev->first + prev->second->content_length > p)
			return prev->second;
	}
	if (it != maps.end() && it->first < end)
		return it->second;
	return nullptr;
}

int insert(pmem2_map *m) noexcept
{
	std::unique_lock lk(st().mtx);
	if (pmem2_map *o = first_overlapping_locked(start_of(m), m->content_length)) {
		set_errormsg("range %p..%p overlaps the registered map at %p (%zu bytes)",
			m->addr, static_cast<char *>(m->addr) + m->content_length, o->addr,
			o->content_length);
		return PMEM2_E_MAPPING_EXISTS;
	}
	try {
		st().maps.emplace(start_of(m), m);
	} catch (...) {
		set_errormsg("out of memory registering a map");
		return -ENOMEM;
	}
	return 0;
}

int remove(pmem2_map *m) noexcept
{
	std::unique_lock lk(st().mtx);
	auto it = st().maps.find(start_of(m));
	if (it == st().maps.end() || it->second != m) {
		set_errormsg("map %p is not registered", static_cast<void *>(m));
		return PMEM2_E_MAPPING_NOT_FOUND;
	}
	st().maps.erase(it);
	return 0;
}

std::size_t size() noexcept
{
	std::shared_lock lk(st().mtx);
	return st().maps.size();
}

} // namespace pmem2::registry

namespace pmem2 {

std::uintptr_t map_sync_end(const pmem2_map &m) noexcept
{
	const std::uintptr_t p = os::page_size();
	std::uintptr_t end = reinterpret_cast<std::uintptr_t>(m.addr) + m.content_length;
	return (end + p - 1) & ~(p - 1);
}

namespace {

// Abort policy (docs/ERRORS.md): persist/flush/mem functions have no error
// channel, and returning after a failed msync would let the caller believe
// data is durable when it may not be. So a failed msync of memory that is
// mapped ends the process, after reporting what failed.
[[noreturn]] void page_sync_failed(const void *p, std::size_t n, int err) noexcept
{
	set_errormsg_errno(-err, "msync(%p, %zu) failed during persist", p, n);
	char line[errormsg_size + 32];
	int len = std::snprintf(line, sizeof(line), "libpmem2: fatal: %s\n", errormsg());
	if (len > 0) {
		ssize_t w = ::write(STDERR_FILENO, line, std::size_t(len) < sizeof(line) ? std::size_t(len) : sizeof(line) - 1);
		(void)w;
	}
	std::abort();
}

// The range of a failed msync, for the message.
struct sync_failure {
	std::uintptr_t p = 0;
	std::size_t n = 0;
};

// A range no registered map covers is user memory all the same (DIFFERENCES.md A4): sync
// it directly. -ENOMEM there means the pages are not mapped at all, which
// leaves nothing to make durable; Linux still syncs the mapped parts.
int sync_unregistered(std::uintptr_t p, std::size_t n, sync_failure &f) noexcept
{
	int r = os::msync(reinterpret_cast<void *>(p), n, MS_SYNC);
	if (r != 0 && r != -ENOMEM) {
		f = {p, n};
		return r;
	}
	return 0;
}

// msync every page of [ptr, ptr+len), registered maps chunk by chunk under
// the registry's read lock (so they cannot be unmapped mid-sync), holes
// directly. Every step is at least one byte long (DIFFERENCES.md A3). Stops at the first
// failure: 0, or -errno with the failing range in f.
int sync_pages(const void *ptr, std::size_t len, sync_failure &f) noexcept
{
	const std::uintptr_t pg = os::page_size();
	const std::uintptr_t u = reinterpret_cast<std::uintptr_t>(ptr);
	std::uintptr_t p = u & ~(pg - 1);
	// Whole pages: [page of ptr, end of the page holding ptr+len-1).
	std::uintptr_t end = len > UINTPTR_MAX - u ? UINTPTR_MAX : u + len;
	end = end > UINTPTR_MAX - (pg - 1) ? (UINTPTR_MAX & ~(pg - 1)) : (end + pg - 1) & ~(pg - 1);
	std::size_t n = end - p;
	while (n > 0) {
		std::shared_lock lk(registry::lock());
		pmem2_map *m = registry::first_overlapping_locked(p, n);
		if (m == nullptr) {
			lk.unlock();
			return sync_unregistered(p, n, f);
		}
		std::uintptr_t mstart = reinterpret_cast<std::uintptr_t>(m->addr) & ~(pg - 1);
		if (mstart > p) {
			std::size_t hole = mstart - p;
			lk.unlock();
			if (int r = sync_unregistered(p, hole, f))
				return r;
			p += hole;
			n -= hole;
			continue;
		}
		std::uintptr_t mend = map_sync_end(*m);
		std::size_t chunk = mend - p < n ? mend - p : n;
		int r = os::msync(reinterpret_cast<void *>(p), chunk, MS_SYNC);
		if (r != 0) {
			f = {p, chunk};
			return r;
		}
		p += chunk;
		n -= chunk;
	}
	return 0;
}

// The PAGE-granularity persist of the sync API, which has no error channel.
void registry_page_sync(const void *ptr, std::size_t len) noexcept
{
	sync_failure f;
	if (int r = sync_pages(ptr, len, f))
		page_sync_failed(reinterpret_cast<void *>(f.p), f.n, r);
}

// The same for the movers, which report an error through the operation
// (a threads-mover worker completes it with -EIO).
int registry_page_sync_checked(const void *ptr, std::size_t len) noexcept
{
	sync_failure f;
	int r = sync_pages(ptr, len, f);
	if (r != 0)
		set_errormsg_errno(-r, "msync(%p, %zu) failed during an asynchronous persist",
			reinterpret_cast<void *>(f.p), f.n);
	return r;
}

// Installed at load, before any map can exist.
[[maybe_unused]] const bool installed = [] {
	memops::set_page_sync(&registry_page_sync);
	memops::set_page_sync_checked(&registry_page_sync_checked);
	return true;
}();

} // namespace

void install_page_sync() noexcept
{
	memops::set_page_sync(&registry_page_sync);
	memops::set_page_sync_checked(&registry_page_sync_checked);
}

} // namespace pmem2
