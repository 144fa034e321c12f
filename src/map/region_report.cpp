#include "map/region_report.hpp"

#include "map/cxl.hpp"
#include "map/region.hpp"
#include "map/source.hpp"
#include "os/os.hpp"

namespace pmem2::region_report {

int describe(int fd, report &out)
{
	out = report{};
	source_info src;
	if (int r = source_from_fd(fd, src))
		return r;
	region::location loc;
	if (int r = region::lookup(src, loc))
		return r;
	if (!loc.found)
		return 0;
	out.found = true;
	out.region = loc.id;
	out.cxl = loc.cxl;
	bool absent = false;
	if (int r = region::read_attr(loc.dir + "/persistence_domain", out.domain, &absent); r && !absent)
		out.domain.clear();	// unreadable or malformed: reported as none
	std::vector<std::string> names;
	if (int r = region::dimms(loc, names))
		return r;
	for (const std::string &n : names) {
		memory_device d;
		d.dimm = n;
		if (cxl::is_cxl_dimm(n)) {
			out.cxl = true;
			std::string dir;
			if (cxl::memdev(n, d.memdev, dir) != 0)
				d.memdev.clear();
			if (auto s = cxl::serial(n))
				d.serial = *s;
		} else {
			const std::string base = os::sys_path("/sys/bus/nd/devices/") + n;
			if (region::read_attr(base + "/nfit/id", d.serial, &absent) != 0)
				d.serial.clear();
		}
		out.devices.push_back(std::move(d));
	}
	if (out.cxl) {
		std::string resolved;
		if (os::realpath(loc.dir, resolved) == 0)
			out.cxl_region = cxl::region_name(resolved);
	}
	return 0;
}

} // namespace pmem2::region_report
