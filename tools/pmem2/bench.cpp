// pmem2 bench: throughput and latency of synchronous and asynchronous
// durable copies into a scratch file, with the synchronous rows measured
// side by side through PMDK's libpmem2 when it is installed.
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <pmem2/pmem2.hpp>

#include "tool.hpp"

namespace pmem2::tool {
namespace {

const char help_text[] =
	"usage: pmem2 bench [options]\n"
	"\n"
	"Measures durable copies from DRAM into a scratch file mapped with pmem2:\n"
	"the map's synchronous memcpy (flags 0 and NODRAIN) and persist, and\n"
	"asynchronous copies with the default mover and the threads mover, 1 and 16\n"
	"in flight, at several sizes. When PMDK's libpmem2 is installed, the\n"
	"synchronous rows also run through it, on the same file with the same\n"
	"mapping parameters, alternating with ours; ratio = PMDK time / our time\n"
	"(above 1: ours faster). Asynchronous rows are ours only.\n"
	"\n"
	"  --dir DIR          where to create the scratch file (default $TMPDIR or /tmp)\n"
	"  --file-size S      scratch file size (default 64M)\n"
	"  --threads N        threads mover workers (default 4)\n"
	"  --time MS          measuring time per row and library in milliseconds\n"
	"                     (default 150)\n"
	"  --granularity G    force the store granularity of both libraries' maps:\n"
	"                     byte, cache_line or page (sets PMEM2_FORCE_GRANULARITY)\n"
	"  --pmdk PATH        PMDK's libpmem2 to compare with (default: $PMEM2_BENCH_PMDK,\n"
	"                     else libpmem2.so.1 from the system library paths)\n"
	"  --no-pmdk          measure ours only\n"
	"  --json             rows as JSON on stdout\n";

using clock_type = std::chrono::steady_clock;

struct measurement {
	std::size_t ops = 0;
	double gbps = 0, latency_us = 0;
};

struct row {
	std::string mode, op, flags, mover;
	std::size_t size = 0, inflight = 0, ops = 0;
	double gbps = 0, latency_us = 0;
	std::optional<measurement> pmdk;
	// PMDK time per operation / ours: above 1, ours is faster.
	double ratio() const { return pmdk ? pmdk->latency_us / latency_us : 0; }
};

double seconds_since(clock_type::time_point t)
{
	return std::chrono::duration<double>(clock_type::now() - t).count();
}

std::size_t slot_offset(std::size_t slot, std::size_t size, std::size_t span)
{
	std::size_t nslots = std::max<std::size_t>(1, span / size);
	return (slot % nslots) * size;
}

std::string granularity_name(int g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "byte";
	case PMEM2_GRANULARITY_CACHE_LINE: return "cache_line";
	case PMEM2_GRANULARITY_PAGE: return "page";
	}
	return "unknown (" + std::to_string(g) + ")";
}

std::string real_path(const std::string &p)
{
	char buf[PATH_MAX];
	return ::realpath(p.c_str(), buf) ? std::string(buf) : p;
}

// ---- PMDK's libpmem2, loaded at run time ----------------------------------
//
// The tool links our libpmem2 statically and exports none of its symbols;
// PMDK's shared library is opened RTLD_LOCAL | RTLD_DEEPBIND, so both
// libraries' pmem2_* functions live side by side without clashing. The public
// C API and types are the same, hence the declarations from our base.h.

// The sanitizer runtimes refuse RTLD_DEEPBIND; without it PMDK's library
// still binds to itself, because the tool exports none of our symbols.
#ifdef PMEM2_SANITIZE_BUILD
constexpr int dlopen_bind = 0;
#else
constexpr int dlopen_bind = RTLD_DEEPBIND;
#endif

struct pmdk_library {
	void *handle = nullptr;
	std::string path;	// as the dynamic linker found it
	std::string file;	// real path
	std::string version;
	decltype(&::pmem2_config_new) config_new = nullptr;
	decltype(&::pmem2_config_delete) config_delete = nullptr;
	decltype(&::pmem2_config_set_required_store_granularity) config_set_granularity = nullptr;
	decltype(&::pmem2_source_from_fd) source_from_fd = nullptr;
	decltype(&::pmem2_source_delete) source_delete = nullptr;
	decltype(&::pmem2_map_new) map_new = nullptr;
	decltype(&::pmem2_map_delete) map_delete = nullptr;
	decltype(&::pmem2_map_get_address) map_get_address = nullptr;
	decltype(&::pmem2_map_get_size) map_get_size = nullptr;
	decltype(&::pmem2_map_get_store_granularity) map_get_granularity = nullptr;
	decltype(&::pmem2_get_memcpy_fn) get_memcpy_fn = nullptr;
	decltype(&::pmem2_get_memset_fn) get_memset_fn = nullptr;
	decltype(&::pmem2_get_persist_fn) get_persist_fn = nullptr;
	decltype(&::pmem2_errormsg) errormsg = nullptr;

	pmdk_library() = default;
	pmdk_library(const pmdk_library &) = delete;
	pmdk_library &operator=(const pmdk_library &) = delete;
	~pmdk_library()
	{
		if (handle)
			::dlclose(handle);
	}
};

// PMDK's libraries carry "src version: X.Y.Z" (its SRCVERSION); ours does not.
std::string pmdk_version_string(const std::string &file)
{
	std::ifstream in(file, std::ios::binary);
	std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	const std::string tag = "src version: ";
	auto at = data.find(tag);
	if (at == std::string::npos)
		return {};
	std::string v;
	for (std::size_t i = at + tag.size(); i < data.size() && v.size() < 64; ++i) {
		char c = data[i];
		if (c < 0x21 || c > 0x7e)
			break;
		v += c;
	}
	return v;
}

// Opens `name` and checks that it is PMDK's libpmem2; null and `why` if not.
std::unique_ptr<pmdk_library> open_pmdk(const std::string &name, std::string &why)
{
	::dlerror();
	void *h = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL | dlopen_bind);
	if (!h) {
		const char *e = ::dlerror();
		why = e ? e : name + ": cannot be loaded";
		return nullptr;
	}
	auto lib = std::make_unique<pmdk_library>();
	lib->handle = h;
	struct link_map *lm = nullptr;
	lib->path = ::dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && *lm->l_name ? lm->l_name : name;
	lib->file = real_path(lib->path);

	bool ok = true;
	auto sym = [&](auto &fn, const char *s) {
		void *p = ::dlsym(h, s);
		if (!p && ok) {
			why = lib->path + ": no symbol " + s + " (not a libpmem2)";
			ok = false;
		}
		fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(p);
	};
	sym(lib->config_new, "pmem2_config_new");
	sym(lib->config_delete, "pmem2_config_delete");
	sym(lib->config_set_granularity, "pmem2_config_set_required_store_granularity");
	sym(lib->source_from_fd, "pmem2_source_from_fd");
	sym(lib->source_delete, "pmem2_source_delete");
	sym(lib->map_new, "pmem2_map_new");
	sym(lib->map_delete, "pmem2_map_delete");
	sym(lib->map_get_address, "pmem2_map_get_address");
	sym(lib->map_get_size, "pmem2_map_get_size");
	sym(lib->map_get_granularity, "pmem2_map_get_store_granularity");
	sym(lib->get_memcpy_fn, "pmem2_get_memcpy_fn");
	sym(lib->get_memset_fn, "pmem2_get_memset_fn");
	sym(lib->get_persist_fn, "pmem2_get_persist_fn");
	sym(lib->errormsg, "pmem2_errormsg");
	if (!ok)
		return nullptr;

	// The functions must come from the library just opened, a separate
	// object: not this program's own (statically linked) libpmem2.
	Dl_info self{}, theirs{};
	if (!::dladdr(reinterpret_cast<void *>(&cmd_bench), &self) ||
		!::dladdr(reinterpret_cast<void *>(lib->map_new), &theirs) || !theirs.dli_fname ||
		self.dli_fbase == theirs.dli_fbase || real_path(theirs.dli_fname) != lib->file) {
		why = lib->path + ": its functions resolve outside the library (this program's own libpmem2?)";
		return nullptr;
	}
	lib->version = pmdk_version_string(lib->file);
	if (lib->version.empty()) {
		why = lib->path + ": not PMDK's libpmem2 (no PMDK version string; this project's libpmem2?)";
		return nullptr;
	}
	return lib;
}

struct pmdk_choice {
	std::unique_ptr<pmdk_library> lib;
	std::string why;	// when lib is null: why
	bool requested = false; // a path given with --pmdk or PMEM2_BENCH_PMDK
};

// --pmdk PATH, then $PMEM2_BENCH_PMDK (each alone when given), then
// libpmem2.so.1 by the dynamic linker's search, then the usual directories
// (in case the search finds this project's library first).
pmdk_choice find_pmdk(const std::string &option)
{
	pmdk_choice c;
	std::vector<std::string> names;
	const char *env = std::getenv("PMEM2_BENCH_PMDK");
	if (!option.empty()) {
		names.push_back(option);
		c.requested = true;
	} else if (env && *env) {
		names.push_back(env);
		c.requested = true;
	} else {
		names = {"libpmem2.so.1", "/usr/lib/x86_64-linux-gnu/libpmem2.so.1", "/usr/lib64/libpmem2.so.1",
			"/usr/local/lib/libpmem2.so.1", "/usr/local/lib64/libpmem2.so.1", "/usr/lib/libpmem2.so.1"};
	}
	std::vector<std::string> tried; // real paths already rejected
	std::string reasons;
	for (std::size_t i = 0; i < names.size(); ++i) {
		const std::string &n = names[i];
		bool fallback = !c.requested && i > 0;
		if (fallback) {
			if (::access(n.c_str(), F_OK) != 0)
				continue;
			if (std::find(tried.begin(), tried.end(), real_path(n)) != tried.end())
				continue;
		}
		std::string why;
		auto lib = open_pmdk(n, why);
		if (lib) {
			c.lib = std::move(lib);
			return c;
		}
		tried.push_back(real_path(n));
		if (n.find('/') == std::string::npos) {
			// Which file the dynamic linker picked, to skip it below.
			if (void *h = ::dlopen(n.c_str(), RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD)) {
				struct link_map *lm = nullptr;
				if (::dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name)
					tried.push_back(real_path(lm->l_name));
				::dlclose(h);
			}
		}
		reasons += (reasons.empty() ? "" : "; ") + why;
	}
	c.why = reasons.empty() ? "libpmem2.so.1 not in the system library paths" : reasons;
	return c;
}

// PMDK's map of the scratch file, with the parameters our map gets.
struct pmdk_map {
	const pmdk_library &lib;
	int fd = -1;
	pmem2_config *cfg = nullptr;
	pmem2_source *src = nullptr;
	pmem2_map *map = nullptr;

	explicit pmdk_map(const pmdk_library &l) : lib(l) {}
	pmdk_map(const pmdk_map &) = delete;
	pmdk_map &operator=(const pmdk_map &) = delete;
	~pmdk_map()
	{
		if (map)
			lib.map_delete(&map);
		if (src)
			lib.source_delete(&src);
		if (cfg)
			lib.config_delete(&cfg);
		if (fd >= 0)
			::close(fd);
	}

	// Empty on success, else the reason.
	std::string open(const std::string &path, int required_granularity)
	{
		fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return "open: " + std::string(std::strerror(errno));
		auto err = [&](const char *what) { return std::string(what) + ": " + lib.errormsg(); };
		if (lib.config_new(&cfg) != 0)
			return err("pmem2_config_new");
		if (lib.config_set_granularity(cfg, static_cast<pmem2_granularity>(required_granularity)) != 0)
			return err("pmem2_config_set_required_store_granularity");
		if (lib.source_from_fd(&src, fd) != 0)
			return err("pmem2_source_from_fd");
		if (lib.map_new(&map, cfg, src) != 0)
			return err("pmem2_map_new");
		return {};
	}
};

// ---- synchronous rows ------------------------------------------------------

// One library's synchronous functions over one map.
struct sync_target {
	std::byte *base = nullptr;
	std::size_t len = 0;
	pmem2_memcpy_fn memcpy_fn = nullptr;
	pmem2_persist_fn persist_fn = nullptr;
};

enum class sync_op { memcpy, persist };

struct sync_case {
	sync_op op;
	unsigned flags;
	const char *op_name, *flag_name;
};

const sync_case sync_cases[] = {
	{sync_op::memcpy, 0, "memcpy", "0"},
	{sync_op::memcpy, PMEM2_F_MEM_NODRAIN, "memcpy", "NODRAIN"},
	{sync_op::persist, 0, "persist", "-"},
};

struct tally {
	std::size_t ops = 0, next_slot = 0;
	std::vector<double> per_op;	// seconds per operation, one entry per batch

	// The median batch: a preempted or interrupted batch does not move it.
	measurement result(std::size_t size)
	{
		auto mid = per_op.begin() + std::ptrdiff_t(per_op.size() / 2);
		std::nth_element(per_op.begin(), mid, per_op.end());
		double t = *mid;
		return {ops, double(size) / t / 1e9, t * 1e6};
	}
};

// Faults every page of the map in for writing, then persists it all, so no
// row pays first-touch costs.
void prefault(const sync_target &t)
{
	long page = ::sysconf(_SC_PAGESIZE);
	for (std::size_t off = 0; off < t.len; off += std::size_t(page)) {
		volatile std::byte *p = t.base + off;
		*p = *p;
	}
	t.persist_fn(t.base, t.len);
}

// Runs one case for about `budget` seconds (at least 4 operations), in
// batches that grow while they take under 20 µs so that reading the clock
// costs little next to the operations themselves.
void run_slice(const sync_target &t, const sync_case &c, const std::byte *src, std::size_t size, double budget,
	tally &tl)
{
	std::size_t batch = 1, done = 0;
	auto t0 = clock_type::now();
	double prev = 0;
	for (;;) {
		for (std::size_t i = 0; i < batch; ++i) {
			std::byte *d = t.base + slot_offset(tl.next_slot++, size, t.len);
			if (c.op == sync_op::memcpy)
				t.memcpy_fn(d, src, size, c.flags);
			else
				t.persist_fn(d, size);
		}
		done += batch;
		double now = seconds_since(t0);
		tl.per_op.push_back((now - prev) / double(batch));
		if (done >= 4 && now >= budget) {
			tl.ops += done;
			return;
		}
		if (now - prev < 20e-6 && batch < 4096)
			batch *= 2;
		prev = now;
	}
}

// One synchronous row: ours alone, or ours and PMDK's in four slices of half
// the budget each, ABBA (BAAB on odd rows), so that drift of the machine
// during the row weighs on both sides alike.
row run_sync(const sync_target &ours, const sync_target *pmdk, const sync_case &c, const std::byte *src,
	std::size_t size, double budget, bool pmdk_first)
{
	row r{"sync", c.op_name, c.flag_name, "map function", size, 1};
	tally t_ours, t_pmdk;
	if (!pmdk) {
		run_slice(ours, c, src, size, budget, t_ours);
	} else {
		for (int slice = 0; slice < 4; ++slice) {
			bool pmdk_turn = (slice == 1 || slice == 2) != pmdk_first;
			if (pmdk_turn)
				run_slice(*pmdk, c, src, size, budget / 2, t_pmdk);
			else
				run_slice(ours, c, src, size, budget / 2, t_ours);
		}
		r.pmdk = t_pmdk.result(size);
	}
	measurement m = t_ours.result(size);
	r.ops = m.ops;
	r.gbps = m.gbps;
	r.latency_us = m.latency_us;
	return r;
}

// ---- asynchronous rows -----------------------------------------------------

row run_async(const map &m, const char *mover, const std::byte *src, std::size_t size, std::size_t inflight,
	double budget)
{
	row r{"async", "memcpy", "0", mover, size, inflight};
	double lat = 0;
	std::size_t next = 0;
	bool stop = false;
	std::optional<error_info> err;
	auto t0 = clock_type::now();
	map_ref dst = m;
	auto worker = [&]() -> task<void> {
		while (!stop) {
			std::size_t slot = next++;
			auto s = clock_type::now();
			auto res = co_await dst.memcpy_async(dst.data() + slot_offset(slot, size, dst.size()), src, size)
					   .no_throw();
			if (!res) {
				err = res.error();
				stop = true;
				co_return;
			}
			lat += seconds_since(s);
			++r.ops;
			if (r.ops >= 16 && seconds_since(t0) >= budget)
				stop = true;
		}
	};
	std::vector<task<void>> ws;
	for (std::size_t i = 0; i < inflight; ++i)
		ws.push_back(worker());
	sync_wait(when_all(std::move(ws)));
	if (err)
		throw error(*err);
	double secs = seconds_since(t0);
	r.gbps = double(r.ops * size) / secs / 1e9;
	r.latency_us = lat / double(r.ops) * 1e6;
	return r;
}

const char async_note[] = "async rows: ours only (the PMDK comparison covers the synchronous API)";

} // namespace

int cmd_bench(int argc, char **argv)
{
	args a(argc, argv, 2);
	bool as_json = false, no_pmdk = false;
	const char *tmp = std::getenv("TMPDIR");
	std::string dir = tmp && *tmp ? tmp : "/tmp";
	std::string pmdk_option, force;
	std::size_t file_size = 64 << 20, threads = 4;
	double budget = 0.15;
	while (!a.done()) {
		std::string_view arg = a.next();
		auto is = [&](std::string_view name) {
			return arg == name || (arg.size() > name.size() && arg.substr(0, name.size()) == name &&
				arg[name.size()] == '=');
		};
		if (arg == "--help" || arg == "-h") {
			std::fputs(help_text, stdout);
			return exit_ok;
		} else if (arg == "--json") {
			as_json = true;
		} else if (arg == "--no-pmdk") {
			no_pmdk = true;
		} else if (is("--pmdk")) {
			pmdk_option = std::string(a.value("--pmdk", arg));
			if (pmdk_option.empty())
				throw usage_error{"--pmdk: expected a path"};
		} else if (is("--granularity")) {
			std::string_view g = a.value("--granularity", arg);
			if (g == "byte")
				force = "BYTE";
			else if (g == "cache_line")
				force = "CACHE_LINE";
			else if (g == "page")
				force = "PAGE";
			else
				throw usage_error{"--granularity: expected byte, cache_line or page, got '" + std::string(g) +
					"'"};
		} else if (is("--dir")) {
			dir = std::string(a.value("--dir", arg));
		} else if (is("--file-size")) {
			file_size = parse_size("--file-size", a.value("--file-size", arg));
			if (file_size < (1 << 20))
				throw usage_error{"--file-size: at least 1M"};
		} else if (is("--threads")) {
			threads = parse_count("--threads", a.value("--threads", arg), 1, 256);
		} else if (is("--time")) {
			budget = double(parse_count("--time", a.value("--time", arg), 1, 60000)) / 1000.0;
		} else {
			throw usage_error{"unknown argument '" + std::string(arg) + "'"};
		}
	}
	if (no_pmdk && !pmdk_option.empty())
		throw usage_error{"--pmdk and --no-pmdk exclude each other"};
	// Both libraries read it when a map is created.
	if (!force.empty())
		::setenv("PMEM2_FORCE_GRANULARITY", force.c_str(), 1);

	// mkstemp template: six placeholder characters.
	std::string path = dir + "/pmem2-bench-" + std::string(6, 'X');
	int fd = ::mkstemp(path.data());
	if (fd < 0)
		return fail("bench", as_json, "cannot create a scratch file in '" + dir + "': " + std::strerror(errno),
			-errno);
	::close(fd);
	struct unlinker {
		std::string p;
		~unlinker() { ::unlink(p.c_str()); }
	} cleanup{path};

	pmdk_choice pmdk;
	if (!no_pmdk) {
		pmdk = find_pmdk(pmdk_option);
		if (!pmdk.lib && pmdk.requested)
			std::fprintf(stderr, "pmem2 bench: warning: PMDK's libpmem2 not loaded: %s\n", pmdk.why.c_str());
	}
	std::optional<pmdk_map> pmap;
	std::string pmdk_gran, pmdk_failure;

	std::vector<row> rows;
	std::string gran;
	try {
		const std::size_t sizes[] = {4 << 10, 64 << 10, 1 << 20, 4 << 20};
		std::vector<std::byte> src(4 << 20);
		for (std::size_t i = 0; i < src.size(); ++i)
			src[i] = static_cast<std::byte>(i * 131 + 7);
		threads_mover tm(threads);
		map_options popt;
		popt.required_granularity = granularity::page;
		map plain = map::create_file(path, file_size, popt);
		map_options topt = popt;
		topt.mover = tm;
		map with_threads = map::open(path, topt);
		gran = std::string(to_string(plain.granularity()));

		sync_target ours{plain.data(), plain.size(), ::pmem2_get_memcpy_fn(plain.native()),
			::pmem2_get_persist_fn(plain.native())};
		prefault(ours);
		std::optional<sync_target> theirs;
		if (pmdk.lib) {
			pmap.emplace(*pmdk.lib);
			pmdk_failure = pmap->open(path, static_cast<int>(popt.required_granularity));
			if (pmdk_failure.empty()) {
				const pmdk_library &l = *pmdk.lib;
				theirs = sync_target{static_cast<std::byte *>(l.map_get_address(pmap->map)),
					l.map_get_size(pmap->map), l.get_memcpy_fn(pmap->map), l.get_persist_fn(pmap->map)};
				pmdk_gran = granularity_name(l.map_get_granularity(pmap->map));
				prefault(*theirs);
			} else {
				std::fprintf(stderr, "pmem2 bench: warning: PMDK cannot map the scratch file: %s\n",
					pmdk_failure.c_str());
				pmap.reset();
			}
		}

		std::size_t sync_index = 0;
		for (std::size_t size : sizes) {
			if (size > file_size)
				continue;
			for (const sync_case &c : sync_cases)
				rows.push_back(run_sync(ours, theirs ? &*theirs : nullptr, c, src.data(), size, budget,
					sync_index++ % 2 == 1));
			for (std::size_t inflight : {std::size_t(1), std::size_t(16)}) {
				rows.push_back(run_async(plain, "default", src.data(), size, inflight, budget));
				rows.push_back(run_async(with_threads, "threads", src.data(), size, inflight, budget));
			}
		}
	} catch (const error &e) {
		return fail("bench", as_json, e.what(), e.code());
	}

	// Geometric mean of the ratios of the rows PMDK ran.
	double log_sum = 0;
	std::size_t compared = 0;
	for (const row &r : rows)
		if (r.pmdk) {
			log_sum += std::log(r.ratio());
			++compared;
		}
	double geomean = compared ? std::exp(log_sum / double(compared)) : 0;
	const char *pmdk_status = no_pmdk ? "disabled" : !pmdk.lib ? "not found" : pmap ? "used" : "failed";

	if (as_json) {
		json j;
		j.begin_object().field("file", path).field("file_size", file_size).field("granularity", gran);
		j.field("threads", threads);
		j.begin_object("pmdk").field("status", pmdk_status);
		if (pmdk.lib) {
			j.field("path", pmdk.lib->path).field("file", pmdk.lib->file).field("version", pmdk.lib->version);
			if (pmap)
				j.field("granularity", pmdk_gran).field("rows", compared).field("geomean_ratio", geomean);
			else
				j.field("reason", "cannot map the scratch file: " + pmdk_failure);
		} else if (!no_pmdk) {
			j.field("reason", pmdk.why);
		}
		j.field("async", "ours only");
		j.end_object();
		j.begin_array("rows");
		for (const row &r : rows) {
			j.begin_object()
				.field("mode", r.mode)
				.field("op", r.op)
				.field("flags", r.flags)
				.field("mover", r.mover)
				.field("size", r.size)
				.field("inflight", r.inflight)
				.field("ops", r.ops)
				.field("gbps", r.gbps)
				.field("latency_us", r.latency_us);
			if (r.pmdk) {
				j.begin_object("pmdk")
					.field("ops", r.pmdk->ops)
					.field("gbps", r.pmdk->gbps)
					.field("latency_us", r.pmdk->latency_us)
					.end_object();
				j.field("ratio", r.ratio());
			}
			j.end_object();
		}
		j.end_array().end_object();
		std::printf("%s\n", j.str().c_str());
		return exit_ok;
	}
	std::printf("scratch file %s, %s, granularity %s; threads mover with %zu workers\n", path.c_str(),
		human_size(double(file_size)).c_str(), gran.c_str(), threads);
	if (no_pmdk) {
		std::printf("PMDK: disabled (--no-pmdk)\n");
	} else if (!pmdk.lib) {
		std::printf("PMDK: not found (%s)\n", pmdk.why.c_str());
	} else {
		const pmdk_library &l = *pmdk.lib;
		std::printf("PMDK: %s", l.path.c_str());
		if (l.file != l.path)
			std::printf(" (%s)", l.file.c_str());
		std::printf(", version %s", l.version.c_str());
		if (pmap) {
			std::printf(", granularity %s\n", pmdk_gran.c_str());
			if (pmdk_gran != gran)
				std::printf("note: the two libraries chose different granularities; "
					    "--granularity forces one for both\n");
			std::printf("sync rows alternate ours/PMDK; ratio = PMDK time / ours (above 1: ours faster)\n");
		} else {
			std::printf("; cannot map the scratch file: %s\n", pmdk_failure.c_str());
		}
	}
	std::printf("%s\n\n", async_note);
	bool cols = static_cast<bool>(pmap);
	std::printf("%-6s %-7s %-7s %-12s %9s %9s %9s %12s", "mode", "op", "flags", "mover", "size", "in-flight",
		"GB/s", "latency (us)");
	if (cols)
		std::printf(" %10s %10s %7s", "PMDK GB/s", "PMDK (us)", "ratio");
	std::printf("\n");
	for (const row &r : rows) {
		std::printf("%-6s %-7s %-7s %-12s %9s %9zu %9.3f %12.2f", r.mode.c_str(), r.op.c_str(), r.flags.c_str(),
			r.mover.c_str(), human_size(double(r.size)).c_str(), r.inflight, r.gbps, r.latency_us);
		if (cols) {
			if (r.pmdk)
				std::printf(" %10.3f %10.2f %7.2f", r.pmdk->gbps, r.pmdk->latency_us, r.ratio());
			else
				std::printf(" %10s %10s %7s", "-", "-", "-");
		}
		std::printf("\n");
	}
	if (compared)
		std::printf("\ngeometric mean ratio over %zu sync rows: %.2f\n", compared, geomean);
	return exit_ok;
}

} // namespace pmem2::tool
