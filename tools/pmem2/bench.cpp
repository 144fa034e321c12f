// pmem2 bench: throughput and latency of synchronous and asynchronous
// durable copies into a scratch file, with the synchronous rows measured
// side by side through PMDK's libpmem2 when it is installed.
//
// The synchronous rows go through the side-by-side harness
// (bench/harness/sbs.h), the one bench/side_by_side.c measures with: it
// loads PMDK's library, maps the file with it and times both libraries'
// functions alike. This file chooses the rows, alternates the libraries and
// reports.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include <pmem2/dsa_mover.hpp>
#include <pmem2/pmem2.hpp>

#include "bench_rows.hpp"
#include "sbs.h"
#include "tool.hpp"

namespace pmem2::tool {
namespace {

const char help_text[] =
	"usage: pmem2 bench [options]\n"
	"\n"
	"Measures durable copies from DRAM into a scratch file mapped with pmem2:\n"
	"the map's synchronous memcpy (flags 0 and NODRAIN) and persist, and\n"
	"asynchronous copies with the default mover and the threads mover, 1 and 16\n"
	"in flight, at several sizes (and with the DSA mover when this process can\n"
	"use a DSA work queue; the report says why not otherwise). When PMDK's libpmem2 is installed, the\n"
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

const std::size_t row_sizes[] = {4 << 10, 64 << 10, 1 << 20, 4 << 20};
// The memcpy source, as in bench/side_by_side.c: at most this much DRAM.
constexpr std::size_t max_source_bytes = std::size_t(40) << 20;

// ---- the command line ------------------------------------------------------

struct options {
	bool as_json = false, no_pmdk = false;
	std::string dir;
	std::string pmdk_path;	// --pmdk, else $PMEM2_BENCH_PMDK, else empty
	std::string force;	// PMEM2_FORCE_GRANULARITY value, or empty
	std::size_t file_size = 64 << 20, threads = 4;
	double budget = 0.15;	// seconds per row and library
};

std::string granularity_option(std::string_view g)
{
	if (g == "byte")
		return "BYTE";
	if (g == "cache_line")
		return "CACHE_LINE";
	if (g == "page")
		return "PAGE";
	throw usage_error{"--granularity: expected byte, cache_line or page, got '" + std::string(g) + "'"};
}

// The options, or nothing when --help was printed.
std::optional<options> parse_options(int argc, char **argv)
{
	args a(argc, argv, 2);
	options o;
	const char *tmp = std::getenv("TMPDIR");
	o.dir = tmp && *tmp ? tmp : "/tmp";
	bool pmdk_given = false;
	while (!a.done()) {
		std::string_view arg = a.next();
		auto is = [&](std::string_view name) {
			return arg == name || (arg.size() > name.size() && arg.substr(0, name.size()) == name &&
				arg[name.size()] == '=');
		};
		if (arg == "--help" || arg == "-h") {
			std::fputs(help_text, stdout);
			return std::nullopt;
		} else if (arg == "--json") {
			o.as_json = true;
		} else if (arg == "--no-pmdk") {
			o.no_pmdk = true;
		} else if (is("--pmdk")) {
			o.pmdk_path = std::string(a.value("--pmdk", arg));
			if (o.pmdk_path.empty())
				throw usage_error{"--pmdk: expected a path"};
			pmdk_given = true;
		} else if (is("--granularity")) {
			o.force = granularity_option(a.value("--granularity", arg));
		} else if (is("--dir")) {
			o.dir = std::string(a.value("--dir", arg));
		} else if (is("--file-size")) {
			o.file_size = parse_size("--file-size", a.value("--file-size", arg));
			if (o.file_size < (1 << 20))
				throw usage_error{"--file-size: at least 1M"};
		} else if (is("--threads")) {
			o.threads = parse_count("--threads", a.value("--threads", arg), 1, 256);
		} else if (is("--time")) {
			o.budget = double(parse_count("--time", a.value("--time", arg), 1, 60000)) / 1000.0;
		} else {
			throw usage_error{"unknown argument '" + std::string(arg) + "'"};
		}
	}
	if (o.no_pmdk && pmdk_given)
		throw usage_error{"--pmdk and --no-pmdk exclude each other"};
	if (!pmdk_given) {
		const char *env = std::getenv("PMEM2_BENCH_PMDK");
		if (env && *env)
			o.pmdk_path = env;
	}
	return o;
}

// ---- the scratch file ------------------------------------------------------

// An empty file made with mkstemp, removed when this goes away.
struct scratch_file {
	std::string path;
	scratch_file() = default;
	scratch_file(const scratch_file &) = delete;
	scratch_file &operator=(const scratch_file &) = delete;
	~scratch_file()
	{
		if (!path.empty())
			::unlink(path.c_str());
	}

	// 0, or -errno.
	int create(const std::string &dir)
	{
		// mkstemp template: six placeholder characters.
		std::string p = dir + "/pmem2-bench-" + std::string(6, 'X');
		int fd = ::mkstemp(p.data());
		if (fd < 0)
			return -errno;
		::close(fd);
		path = std::move(p);
		return 0;
	}
};

// ---- PMDK's side -----------------------------------------------------------

std::string lower_granularity(enum pmem2_granularity g)
{
	std::string s = sbs_granularity_name(g);
	for (char &c : s)
		c = char(std::tolower(static_cast<unsigned char>(c)));
	return s;
}

// PMDK's libpmem2 as the harness loaded it, and its map of the scratch file.
struct pmdk_side {
	bool disabled = false;	// --no-pmdk
	bool requested = false; // a path from --pmdk or PMEM2_BENCH_PMDK
	bool loaded = false, mapped = false;
	std::string why;	// not loaded: why
	std::string map_failure;
	std::string granularity;
	sbs_lib lib{};
	sbs_map map{};
	int fd = -1;

	pmdk_side() = default;
	pmdk_side(const pmdk_side &) = delete;
	pmdk_side &operator=(const pmdk_side &) = delete;
	~pmdk_side()
	{
		if (mapped)
			sbs_map_close(&map);
		if (fd >= 0)
			::close(fd);
		if (loaded)
			sbs_lib_close(&lib);
	}

	const char *status() const { return disabled ? "disabled" : !loaded ? "not found" : mapped ? "used" : "failed"; }
	const sbs_target *target() const { return mapped ? &map.target : nullptr; }
};

// Loads PMDK's library unless --no-pmdk; warns when one asked for is not taken.
void load_pmdk(pmdk_side &p, const options &o)
{
	if (o.no_pmdk) {
		p.disabled = true;
		return;
	}
	p.requested = !o.pmdk_path.empty();
	char why[8192] = "";
	p.loaded = sbs_find_pmdk(&p.lib, p.requested ? o.pmdk_path.c_str() : nullptr, why, sizeof(why)) == 0;
	if (!p.loaded) {
		p.why = why;
		if (p.requested)
			std::fprintf(stderr, "pmem2 bench: warning: PMDK's libpmem2 not loaded: %s\n", p.why.c_str());
	}
}

// PMDK maps the scratch file with the parameters our map got; a failure is
// reported, not fatal.
void map_pmdk(pmdk_side &p, const std::string &path, enum pmem2_granularity required)
{
	if (!p.loaded)
		return;
	char why[1024] = "";
	p.fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
	if (p.fd < 0)
		p.map_failure = "open: " + std::string(std::strerror(errno));
	else if (sbs_map_open(&p.map, &p.lib.api, p.fd, required, why, sizeof(why)) != 0)
		p.map_failure = why;
	else
		p.mapped = true;
	if (!p.mapped) {
		std::fprintf(stderr, "pmem2 bench: warning: PMDK cannot map the scratch file: %s\n",
			p.map_failure.c_str());
		return;
	}
	p.granularity = lower_granularity(p.lib.api.map_get_store_granularity(p.map.map));
	sbs_prefault(&p.map.target);
}

// ---- rows --------------------------------------------------------------------

// The DRAM buffer copies come from: page aligned, a fixed pattern.
struct source_buffer {
	std::byte *data = nullptr;
	std::size_t len = 0;
	explicit source_buffer(std::size_t n) : len((n + 4095) & ~std::size_t(4095))
	{
		data = static_cast<std::byte *>(std::aligned_alloc(4096, len));
		if (!data)
			throw std::bad_alloc();
		for (std::size_t i = 0; i < len; ++i)
			data[i] = static_cast<std::byte>(i * 131 + 7);
	}
	source_buffer(const source_buffer &) = delete;
	source_buffer &operator=(const source_buffer &) = delete;
	~source_buffer() { std::free(data); }
	sbs_source sbs() const { return {reinterpret_cast<const char *>(data), len, 0}; }
};

struct sync_case {
	enum sbs_op op;
	unsigned flags;
	const char *op_name, *flag_name;
};

const sync_case sync_cases[] = {
	{SBS_MEMCPY, 0, "memcpy", "0"},
	{SBS_MEMCPY, PMEM2_F_MEM_NODRAIN, "memcpy", "NODRAIN"},
	{SBS_PERSIST, 0, "persist", "-"},
};

// One library's samples of one row, over its slices.
struct samples {
	sbs_samples s{};
	samples() = default;
	samples(const samples &) = delete;
	samples &operator=(const samples &) = delete;
	~samples() { sbs_samples_free(&s); }

	// One slice of about `budget` seconds, at least 4 timed batches.
	void measure(const sbs_target &t, const sbs_source &src, const sync_case &c, std::size_t size, double budget)
	{
		const sbs_limits lim{budget * 1e9, 4, 0};
		if (sbs_measure(&t, &src, c.op, c.flags, size, &lim, &s) != 0)
			throw error(-ENOMEM, std::string(c.op_name) + " of " + human_size(double(size)) +
				": cannot be measured");
	}

	// The median batch: a preempted or interrupted batch does not move it.
	measurement result(std::size_t size)
	{
		double ns = sbs_median(&s);
		return {std::size_t(s.calls), double(size) / ns, ns / 1e3};
	}
};

// One synchronous row: ours alone, or ours and PMDK's in four slices of half
// the budget each, ABBA (BAAB on odd rows), so that drift of the machine
// during the row weighs on both sides alike.
row run_sync(const sbs_target &ours, const sbs_target *pmdk, const sbs_source &src, const sync_case &c,
	std::size_t size, double budget, bool pmdk_first)
{
	row r{"sync", c.op_name, c.flag_name, "map function", size, 1};
	samples s_ours, s_pmdk;
	if (!pmdk) {
		s_ours.measure(ours, src, c, size, budget);
	} else {
		for (int slice = 0; slice < 4; ++slice) {
			bool pmdk_turn = (slice == 1 || slice == 2) != pmdk_first;
			if (pmdk_turn)
				s_pmdk.measure(*pmdk, src, c, size, budget / 2);
			else
				s_ours.measure(ours, src, c, size, budget / 2);
		}
		r.pmdk = s_pmdk.result(size);
	}
	measurement m = s_ours.result(size);
	r.ops = m.ops;
	r.gbps = m.gbps;
	r.latency_us = m.latency_us;
	return r;
}

// One asynchronous row: `inflight` coroutines copying back to back for
// `budget` seconds (at least 16 copies).
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

// What the measuring part hands to the report.
struct results {
	std::string granularity;	// of our map
	std::vector<row> rows;
	std::size_t compared = 0;	// rows PMDK ran
	double geomean = 0;		// of their ratios
	std::string dsa_queues;		// the DSA mover's queues, when it has rows
	std::string dsa_reason;		// why it has none otherwise
};

// Maps the scratch file (ours, and PMDK's when loaded) and runs every row.
results measure_rows(const options &o, const std::string &path, pmdk_side &pmdk)
{
	results res;
	source_buffer src(std::min(o.file_size, max_source_bytes));
	threads_mover tm(o.threads);
	map_options popt;
	popt.required_granularity = granularity::page;
	map plain = map::create_file(path, o.file_size, popt);
	map_options topt = popt;
	topt.mover = tm;
	map with_threads = map::open(path, topt);
	res.granularity = std::string(to_string(plain.granularity()));
	// The DSA mover's rows, when a work queue is usable (the mover before
	// the map that uses it).
	result<dsa_mover> dsa = dsa_mover::try_create(dsa_options{.path = dsa_path::hardware});
	std::optional<map> with_dsa;
	if (dsa) {
		map_options dopt = popt;
		dopt.mover = dsa.value();
		with_dsa.emplace(map::open(path, dopt));
		res.dsa_queues = std::string(dsa.value().queues());
	} else {
		res.dsa_reason = dsa.error().message;
	}

	sbs_api linked;
	sbs_api_linked(&linked);
	sbs_target ours;
	sbs_target_of(&ours, &linked, plain.native());
	sbs_prefault(&ours);
	map_pmdk(pmdk, path, static_cast<enum pmem2_granularity>(popt.required_granularity));

	const sbs_source sync_src = src.sbs();
	std::size_t sync_index = 0;
	for (std::size_t size : row_sizes) {
		if (size > o.file_size)
			continue;
		for (const sync_case &c : sync_cases)
			res.rows.push_back(run_sync(ours, pmdk.target(), sync_src, c, size, o.budget, sync_index++ % 2 == 1));
		for (std::size_t inflight : {std::size_t(1), std::size_t(16)}) {
			res.rows.push_back(run_async(plain, "default", src.data, size, inflight, o.budget));
			res.rows.push_back(run_async(with_threads, "threads", src.data, size, inflight, o.budget));
			if (with_dsa)
				res.rows.push_back(run_async(*with_dsa, "dsa", src.data, size, inflight, o.budget));
		}
	}
	extension_rows(plain, with_threads, src.data, src.len, o.budget, res.rows);

	double log_sum = 0;
	for (const row &r : res.rows)
		if (r.pmdk) {
			log_sum += std::log(r.ratio());
			++res.compared;
		}
	res.geomean = res.compared ? std::exp(log_sum / double(res.compared)) : 0;
	return res;
}

// ---- the report --------------------------------------------------------------

const char async_note[] = "async rows: ours only (the PMDK comparison covers the synchronous API)";

void print_json(const options &o, const std::string &path, const pmdk_side &pmdk, const results &res)
{
	json j;
	j.begin_object().field("file", path).field("file_size", o.file_size).field("granularity", res.granularity);
	j.field("threads", o.threads);
	j.begin_object("pmdk").field("status", pmdk.status());
	if (pmdk.loaded) {
		j.field("path", pmdk.lib.path).field("file", pmdk.lib.file).field("version", pmdk.lib.version);
		if (pmdk.mapped)
			j.field("granularity", pmdk.granularity).field("rows", res.compared).field("geomean_ratio", res.geomean);
		else
			j.field("reason", "cannot map the scratch file: " + pmdk.map_failure);
	} else if (!pmdk.disabled) {
		j.field("reason", pmdk.why);
	}
	j.field("async", "ours only");
	j.end_object();
	j.begin_object("dsa");
	if (res.dsa_queues.empty())
		j.field("status", "unavailable").field("reason", res.dsa_reason);
	else
		j.field("status", "measured").field("queues", res.dsa_queues);
	j.end_object();
	j.begin_array("rows");
	for (const row &r : res.rows) {
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
}

void print_pmdk_header(const pmdk_side &pmdk, const std::string &granularity)
{
	if (pmdk.disabled) {
		std::printf("PMDK: disabled (--no-pmdk)\n");
		return;
	}
	if (!pmdk.loaded) {
		std::printf("PMDK: not found (%s)\n", pmdk.why.c_str());
		return;
	}
	const sbs_lib &l = pmdk.lib;
	std::printf("PMDK: %s", l.path);
	if (std::strcmp(l.file, l.path) != 0)
		std::printf(" (%s)", l.file);
	std::printf(", version %s", l.version);
	if (!pmdk.mapped) {
		std::printf("; cannot map the scratch file: %s\n", pmdk.map_failure.c_str());
		return;
	}
	std::printf(", granularity %s\n", pmdk.granularity.c_str());
	if (pmdk.granularity != granularity)
		std::printf("note: the two libraries chose different granularities; "
			    "--granularity forces one for both\n");
	std::printf("sync rows alternate ours/PMDK; ratio = PMDK time / ours (above 1: ours faster)\n");
}

void print_text(const options &o, const std::string &path, const pmdk_side &pmdk, const results &res)
{
	std::printf("scratch file %s, %s, granularity %s; threads mover with %zu workers\n", path.c_str(),
		human_size(double(o.file_size)).c_str(), res.granularity.c_str(), o.threads);
	print_pmdk_header(pmdk, res.granularity);
	if (res.dsa_queues.empty())
		std::printf("DSA: no rows (%s)\n", res.dsa_reason.c_str());
	else
		std::printf("DSA: rows on %s\n", res.dsa_queues.c_str());
	std::printf("%s\n\n", async_note);
	bool cols = pmdk.mapped;
	std::printf("%-6s %-7s %-7s %-12s %9s %9s %9s %12s", "mode", "op", "flags", "mover", "size", "in-flight",
		"GB/s", "latency (us)");
	if (cols)
		std::printf(" %10s %10s %7s", "PMDK GB/s", "PMDK (us)", "ratio");
	std::printf("\n");
	for (const row &r : res.rows) {
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
	if (res.compared)
		std::printf("\ngeometric mean ratio over %zu sync rows: %.2f\n", res.compared, res.geomean);
}

} // namespace

int cmd_bench(int argc, char **argv)
{
	std::optional<options> o = parse_options(argc, argv);
	if (!o)
		return exit_ok;
	// Both libraries read it when a map is created.
	if (!o->force.empty())
		::setenv("PMEM2_FORCE_GRANULARITY", o->force.c_str(), 1);

	scratch_file scratch;
	if (int rc = scratch.create(o->dir); rc != 0)
		return fail("bench", o->as_json,
			"cannot create a scratch file in '" + o->dir + "': " + std::strerror(-rc), rc);

	pmdk_side pmdk;
	load_pmdk(pmdk, *o);
	results res;
	try {
		res = measure_rows(*o, scratch.path, pmdk);
	} catch (const error &e) {
		return fail("bench", o->as_json, e.what(), e.code());
	}
	if (o->as_json)
		print_json(*o, scratch.path, pmdk, res);
	else
		print_text(*o, scratch.path, pmdk, res);
	return exit_ok;
}

} // namespace pmem2::tool
