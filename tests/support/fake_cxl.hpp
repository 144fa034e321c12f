// A fake CXL platform in a fake sysfs root, laid out as the kernel lays it
// out (drivers/cxl, Documentation/ABI/testing/sysfs-bus-cxl and
// sysfs-bus-nvdimm): the CXL root port ACPI0017:00/root0 with a root
// decoder holding CXL regions, memory devices memK on PCI functions with
// their cxl_nvdimm child pmemK, and the nvdimm bridge whose nd bus carries
// the nd regions and the DIMMs (nmemM with a cxl/ directory) that the
// cxl_pmem driver registers for persistent regions.
#pragma once

#include <string>

#include <sys/types.h>

#include "support/fake_sysfs.hpp"

namespace pmem2::test {

class fake_cxl {
public:
	fake_root root;

	static constexpr const char *port = "/sys/devices/platform/ACPI0017:00/root0";
	static std::string bus_rel() { return std::string(port) + "/nvdimm-bridge0/ndbus1"; }
	static std::string region_rel(unsigned n) { return bus_rel() + "/region" + std::to_string(n); }
	static std::string cxl_region_rel(unsigned z)
	{
		return std::string(port) + "/decoder0.0/region" + std::to_string(z);
	}
	static std::string memdev_rel(unsigned k)
	{
		return "/sys/devices/pci0000:0c/0000:0c:00.0/0000:0d:0" + std::to_string(k) + ".0/mem" +
			std::to_string(k);
	}
	static std::string nmem_rel(unsigned m) { return bus_rel() + "/nmem" + std::to_string(m); }

	// CXL pmem region z at `resource` and the nd region n the cxl_pmem
	// bridge made of it (same address range, no deep_flush file: the tests
	// add one when they need it).
	void add_region(unsigned n, unsigned z, const std::string &resource = "0x4080000000\n",
		const std::string &domain = "\n")
	{
		const std::string c = cxl_region_rel(z);
		root.write(c + "/resource", resource);
		root.write(c + "/size", "536870912\n");
		root.write(c + "/mode", "pmem\n");
		root.write(c + "/interleave_ways", "2\n");
		root.write(c + "/interleave_granularity", "256\n");
		root.mkdirs(c + "/pmem_region" + std::to_string(z));
		root.symlink(root.path(c), "/sys/bus/cxl/devices/region" + std::to_string(z));
		root.symlink(root.path(c + "/pmem_region" + std::to_string(z)),
			"/sys/bus/cxl/devices/pmem_region" + std::to_string(z));
		const std::string r = region_rel(n);
		root.write(r + "/numa_node", "1\n");
		root.write(r + "/persistence_domain", domain);
		root.write(r + "/resource", resource);
		root.write(r + "/size", "536870912\n");
		root.symlink(root.path(r), "/sys/bus/nd/devices/region" + std::to_string(n));
	}
	void set(unsigned n, const std::string &attr, const std::string &content)
	{
		root.write(region_rel(n) + "/" + attr, content);
	}
	// Memory device memK (serial as the kernel prints it, null: absent)
	// and its cxl_nvdimm child pmemK.
	void add_memdev(unsigned k, const char *serial)
	{
		const std::string d = memdev_rel(k);
		root.write(d + "/numa_node", "1\n");
		root.write(d + "/pmem/size", "268435456\n");
		root.write(d + "/ram/size", "0\n");
		if (serial)
			root.write(d + "/serial", std::string(serial) + "\n");
		root.mkdirs(d + "/pmem" + std::to_string(k));
		root.symlink(root.path(d), "/sys/bus/cxl/devices/mem" + std::to_string(k));
		root.symlink(root.path(d + "/pmem" + std::to_string(k)), "/sys/bus/cxl/devices/pmem" + std::to_string(k));
	}
	// DIMM nmemM as mapping idx of nd region n, provided by pmemK; null id
	// or dsc: attribute absent.
	void add_dimm(unsigned n, unsigned idx, unsigned m, unsigned k, const char *id, const char *dsc)
	{
		const std::string name = "nmem" + std::to_string(m);
		set(n, "mapping" + std::to_string(idx), name + ",0,268435456," + std::to_string(idx) + "\n");
		const std::string d = nmem_rel(m);
		root.write(d + "/cxl/provider", "pmem" + std::to_string(k) + "\n");
		if (id)
			root.write(d + "/cxl/id", std::string(id) + "\n");
		if (dsc)
			root.write(d + "/cxl/dirty_shutdown", std::string(dsc) + "\n");
		root.symlink(root.path(d), "/sys/bus/nd/devices/" + name);
	}
	// The block device `dev` becomes pmem<n>, a namespace of nd region n.
	std::string block_on_region(dev_t dev, unsigned n)
	{
		return fake_nvdimm::block_under(root, region_rel(n), dev, n);
	}
	// The character device `rdev` becomes dax<n>.0 of nd region n.
	void devdax_on_region(dev_t rdev, unsigned n, std::size_t size, std::size_t align)
	{
		fake_nvdimm::devdax_under(root, region_rel(n), rdev, n, size, align);
	}
};

} // namespace pmem2::test
