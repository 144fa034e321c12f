#include "map/cxl.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <libpmem2/base.h>

#include "common/errormsg.hpp"
#include "map/region.hpp"
#include "os/os.hpp"

namespace pmem2::cxl {

namespace {

// "<prefix><digits>" (the digits returned as text).
bool numbered(std::string_view c, std::string_view prefix, std::string_view &digits)
{
	if (c.size() <= prefix.size() || c.substr(0, prefix.size()) != prefix)
		return false;
	digits = c.substr(prefix.size());
	for (char ch : digits)
		if (ch < '0' || ch > '9')
			return false;
	return true;
}

std::string_view last_component(std::string_view p)
{
	std::size_t s = p.rfind('/');
	return s == std::string_view::npos ? p : p.substr(s + 1);
}

std::string_view parent_of(std::string_view p)
{
	std::size_t s = p.rfind('/');
	return s == std::string_view::npos ? std::string_view() : p.substr(0, s);
}

std::string nd_dir(const std::string &nmem)
{
	return os::sys_path("/sys/bus/nd/devices/") + nmem;
}

// A decimal or 0x-prefixed unsigned 64-bit number, the whole text.
bool parse_u64(const std::string &text, std::uint64_t &out)
{
	if (text.empty() || text[0] == '-' || text[0] == '+' || text[0] == ' ')
		return false;
	errno = 0;
	char *end = nullptr;
	unsigned long long v = std::strtoull(text.c_str(), &end, 0);
	if (end == text.c_str() || *end != '\0' || errno == ERANGE)
		return false;
	out = v;
	return true;
}

std::string as_serial(std::uint64_t v)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return buf;
}

} // namespace

bool on_cxl_path(std::string_view resolved)
{
	const std::size_t top = os::sys_path("/sys").size();
	for (std::string_view p = resolved; p.size() > top; p = parent_of(p)) {
		std::string_view d;
		std::string_view c = last_component(p);
		if (numbered(c, "pmem_region", d) || numbered(c, "nvdimm-bridge", d))
			return true;
	}
	return false;
}

std::string region_name(const std::string &nd_dir_path)
{
	const std::size_t top = os::sys_path("/sys").size();
	for (std::string_view p = nd_dir_path; p.size() > top; p = parent_of(p)) {
		std::string_view z, z2;
		if (!numbered(last_component(p), "pmem_region", z))
			continue;
		std::string_view up = last_component(parent_of(p));
		if (numbered(up, "region", z2) && z2 == z)
			return std::string(up);
		break;
	}
	// The nd region sits on the bridge's bus: match the address range.
	std::string nd_res;
	if (region::read_attr(nd_dir_path + "/resource", nd_res) != 0)
		return {};
	const std::string bus = os::sys_path("/sys/bus/cxl/devices");
	std::vector<std::string> names;
	if (os::list_dir(bus, names) != 0)
		return {};
	std::uint64_t want = 0;
	if (!parse_u64(nd_res, want))
		return {};
	for (const std::string &n : names) {
		std::string_view d;
		if (!numbered(n, "region", d))
			continue;
		std::string res;
		std::uint64_t got = 0;
		if (region::read_attr(bus + "/" + n + "/resource", res) == 0 && parse_u64(res, got) &&
			got == want)
			return n;
	}
	return {};
}

bool is_cxl_dimm(const std::string &nmem)
{
	struct stat st;
	return os::stat(nd_dir(nmem) + "/cxl", &st) == 0 && S_ISDIR(st.st_mode);
}

int memdev(const std::string &nmem, std::string &name, std::string &dir)
{
	name.clear();
	dir.clear();
	std::string provider;
	bool absent = false;
	if (int r = region::read_attr(nd_dir(nmem) + "/cxl/provider", provider, &absent))
		return absent ? 0 : r;
	if (provider.empty() || provider.find('/') != std::string::npos || provider == "." ||
		provider == "..") {
		set_errormsg("%s/cxl/provider: malformed content", nmem.c_str());
		return PMEM2_E_INVALID_REGION_FORMAT;
	}
	const std::string link = os::sys_path("/sys/bus/cxl/devices/") + provider;
	std::string resolved;
	if (int r = os::realpath(link, resolved)) {
		if (r == -ENOENT)
			return 0;	// the cxl_nvdimm is gone (or not on the bus): unknown
		set_errormsg_errno(-r, "realpath %s", link.c_str());
		return r;
	}
	std::string_view up = parent_of(resolved);
	std::string_view digits;
	if (!numbered(last_component(up), "mem", digits))
		return 0;	// not under a memory device: unknown
	name = std::string(last_component(up));
	dir = std::string(up);
	return 0;
}

result<std::string> serial(const std::string &nmem)
{
	std::string name, dir, text;
	if (int r = memdev(nmem, name, dir))
		return result<std::string>::error(r);
	std::string path;
	bool absent = true;
	std::uint64_t v = 0;
	if (!dir.empty()) {
		path = dir + "/serial";
		if (int r = region::read_attr(path, text, &absent); r && !absent)
			return result<std::string>::error(r);
		if (!absent && !parse_u64(text, v)) {
			set_errormsg("%s: \"%s\" is not a serial number", path.c_str(), text.c_str());
			return result<std::string>::error(PMEM2_E_INVALID_REGION_FORMAT);
		}
	}
	if (absent) {
		// nmem/cxl/id: the same serial, printed as a signed decimal.
		path = nd_dir(nmem) + "/cxl/id";
		if (int r = region::read_attr(path, text, &absent); r && !absent)
			return result<std::string>::error(r);
		if (absent) {
			set_errormsg("CXL DIMM %s reports no serial number (no memX/serial, no cxl/id)",
				nmem.c_str());
			return result<std::string>::error(PMEM2_E_NOSUPP);
		}
		errno = 0;
		char *end = nullptr;
		long long s = std::strtoll(text.c_str(), &end, 10);
		if (text.empty() || end == text.c_str() || *end != '\0' || errno == ERANGE) {
			set_errormsg("%s: \"%s\" is not a serial number", path.c_str(), text.c_str());
			return result<std::string>::error(PMEM2_E_INVALID_REGION_FORMAT);
		}
		v = static_cast<std::uint64_t>(s);
	}
	if (v == 0) {
		set_errormsg("CXL DIMM %s has no serial number (%s reads 0)", nmem.c_str(), path.c_str());
		return result<std::string>::error(PMEM2_E_NOSUPP);
	}
	return as_serial(v);
}

} // namespace pmem2::cxl
