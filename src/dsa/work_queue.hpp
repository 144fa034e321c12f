// DSA work queues as the kernel's idxd driver shows them in sysfs
// (/sys/bus/dsa/devices/wqD.Q beside its device dsaD), and whether this
// process can submit to one: enabled, of type "user", its character device
// /dev/dsa/wqD.Q openable for writing, and the CPU able to submit (MOVDIR64B
// for a dedicated queue, ENQCMD for a shared one). Read from sysfs directly;
// nothing here needs libaccel-config.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pmem2::dsa {

enum class wq_mode { dedicated, shared, unknown };

struct work_queue {
	std::string name;	// "wq0.0"
	std::string device;	// "dsa0"
	std::string dev_path;	// "/dev/dsa/wq0.0" (under the root the scan was given)
	wq_mode mode = wq_mode::unknown;
	std::string type;	// "user", "kernel", "mdev", "none"
	std::string state;	// "enabled", "disabled", ...
	unsigned size = 0;	// entries
	std::uint64_t max_transfer_size = 0;
	unsigned max_batch_size = 0;
	int numa_node = -1;	// -1 when the device does not say
};

// The CPU's submission instructions (CPUID.(7,0):ECX bits 28 and 29) and
// its user-mode wait (WAITPKG: UMONITOR/UMWAIT, bit 5).
struct cpu_features {
	bool movdir64b = false;
	bool enqcmd = false;
	bool waitpkg = false;
};
cpu_features this_cpu() noexcept;

// The DSA work queues of the real system (root "") as libaccel-config
// lists them when it can be loaded, else as scan("") reads them; under any
// other root, scan(root). `source` says which answered ("libaccel-config",
// "sysfs").
std::vector<work_queue> discover(std::string_view root, std::string *source = nullptr);

// Every DSA work queue under `root` ("" is the real system; otherwise a
// directory holding sys/bus/dsa/devices and dev/dsa), in name order.
// Queues of other devices on the bus (IAA's iaxN) are not listed. A bus
// directory that does not exist gives an empty list.
std::vector<work_queue> scan(std::string_view root);

// Why this process cannot submit to `q` on a CPU with `cpu`; "" when it can.
std::string unusable_reason(const work_queue &q, const cpu_features &cpu);

// The usable queues of `queues` that `take` (when given) also accepts,
// e.g. by opening its portal, in order, at most `most` of them; in `why`
// the reason each queue before the last one taken was passed over ("no
// DSA work queue" when there is none; "NAME: " and take's own reason when
// take refused it).
using take_fn = std::function<bool(const work_queue &, std::string &why)>;
std::vector<const work_queue *> take_usable(const std::vector<work_queue> &queues,
	const cpu_features &cpu, std::string &why, const take_fn &take = {},
	std::size_t most = SIZE_MAX);

} // namespace pmem2::dsa
