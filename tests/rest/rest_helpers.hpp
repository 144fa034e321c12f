// Helpers shared by the tests of reservations, deep flush, identity,
// mcsafe I/O and bad blocks.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "core/helpers.hpp"

namespace pmem2::test {

// A reservation owned by the test; deleted (if still there) at scope end.
struct reservation {
	pmem2_vm_reservation *rsv = nullptr;
	reservation(void *addr, std::size_t size)
	{
		if (pmem2_vm_reservation_new(&rsv, addr, size) != 0)
			std::abort();
	}
	~reservation()
	{
		if (rsv)
			pmem2_vm_reservation_delete(&rsv);
	}
	operator pmem2_vm_reservation *() const { return rsv; }
	char *base() const { return static_cast<char *>(pmem2_vm_reservation_get_address(rsv)); }
};

// True when nothing at all is mapped in [addr, addr+len).
inline bool range_free(const void *addr, std::size_t len)
{
	void *p = ::mmap(const_cast<void *>(addr), len, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	::munmap(p, len);
	return p == addr;
}

// Protection string ("rw-p", "---p", ...) of the mapping holding `addr`, "" if none.
inline std::string prot_at(const void *addr)
{
	std::ifstream f("/proc/self/maps");
	const auto a = reinterpret_cast<std::uintptr_t>(addr);
	for (std::string l; std::getline(f, l);) {
		std::uintptr_t lo = 0, hi = 0;
		char perms[8] = {};
		if (std::sscanf(l.c_str(), "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi)
			return perms;
	}
	return "";
}

// Address space of `len` bytes that was free a moment ago.
inline char *free_address(std::size_t len)
{
	void *p = ::mmap(nullptr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		std::abort();
	::munmap(p, len);
	return static_cast<char *>(p);
}

// Keep the error message of the current thread recognisable.
inline void mark_errormsg() { pmem2::set_errormsg("sentinel"); }

// A fake NVDIMM platform in a fake sysfs root: regions under
// /sys/devices/platform/ndbus0 with the /sys/bus/nd/devices links, DIMMs,
// and block or character devices placed on a region.
class fake_nvdimm {
public:
	fake_root root;

	static std::string region_rel(unsigned n)
	{
		return "/sys/devices/platform/ndbus0/region" + std::to_string(n);
	}
	void add_region(unsigned n, const std::string &numa = "0\n")
	{
		root.mkdirs(region_rel(n));
		root.write(region_rel(n) + "/numa_node", numa);
		root.write(region_rel(n) + "/persistence_domain", "memory_controller\n");
		root.symlink(root.path(region_rel(n)), "/sys/bus/nd/devices/region" + std::to_string(n));
	}
	// Attribute of region n (relative name), e.g. "deep_flush".
	void set(unsigned n, const std::string &attr, const std::string &content)
	{
		root.write(region_rel(n) + "/" + attr, content);
	}
	// DIMM `name` as mapping `idx` of region n; null id / dsc: attribute absent.
	void add_dimm(unsigned n, unsigned idx, const std::string &name, const char *id, const char *dsc)
	{
		set(n, "mapping" + std::to_string(idx), name + ",0,268435456," + std::to_string(idx) + "\n");
		const std::string d = "/sys/devices/platform/ndbus0/" + name;
		root.mkdirs(d + "/nfit");
		if (id)
			root.write(d + "/nfit/id", std::string(id) + "\n");
		if (dsc)
			root.write(d + "/nfit/dirty_shutdown", std::string(dsc) + "\n");
		struct stat st;
		if (::lstat(root.path("/sys/bus/nd/devices/" + name).c_str(), &st) != 0)
			root.symlink(root.path(d), "/sys/bus/nd/devices/" + name);
	}
	// The block device `dev` becomes pmem<n>, a namespace of region n.
	void block_on_region(dev_t dev, unsigned n)
	{
		const std::string d = region_rel(n) + "/namespace" + std::to_string(n) + ".0/block/pmem" + std::to_string(n);
		root.mkdirs(d);
		root.symlink(root.path(d), node("block", dev));
	}
	// The character device `rdev` becomes dax<n>.0 of region n.
	void devdax_on_region(dev_t rdev, unsigned n, std::size_t size, std::size_t align)
	{
		const std::string nd = region_rel(n) + "/dax" + std::to_string(n) + ".0";
		const std::string d = nd + "/dax" + std::to_string(n) + ".0";
		root.mkdirs(d);
		root.mkdirs("/sys/bus/dax");
		root.symlink(root.path("/sys/bus/dax"), d + "/subsystem");
		root.write(d + "/size", std::to_string(size) + "\n");
		root.write(nd + "/dax_region/align", std::to_string(align) + "\n");
		root.symlink(root.path(d), node("char", rdev));
	}
	static std::string node(const char *kind, dev_t d)
	{
		return std::string("/sys/dev/") + kind + "/" + std::to_string(major(d)) + ":" +
			std::to_string(minor(d));
	}
};

// st_dev of an open file, st_rdev of an open device.
inline dev_t dev_of(int fd)
{
	struct stat st;
	if (::fstat(fd, &st) != 0)
		std::abort();
	return st.st_dev;
}
inline dev_t rdev_of(int fd)
{
	struct stat st;
	if (::fstat(fd, &st) != 0)
		std::abort();
	return st.st_rdev;
}

} // namespace pmem2::test
