// pmem2 info [PATH]: what the library found on this machine (CPU, kernels,
// DSA work queues) and, for PATH, how a map of it would be made durable.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include <pmem2/pmem2.hpp>

#include "dsa/work_queue.hpp"
#include "map/region_report.hpp"
#include "memops/memops.hpp"
#include "tool.hpp"

#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

// The library's eADR scan (src/map/granularity.hpp, not included here: the
// internal headers define names the public C++ API also uses).
namespace pmem2 {
int eadr_scan();
namespace os {
void set_sysfs_root(std::string_view root);
}
}

namespace pmem2::tool {
namespace {

const char help_text[] =
	"usage: pmem2 info [--json] [--dsa-root DIR] [--sys-root DIR] [PATH]\n"
	"\n"
	"Prints the CPU features libpmem2 detected, the memory kernels and flush\n"
	"instruction it chose, the DSA work queues with whether this process can\n"
	"submit to each (and why not) and, for PATH (a file or device DAX): its\n"
	"kind (regular file, DAX file, device DAX, tmpfs), size, mapping\n"
	"alignment, store granularity, MAP_SYNC and eADR availability, device id\n"
	"and NUMA node where the platform reports them, and the NVDIMM region\n"
	"behind it: whether CXL provides it (and which CXL region), its\n"
	"persistence domain, its memory devices and their serial numbers.\n"
	"\n"
	"  --json          one JSON object on stdout\n"
	"  --dsa-root DIR  read the DSA devices from DIR/sys/bus/dsa/devices and\n"
	"                  DIR/dev/dsa (a copy of another machine's) instead of\n"
	"                  this machine's\n"
	"  --sys-root DIR  read the platform (regions, DIMMs, CXL memory devices)\n"
	"                  from DIR/sys instead of /sys\n";

const char *mode_name(dsa::wq_mode m)
{
	switch (m) {
	case dsa::wq_mode::dedicated: return "dedicated";
	case dsa::wq_mode::shared: return "shared";
	case dsa::wq_mode::unknown: break;
	}
	return "unknown";
}

struct path_info {
	std::string path;
	std::string kind;
	std::size_t size = 0;
	std::optional<std::size_t> alignment;
	std::optional<std::string> granularity;
	std::string granularity_note;
	bool map_sync = false;
	bool eadr = false;
	std::optional<std::string> device_id;
	std::optional<int> numa_node;
	region_report::report region;
	std::string region_error;
};

// Whether the kernel accepts a MAP_SYNC mapping of `fd` (DAX file systems, device DAX).
bool probe_map_sync(int fd, bool writable)
{
	if (!writable)
		return false;
	long page = ::sysconf(_SC_PAGESIZE);
	void *p = ::mmap(nullptr, static_cast<std::size_t>(page), PROT_READ | PROT_WRITE,
		MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (p == MAP_FAILED)
		return false;
	::munmap(p, static_cast<std::size_t>(page));
	return true;
}

int describe_path(const std::string &path, path_info &pi, std::string &err)
{
	pi.path = path;
	struct stat st;
	bool writable = ::access(path.c_str(), W_OK) == 0;
	int fd = open_mappable(path, writable ? O_RDWR : O_RDONLY, "", st, err);
	if (fd < 0)
		return fd;
	struct fd_closer {
		int fd;
		~fd_closer() { ::close(fd); }
	} closer{fd};
	auto src = source::try_from_fd(fd);
	if (!src) {
		err = src.error().message;
		return src.code();
	}
	if (is_devdax(st)) {
		pi.kind = "device DAX";
		pi.map_sync = true;	// device DAX needs no MAP_SYNC: stores reach the device directly
	} else {
		struct statfs sfs;
		pi.map_sync = probe_map_sync(fd, writable);
		if (::fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC)
			pi.kind = "tmpfs";
		else if (pi.map_sync)
			pi.kind = "DAX file";
		else
			pi.kind = "regular file";
	}
	pi.eadr = pmem2::eadr_scan() == 1;

	auto size = src->try_size();
	if (!size) {
		err = size.error().message;
		return size.code();
	}
	pi.size = *size;
	if (auto a = src->try_alignment())
		pi.alignment = *a;
	if (auto id = src->try_device_id())
		pi.device_id = *id;
	if (auto node = src->try_numa_node())
		pi.numa_node = *node;
	if (int r = region_report::describe(fd, pi.region))
		pi.region_error = "cannot describe the region (error " + std::to_string(r) + ")";

	map_options o;
	o.protection = writable ? protection::read_write : protection::read;
	if (pi.size == 0) {
		pi.granularity_note = "empty: nothing to map";
	} else if (auto m = map::try_create(*src, o)) {
		pi.granularity = std::string(to_string(m->granularity()));
	} else {
		pi.granularity_note = m.error().message;
	}
	return 0;
}

void region_text(const path_info &pi)
{
	const region_report::report &r = pi.region;
	if (!pi.region_error.empty()) {
		std::printf("region:         %s\n", pi.region_error.c_str());
		return;
	}
	if (!r.found) {
		std::printf("region:         none (not on an NVDIMM or CXL persistent memory region)\n");
		return;
	}
	if (r.cxl)
		std::printf("region:         region%u (CXL%s%s)\n", r.region, r.cxl_region.empty() ? "" : " ",
			r.cxl_region.c_str());
	else
		std::printf("region:         region%u (NVDIMM)\n", r.region);
	std::printf("persistence:    %s\n", r.domain.empty() ? "not reported by the region" : r.domain.c_str());
	if (r.devices.empty())
		std::printf("memory device:  none listed\n");
	for (const auto &d : r.devices) {
		std::string what = d.dimm;
		if (!d.memdev.empty())
			what += " (" + d.memdev + ")";
		std::printf("memory device:  %s, %s %s\n", what.c_str(), r.cxl ? "serial" : "id",
			d.serial.empty() ? "unknown" : d.serial.c_str());
	}
}

void region_json(json &j, const path_info &pi)
{
	const region_report::report &r = pi.region;
	if (!r.found || !pi.region_error.empty()) {
		j.null_field("region");
		return;
	}
	j.begin_object("region").field("id", static_cast<unsigned long long>(r.region)).field("cxl", r.cxl);
	if (r.cxl_region.empty())
		j.null_field("cxl_region");
	else
		j.field("cxl_region", r.cxl_region);
	if (r.domain.empty())
		j.null_field("persistence_domain");
	else
		j.field("persistence_domain", r.domain);
	j.begin_array("memory_devices");
	for (const auto &d : r.devices) {
		j.begin_object().field("dimm", d.dimm);
		if (d.memdev.empty())
			j.null_field("memdev");
		else
			j.field("memdev", d.memdev);
		if (d.serial.empty())
			j.null_field("serial");
		else
			j.field("serial", d.serial);
		j.end_object();
	}
	j.end_array().end_object();
}

// A root given on the command line must be a directory: a mistyped one
// would otherwise read as a platform without regions or work queues.
void require_directory(const char *option, const std::string &dir)
{
	if (dir.empty())
		throw usage_error{std::string(option) + " needs a directory"};
	struct stat st;
	if (stat(dir.c_str(), &st) != 0)
		throw usage_error{std::string(option) + " '" + dir + "': " + std::strerror(errno)};
	if (!S_ISDIR(st.st_mode))
		throw usage_error{std::string(option) + " '" + dir + "': not a directory"};
}

} // namespace

int cmd_info(int argc, char **argv)
{
	args a(argc, argv, 2);
	bool as_json = false;
	std::optional<std::string> path;
	std::string dsa_root;
	while (!a.done()) {
		std::string_view arg = a.next();
		if (arg == "--help" || arg == "-h") {
			std::fputs(help_text, stdout);
			return exit_ok;
		} else if (arg == "--json") {
			as_json = true;
		} else if (arg == "--dsa-root" || arg.starts_with("--dsa-root=")) {
			dsa_root = a.value("--dsa-root", arg);
			require_directory("--dsa-root", dsa_root);
		} else if (arg == "--sys-root" || arg.starts_with("--sys-root=")) {
			std::string root(a.value("--sys-root", arg));
			require_directory("--sys-root", root);
			pmem2::os::set_sysfs_root(root);
		} else if (!arg.empty() && arg[0] == '-' && arg != "-") {
			throw usage_error{"unknown option '" + std::string(arg) + "'"};
		} else if (path) {
			throw usage_error{"more than one PATH"};
		} else {
			path = std::string(arg);
		}
	}

	std::string dsa_source;
	const auto queues = dsa::discover(dsa_root, &dsa_source);
	const dsa::cpu_features dsa_cpu = dsa::this_cpu();

	const memops::cpu_features &cpu = memops::cpu();
	const memops::selection &sel = memops::selected();
	path_info pi;
	if (path) {
		std::string err;
		int code = describe_path(*path, pi, err);
		if (code != 0)
			return fail("info", as_json, err, code);
	}

	struct feature {
		const char *name;
		bool on;
	} features[] = {
		{"sse2", cpu.sse2}, {"avx", cpu.avx}, {"avx512f", cpu.avx512f},
		{"clflush", cpu.clflush}, {"clflushopt", cpu.clflushopt}, {"clwb", cpu.clwb},
		{"movdir64b", cpu.movdir64b},
	};

	if (as_json) {
		json j;
		j.begin_object();
		j.begin_object("cpu").field("vendor", cpu.genuine_intel ? "GenuineIntel" : "other");
		j.begin_object("features");
		for (auto &f : features)
			j.field(f.name, f.on);
		j.end_object().end_object();
		j.begin_object("kernels")
			.field("memmove", sel.kernel)
			.field("nontemporal", sel.nt_kernel)
			.field("flush", sel.flush)
			.field("movnt_threshold", sel.movnt_threshold)
			.field("wc_workaround", sel.wc_workaround)
			.end_object();
		j.field("dsa_discovery", dsa_source);
		j.begin_array("dsa_work_queues");
		for (const auto &q : queues) {
			const std::string why = dsa::unusable_reason(q, dsa_cpu);
			j.begin_object()
				.field("name", q.name)
				.field("device", q.device)
				.field("path", q.dev_path)
				.field("mode", mode_name(q.mode))
				.field("type", q.type)
				.field("state", q.state)
				.field("size", static_cast<unsigned long long>(q.size))
				.field("max_transfer_size", static_cast<unsigned long long>(q.max_transfer_size))
				.field("max_batch_size", static_cast<unsigned long long>(q.max_batch_size));
			if (q.numa_node >= 0)
				j.field("numa_node", static_cast<long long>(q.numa_node));
			else
				j.null_field("numa_node");
			j.field("usable", why.empty()).field("reason", why).end_object();
		}
		j.end_array();
		if (path) {
			j.begin_object("path").field("path", pi.path).field("kind", pi.kind).field("size", pi.size);
			if (pi.alignment)
				j.field("alignment", *pi.alignment);
			else
				j.null_field("alignment");
			if (pi.granularity)
				j.field("granularity", *pi.granularity);
			else
				j.null_field("granularity").field("granularity_note", pi.granularity_note);
			j.field("map_sync", pi.map_sync).field("eadr", pi.eadr);
			if (pi.device_id)
				j.field("device_id", *pi.device_id);
			else
				j.null_field("device_id");
			if (pi.numa_node)
				j.field("numa_node", *pi.numa_node);
			else
				j.null_field("numa_node");
			region_json(j, pi);
			j.end_object();
		}
		j.end_object();
		std::printf("%s\n", j.str().c_str());
		return exit_ok;
	}

	std::printf("CPU:            %s\n", cpu.genuine_intel ? "GenuineIntel" : "other vendor");
	std::printf("features:      ");
	for (auto &f : features)
		std::printf(" %s%s", f.on ? "+" : "-", f.name);
	std::printf("\n");
	std::printf("memmove kernel: %s (non-temporal: %s, threshold %zu bytes%s)\n", sel.kernel,
		sel.nt_kernel, sel.movnt_threshold, sel.wc_workaround ? ", WC workaround" : "");
	std::printf("flush:          %s\n", sel.flush);
	std::printf("DSA discovery:  %s\n", dsa_source.c_str());
	if (queues.empty())
		std::printf("DSA:            no work queue\n");
	for (const auto &q : queues) {
		const std::string why = dsa::unusable_reason(q, dsa_cpu);
		std::printf("DSA:            %s (%s): %s, type %s, %s, %u entries, max transfer %s, NUMA node %s; %s\n",
			q.name.c_str(), q.device.c_str(), mode_name(q.mode), q.type.c_str(),
			q.state.c_str(), q.size, human_size(double(q.max_transfer_size)).c_str(),
			q.numa_node >= 0 ? std::to_string(q.numa_node).c_str() : "n/a",
			why.empty() ? "usable by this process" : why.c_str());
	}
	if (path) {
		std::printf("\npath:           %s\n", pi.path.c_str());
		std::printf("kind:           %s\n", pi.kind.c_str());
		std::printf("size:           %zu (%s)\n", pi.size, human_size(double(pi.size)).c_str());
		if (pi.alignment)
			std::printf("alignment:      %zu\n", *pi.alignment);
		else
			std::printf("alignment:      unknown\n");
		if (pi.granularity)
			std::printf("granularity:    %s\n", pi.granularity->c_str());
		else
			std::printf("granularity:    unknown (%s)\n", pi.granularity_note.c_str());
		std::printf("MAP_SYNC:       %s\n", pi.map_sync ? "yes" : "no");
		std::printf("eADR:           %s\n", pi.eadr ? "yes" : "no");
		std::printf("device id:      %s\n", pi.device_id ? pi.device_id->c_str() : "n/a");
		if (pi.numa_node)
			std::printf("NUMA node:      %d\n", *pi.numa_node);
		else
			std::printf("NUMA node:      n/a\n");
		region_text(pi);
	}
	return exit_ok;
}

} // namespace pmem2::tool
