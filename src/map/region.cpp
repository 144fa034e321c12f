#include "map/region.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include <sys/sysmacros.h>

#include <libpmem2/base.h>

#include "common/errormsg.hpp"
#include "map/cxl.hpp"
#include "os/io.hpp"
#include "os/os.hpp"

namespace pmem2::region {

namespace {

// "region<digits>" -> id.
bool region_component(std::string_view c, unsigned &id)
{
	constexpr std::string_view prefix = "region";
	if (c.size() <= prefix.size() || c.substr(0, prefix.size()) != prefix)
		return false;
	unsigned v = 0;
	for (char ch : c.substr(prefix.size())) {
		if (ch < '0' || ch > '9' || v > 100000000u)
			return false;
		v = v * 10 + unsigned(ch - '0');
	}
	id = v;
	return true;
}

// Whether the component before `slash` in `path` is a CXL decoder: the
// component after it is then a CXL region, not an nd one.
bool under_decoder(std::string_view path, std::size_t slash)
{
	if (slash == std::string_view::npos)
		return false;
	std::string_view above = path.substr(0, slash);
	std::size_t s = above.rfind('/');
	return above.substr(s == std::string_view::npos ? 0 : s + 1).starts_with("decoder");
}

} // namespace

int read_attr(const std::string &path, std::string &out, bool *absent)
{
	bool open_failed = false;
	int r = os::read_file(path, 256, out, &open_failed);
	if (absent)
		*absent = open_failed && r == -ENOENT;
	if (r) {
		if (!(absent && *absent))
			set_errormsg_errno(-r, "cannot read %s", path.c_str());
		return r;
	}
	if (out.empty() || out.back() != '\n') {
		set_errormsg("%s: malformed content (expected one line)", path.c_str());
		return PMEM2_E_INVALID_REGION_FORMAT;
	}
	out.pop_back();
	return 0;
}

namespace {

// The first of `candidates` (relative to the DIMM directory) that exists.
int read_dimm_attr(const std::string &dimm, std::initializer_list<const char *> candidates,
	std::string &out, bool &absent)
{
	const std::string dir = os::sys_path("/sys/bus/nd/devices/") + dimm;
	for (const char *c : candidates) {
		int r = read_attr(dir + "/" + c, out, &absent);
		if (!absent)
			return r;
	}
	return -ENOENT;
}

} // namespace

int lookup(const source_info &src, location &out)
{
	out = location{};
	if (src.kind != source_kind::fd)
		return 0;
	const bool chr = src.ftype == file_kind::devdax;
	const dev_t d = chr ? src.rdev : src.dev;
	char buf[64];
	std::snprintf(buf, sizeof(buf), "/sys/dev/%s/%u:%u", chr ? "char" : "block", major(d), minor(d));
	const std::string path = os::sys_path(buf);
	std::string resolved;
	if (int r = os::realpath(path, resolved)) {
		if (r == -ENOENT)
			return 0;	// no such device node: not on an NVDIMM
		set_errormsg_errno(-r, "realpath %s", path.c_str());
		return r;
	}
	out.device = resolved;
	// Components below the sysfs root only: the root's own path (a test's
	// fake tree) must not be mistaken for a region.
	const std::size_t top = os::sys_path("/sys").size();
	std::string_view rest(resolved);
	while (rest.size() > top) {
		std::size_t slash = rest.rfind('/');
		std::string_view comp = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
		unsigned id;
		if (region_component(comp, id) && !under_decoder(rest, slash)) {
			out.found = true;
			out.id = id;
			out.dir = os::sys_path("/sys/bus/nd/devices/region" + std::to_string(id));
			out.cxl = cxl::on_cxl_path(rest);
			return 0;
		}
		if (slash == std::string_view::npos)
			break;
		rest = rest.substr(0, slash);
	}
	return 0;
}

result<int> numa_node(const location &loc)
{
	const std::string path = loc.dir + "/numa_node";
	std::string text;
	if (int r = read_attr(path, text))
		return result<int>::error(r);
	errno = 0;
	char *end = nullptr;
	long v = std::strtol(text.c_str(), &end, 10);
	if (end == text.c_str() || *end != '\0' || errno == ERANGE || v < INT32_MIN || v > INT32_MAX) {
		set_errormsg("%s: \"%s\" is not a NUMA node number", path.c_str(), text.c_str());
		return result<int>::error(PMEM2_E_INVALID_REGION_FORMAT);
	}
	return static_cast<int>(v);
}

int dimms(const location &loc, std::vector<std::string> &out)
{
	out.clear();
	for (unsigned i = 0;; ++i) {
		const std::string path = loc.dir + "/mapping" + std::to_string(i);
		std::string text;
		bool absent = false;
		int r = read_attr(path, text, &absent);
		if (absent)
			return 0;
		if (r)
			return r;
		// "<nmem name>,<offset>,<length>,<position>"
		std::size_t comma = text.find(',');
		std::string name = text.substr(0, comma);
		if (comma == std::string::npos || name.empty() || name.find('/') != std::string::npos) {
			set_errormsg("%s: malformed mapping \"%s\"", path.c_str(), text.c_str());
			return PMEM2_E_INVALID_REGION_FORMAT;
		}
		out.push_back(std::move(name));
	}
}

result<std::uint64_t> unsafe_shutdown_count(const location &loc)
{
	std::vector<std::string> names;
	if (int r = dimms(loc, names))
		return result<std::uint64_t>::error(r);
	std::uint64_t sum = 0;
	for (const std::string &n : names) {
		std::string text;
		bool absent = false;
		int r = read_dimm_attr(n, {"nfit/dirty_shutdown", "cxl/dirty_shutdown", "dirty_shutdown"},
			text, absent);
		if (absent && cxl::is_cxl_dimm(n)) {
			set_errormsg("CXL DIMM %s does not report an unsafe shutdown count (no "
				"%s/cxl/dirty_shutdown: the kernel or the device has no dirty shutdown tracking)",
				n.c_str(), n.c_str());
			return result<std::uint64_t>::error(PMEM2_E_NOSUPP);
		}
		if (absent) {
			set_errormsg("DIMM %s does not report an unsafe shutdown count", n.c_str());
			return result<std::uint64_t>::error(PMEM2_E_NOSUPP);
		}
		if (r)
			return result<std::uint64_t>::error(r);
		errno = 0;
		char *end = nullptr;
		long long v = std::strtoll(text.c_str(), &end, 0);
		if (end == text.c_str() || *end != '\0' || errno == ERANGE) {
			set_errormsg("DIMM %s: \"%s\" is not an unsafe shutdown count", n.c_str(), text.c_str());
			return result<std::uint64_t>::error(PMEM2_E_INVALID_REGION_FORMAT);
		}
		if (v < 0) {	// the driver's "unknown"
			set_errormsg("DIMM %s does not know its unsafe shutdown count", n.c_str());
			return result<std::uint64_t>::error(PMEM2_E_NOSUPP);
		}
		sum += static_cast<std::uint64_t>(v);
	}
	return sum;
}

result<std::string> device_id(const location &loc)
{
	std::vector<std::string> names;
	if (int r = dimms(loc, names))
		return result<std::string>::error(r);
	std::string id;
	for (const std::string &n : names) {
		if (cxl::is_cxl_dimm(n)) {
			auto s = cxl::serial(n);
			if (!s)
				return result<std::string>::error(s.code());
			id += *s;
			continue;
		}
		std::string text;
		bool absent = false;
		int r = read_dimm_attr(n, {"nfit/id", "papr/unique_id"}, text, absent);
		if (absent || (r == 0 && text.empty())) {
			set_errormsg("DIMM %s has no unique id", n.c_str());
			return result<std::string>::error(PMEM2_E_NOSUPP);
		}
		if (r)
			return result<std::string>::error(r);
		id += text;
	}
	return id;
}

int deep_flush(const location &loc)
{
	const std::string path = loc.dir + "/deep_flush";
	std::string text;
	bool open_failed = false;
	int r = os::read_file(path, 16, text, &open_failed);
	// Absent (the kernel hides it when the flush capability is unknown) or
	// reporting ENXIO (the same, unknown capability): there is no flush
	// interface, so nothing beyond the ADR domain can be drained.
	if ((open_failed && r == -ENOENT) || r == -ENXIO)
		return 0;
	if (r) {
		set_errormsg_errno(-r, "cannot read %s", path.c_str());
		return r;
	}
	if (text == "0\n")
		return 0;	// the region has no flush hints: stores are already durable
	if (text != "1\n") {
		set_errormsg("%s: malformed content", path.c_str());
		return PMEM2_E_INVALID_REGION_FORMAT;
	}
	if ((r = os::write_file(path, "1"))) {
		set_errormsg_errno(-r, "cannot write %s", path.c_str());
		return r;
	}
	return 0;
}

} // namespace pmem2::region
