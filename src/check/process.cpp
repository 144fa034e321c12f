// The check mode of libpmem2 (process.hpp).
#include "check/process.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libpmem2.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#include "check/checker.hpp"
#include "os/os.hpp"

namespace pmem2::check::process {

std::atomic<int> g_mode{-1};

namespace {

struct tracked {
	pmem2_map *map;
	std::uintptr_t base;
	std::size_t len;
	std::string path;
	std::uint64_t file_offset;
	std::uint64_t dev;	// the file's st_dev and st_ino at the map (ino 0: unknown)
	std::uint64_t ino;
};

// A future made to run and not completed yet.
struct awaited {
	const char *call;
	std::vector<written_range> w;
};

// The futures awaited: the first `live` entries of `v`; the others keep
// their ranges' storage for the next ones (no allocation in steady state).
struct awaited_set {
	std::vector<awaited> v;
	std::size_t live = 0;

	void add(const char *call, const std::vector<written_range> &w)
	{
		if (live == v.size())
			v.emplace_back();
		v[live].call = call;
		v[live].w.assign(w.begin(), w.end());
		++live;
	}
	void remove_at(std::size_t i) noexcept
	{
		std::swap(v[i], v[live - 1]);
		--live;
	}
	template <class Pred>
	void remove_if(Pred p) noexcept
	{
		for (std::size_t i = 0; i < live;)
			if (p(v[i]))
				remove_at(i);
			else
				++i;
	}
	const awaited *begin() const noexcept { return v.data(); }
	const awaited *end() const noexcept { return v.data() + live; }
	void clear() noexcept { live = 0; }
};

struct state {
	std::mutex m;
	settings cfg;
	std::vector<tracked> maps;
	awaited_set futures;
	checker *chk = nullptr;
	pid_t owner = 0;	// the process that enabled check mode
	crash::recorder *crash = nullptr;	// with crash states; never freed
};

state &st()
{
	static state *s = new state;	// never destroyed: used by the exit hook
	return *s;
}

std::once_flag g_env_once;
std::once_flag g_atexit_once;

void exit_hook()
{
	check_all();
	if (crash::recorder *r = st().crash)
		r->finish();
}

void decide_from_env()
{
	const char *v = os::getenv("PMEM2_CHECK");
	if (v == nullptr || std::strcmp(v, "1") != 0) {
		int undecided = -1;
		g_mode.compare_exchange_strong(undecided, 0);
		return;
	}
	settings s;
	if (const char *r = os::getenv("PMEM2_CHECK_REPORT"))
		s.report_path = r;
	if (const char *ig = os::getenv("PMEM2_CHECK_IGNORE")) {
		std::string err;
		if (!parse_ignores(ig, s.ignores, err))
			std::fprintf(stderr, "pmem2 check: PMEM2_CHECK_IGNORE: %s (ignored from there on)\n",
				err.c_str());
	}
	std::string err;
	s.crash_states = crash::from_env(s.crash, err);
	if (!err.empty())
		std::fprintf(stderr, "pmem2 check: %s (the default is used)\n", err.c_str());
	try {
		enable(std::move(s));
	} catch (...) {
		std::fputs("pmem2 check: cannot enable check mode (out of memory)\n", stderr);
		g_mode.store(0);
	}
}

// The file a descriptor names, as /proc/self/fd/N reads: Linux appends
// " (deleted)" to the name of a file unlinked while open.
std::string path_of_fd(int fd)
{
	if (fd < 0)
		return "anonymous";
	char link[64], buf[4096];
	std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = ::readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0)
		return "fd:" + std::to_string(fd);
	return std::string(buf, static_cast<std::size_t>(n));
}

// The offset in its file of the file-backed mapping holding `addr`, when
// that file is the one `fd` names (/proc/self/maps); else 0.
std::uint64_t file_offset_of(const void *addr, int fd)
{
	struct stat st {};
	if (fd < 0 || ::fstat(fd, &st) != 0)
		return 0;
	std::FILE *f = std::fopen("/proc/self/maps", "re");
	if (f == nullptr)
		return 0;
	auto a = reinterpret_cast<std::uintptr_t>(addr);
	std::uint64_t found = 0;
	char line[4096 + 128];
	bool rest = false;	// the line read is the rest of a longer one
	while (std::fgets(line, sizeof(line), f) != nullptr) {
		bool tail = rest;
		rest = std::strchr(line, '\n') == nullptr;
		if (tail)
			continue;
		unsigned long start, end, ino;
		unsigned long long off;
		unsigned maj, min;
		char perms[8];
		if (std::sscanf(line, "%lx-%lx %7s %llx %x:%x %lu", &start, &end, perms, &off, &maj, &min, &ino) != 7)
			continue;
		if (a < start || a >= end)
			continue;
		if (ino != 0 && ino == st.st_ino && maj == major(st.st_dev) && min == minor(st.st_dev))
			found = off + (a - start);
		break;
	}
	std::fclose(f);
	return found;
}

// Findings for the runs `diffs` (offsets from `p`) of the tracked map
// holding `p`, ignores applied. Caller holds st().m.
void to_findings(const tracked &t, std::uintptr_t p,
	const std::vector<std::pair<std::size_t, std::size_t>> &diffs, finding_kind kind,
	const char *call, std::vector<finding> &out)
{
	for (auto [off, len] : diffs) {
		std::uint64_t file_off = t.file_offset + (p - t.base) + off;
		for (auto [o, l] : not_ignored(t.path, file_off, len, st().cfg.ignores)) {
			finding f;
			f.kind = kind;
			if (call != nullptr)
				f.call = call;
			f.path = t.path;
			f.offset = o;
			f.length = l;
			out.push_back(std::move(f));
		}
	}
}

// A persistence point (checker::set_point_hook): crash images of the
// file-backed maps, the maps held still while they are written.
void at_point(void *, const checker &c, const char *call)
{
	try {
		state &S = st();
		std::lock_guard lk(S.m);
		if (S.crash == nullptr)
			return;
		std::vector<crash::mapped> maps;
		for (const tracked &t : S.maps) {
			if (t.path == "anonymous")
				continue;
			auto g = static_cast<memops::granularity>(pmem2_map_get_store_granularity(t.map));
			maps.push_back({t.path, t.file_offset, reinterpret_cast<const void *>(t.base), t.len, g, t.dev, t.ino});
		}
		S.crash->at_point(c, maps, call);
	} catch (...) {
	}
}

bool in_map(const tracked &t, const written_range &r) noexcept
{
	auto a = reinterpret_cast<std::uintptr_t>(r.p);
	return a >= t.base && a - t.base < t.len;
}

// The map's never-durable bytes, then its futures still awaited. Caller
// holds st().m.
std::vector<finding> check_map(const tracked &t)
{
	std::vector<finding> out;
	auto diffs = st().chk->differences(reinterpret_cast<const void *>(t.base), t.len);
	to_findings(t, t.base, diffs, finding_kind::never_durable, nullptr, out);
	for (const awaited &f : st().futures)
		for (const written_range &r : f.w)
			if (in_map(t, r) && r.n != 0)
				to_findings(t, reinterpret_cast<std::uintptr_t>(r.p),
					{{0, std::min(r.n, t.base + t.len - reinterpret_cast<std::uintptr_t>(r.p))}},
					finding_kind::incomplete_future, f.call, out);
	return out;
}

// Forgets the futures still awaited that write into `t`. Caller holds st().m.
void forget_futures(const tracked &t)
{
	st().futures.remove_if([&t](const awaited &f) {
		return std::any_of(f.w.begin(), f.w.end(),
			[&t](const written_range &r) { return in_map(t, r); });
	});
}

} // namespace

void verify_range(const void *p, std::size_t n, const char *call, finding_kind kind) noexcept
{
	try {
		state &s = st();
		std::vector<finding> found;
		std::string report;
		{
			std::lock_guard lk(s.m);
			if (s.chk == nullptr || n == 0)
				return;
			auto a = reinterpret_cast<std::uintptr_t>(p);
			for (const tracked &t : s.maps) {
				if (a < t.base || a - t.base >= t.len)
					continue;
				auto diffs = s.chk->differences(p, n);
				to_findings(t, a, diffs, kind, call, found);
				break;
			}
			report = s.cfg.report_path;
		}
		for (const finding &f : found)
			write_finding(report, f);
	} catch (...) {
	}
}

bool enabled() noexcept
{
	int m = g_mode.load(std::memory_order_acquire);
	if (m < 0) {
		std::call_once(g_env_once, decide_from_env);
		m = g_mode.load(std::memory_order_acquire);
	}
	return m == 1;
}

void enable(settings s)
{
	state &S = st();
	{
		std::lock_guard lk(S.m);
		S.cfg = std::move(s);
		S.chk = &install();
		S.owner = ::getpid();
		if (S.cfg.crash_states) {
			S.crash = new crash::recorder(S.cfg.crash, S.cfg.report_path);
			S.chk->set_point_hook(&at_point, nullptr);
		}
	}
	std::call_once(g_atexit_once, [] { std::atexit(exit_hook); });
	g_mode.store(1, std::memory_order_release);
}

void disable() noexcept
{
	state &S = st();
	std::lock_guard lk(S.m);
	if (S.chk != nullptr) {
		S.chk->set_point_hook(nullptr, nullptr);
		S.crash = nullptr;	// a late point may still hold it: leaked
		S.chk->untrack_all();
		uninstall();
		S.chk = nullptr;
	}
	S.maps.clear();
	S.futures.clear();
	g_mode.store(0, std::memory_order_release);
}

void map_created(pmem2_map *m, int fd, std::size_t offset) noexcept
{
	try {
		state &S = st();
		std::string path = path_of_fd(fd);
		struct stat sb {};
		if (fd < 0 || ::fstat(fd, &sb) != 0)
			sb.st_ino = 0;
		std::lock_guard lk(S.m);
		if (S.chk == nullptr)
			return;
		S.chk->track(m);
		S.maps.push_back({m, reinterpret_cast<std::uintptr_t>(pmem2_map_get_address(m)),
			pmem2_map_get_size(m), std::move(path), offset, static_cast<std::uint64_t>(sb.st_dev),
			static_cast<std::uint64_t>(sb.st_ino)});
	} catch (...) {
	}
}

void map_adopted(pmem2_map *m, int fd) noexcept
{
	try {
		map_created(m, fd, file_offset_of(pmem2_map_get_address(m), fd));
	} catch (...) {
	}
}

std::vector<finding> map_deleting(pmem2_map *m)
{
	state &S = st();
	std::lock_guard lk(S.m);
	if (S.chk == nullptr)
		return {};
	for (const tracked &t : S.maps)
		if (t.map == m)
			return check_map(t);
	return {};
}

void map_deleted(pmem2_map *m, const std::vector<finding> &found) noexcept
{
	state &S = st();
	std::string report;
	{
		std::lock_guard lk(S.m);
		for (auto it = S.maps.begin(); it != S.maps.end(); ++it) {
			if (it->map != m)
				continue;
			if (S.chk != nullptr)
				S.chk->untrack(reinterpret_cast<const void *>(it->base));
			forget_futures(*it);
			S.maps.erase(it);
			break;
		}
		report = S.cfg.report_path;
	}
	for (const finding &f : found)
		write_finding(report, f);
}

void check_all() noexcept
{
	try {
		state &S = st();
		std::vector<finding> found;
		std::string report;
		{
			std::lock_guard lk(S.m);
			// A child the program forked inherits the maps; their
			// bytes are its parent's to report.
			if (S.chk == nullptr || ::getpid() != S.owner)
				return;
			for (const tracked &t : S.maps) {
				auto f = check_map(t);
				found.insert(found.end(), f.begin(), f.end());
				S.chk->untrack(reinterpret_cast<const void *>(t.base));
			}
			S.maps.clear();
			S.futures.clear();
			report = S.cfg.report_path;
		}
		for (const finding &f : found)
			write_finding(report, f);
	} catch (...) {
	}
}

void future_made(const char *call, const std::vector<written_range> &w) noexcept
{
	try {
		state &S = st();
		std::lock_guard lk(S.m);
		if (S.chk != nullptr && !w.empty())
			S.futures.add(call, w);
	} catch (...) {
	}
}

namespace {

// Drops one awaited future of `call` writing `w`; caller holds st().m.
void unawait(const char *call, const std::vector<written_range> &w)
{
	auto &set = st().futures;
	// The newest first: a program usually completes what it just made.
	for (std::size_t i = set.live; i-- > 0;) {
		const awaited &f = set.v[i];
		if (f.w == w && std::strcmp(f.call, call) == 0) {
			set.remove_at(i);
			return;
		}
	}
}

} // namespace

void future_completed(const char *call, const std::vector<written_range> &w, bool ok) noexcept
{
	state &S = st();
	const checker *chk;
	{
		std::lock_guard lk(S.m);
		unawait(call, w);
		chk = S.chk;
	}
	if (!ok || chk == nullptr)
		return;
	for (const written_range &r : w)
		verify_range(r.p, r.n, call, finding_kind::not_durable_at_completion);
	chk->point_now(call);
}

void future_taken(const char *call, const std::vector<written_range> &w) noexcept
{
	state &S = st();
	std::lock_guard lk(S.m);
	unawait(call, w);
}

} // namespace pmem2::check::process
