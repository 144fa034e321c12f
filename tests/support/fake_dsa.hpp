// A fake DSA platform in a fake_tree: devices dsaN and work queues wqN.Q
// under /sys/bus/dsa/devices with the attributes the idxd driver shows, and
// their /dev/dsa nodes (plain files: opening one is all discovery does).
#pragma once

#include <string>

#include "support/fake_tree.hpp"

namespace pmem2::test {

struct fake_wq {
	std::string mode = "dedicated";
	std::string type = "user";
	std::string state = "enabled";
	unsigned size = 128;
	unsigned long long max_transfer_size = 2147483648ULL;
	unsigned max_batch_size = 1024;
	bool dev_node = true;	// /dev/dsa/wqN.Q exists
};

class fake_dsa {
public:
	fake_tree tree;

	void add_device(unsigned n, const std::string &prefix = "dsa", const char *numa = "0\n")
	{
		const std::string d = bus() + prefix + std::to_string(n);
		tree.mkdirs(d);
		if (numa != nullptr)
			tree.write(d + "/numa_node", numa);
	}
	void add_wq(unsigned n, unsigned q, const fake_wq &w = {})
	{
		const std::string name = "wq" + std::to_string(n) + "." + std::to_string(q);
		const std::string d = bus() + name;
		tree.write(d + "/mode", w.mode + "\n");
		tree.write(d + "/type", w.type + "\n");
		tree.write(d + "/state", w.state + "\n");
		tree.write(d + "/size", std::to_string(w.size) + "\n");
		tree.write(d + "/max_transfer_size", std::to_string(w.max_transfer_size) + "\n");
		tree.write(d + "/max_batch_size", std::to_string(w.max_batch_size) + "\n");
		if (w.dev_node)
			tree.write("/dev/dsa/" + name, "");
	}
	static std::string bus() { return "/sys/bus/dsa/devices/"; }
};

} // namespace pmem2::test
