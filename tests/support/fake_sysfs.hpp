// Fake sysfs trees for libpmem2: a fake_tree (support/fake_tree.hpp) that
// libpmem2 reads as its sysfs and /dev root (os::set_sysfs_root), and on it
// a fake NVDIMM platform: regions, DIMMs, namespaces and device DAX nodes.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "os/os.hpp"
#include "support/fake_tree.hpp"

namespace pmem2::test {

// A fake tree that libpmem2 reads as its sysfs and /dev root
// (os::set_sysfs_root) while it lives.
class fake_root : public fake_tree {
public:
	fake_root() { os::set_sysfs_root(root()); }
	~fake_root() { os::set_sysfs_root(""); }
};

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
	// Region n; an eADR platform's regions report domain "cpu_cache\n".
	void add_region(unsigned n, const std::string &numa = "0\n",
		const std::string &domain = "memory_controller\n")
	{
		root.mkdirs(region_rel(n));
		root.write(region_rel(n) + "/numa_node", numa);
		root.write(region_rel(n) + "/persistence_domain", domain);
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
	void block_on_region(dev_t dev, unsigned n) { block_under(root, region_rel(n), dev, n); }
	// pmem<n> under the region directory `region` of any tree; its path.
	static std::string block_under(fake_root &root, const std::string &region, dev_t dev, unsigned n)
	{
		const std::string d = region + "/namespace" + std::to_string(n) + ".0/block/pmem" + std::to_string(n);
		root.mkdirs(d);
		root.symlink(root.path(d), node("block", dev));
		return d;
	}
	// The character device `rdev` becomes dax<n>.0 of region n.
	void devdax_on_region(dev_t rdev, unsigned n, std::size_t size, std::size_t align)
	{
		devdax_under(root, region_rel(n), rdev, n, size, align);
	}
	// dax<n>.0 under the region directory `region` of any tree.
	static void devdax_under(fake_root &root, const std::string &region, dev_t rdev, unsigned n,
		std::size_t size, std::size_t align)
	{
		const std::string nd = region + "/dax" + std::to_string(n) + ".0";
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
