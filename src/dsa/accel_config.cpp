#include "dsa/accel_config.hpp"

#include <accel-config/libaccel_config.h>
#include <dlfcn.h>

#include <algorithm>

namespace pmem2::dsa {
namespace {

// The functions used, typed from the library's own header; resolved with
// dlsym, never linked.
struct api {
	decltype(&accfg_new) new_ctx;
	decltype(&accfg_unref) unref;
	decltype(&accfg_device_get_first) device_first;
	decltype(&accfg_device_get_next) device_next;
	decltype(&accfg_device_get_type) device_type;
	decltype(&accfg_device_get_devname) device_name;
	decltype(&accfg_device_get_numa_node) device_numa;
	decltype(&accfg_wq_get_first) wq_first;
	decltype(&accfg_wq_get_next) wq_next;
	decltype(&accfg_wq_get_devname) wq_name;
	decltype(&accfg_wq_get_mode) wq_mode_of;
	decltype(&accfg_wq_get_type) wq_type;
	decltype(&accfg_wq_get_state) wq_state;
	decltype(&accfg_wq_get_size) wq_size;
	decltype(&accfg_wq_get_max_transfer_size) wq_max_transfer;
	decltype(&accfg_wq_get_max_batch_size) wq_max_batch;
	decltype(&accfg_wq_get_user_dev_path) wq_dev_path;
};

template <class F>
bool resolve(void *h, const char *name, F &out, std::string &why)
{
	out = reinterpret_cast<F>(dlsym(h, name));
	if (out == nullptr)
		why = std::string("lacks ") + name;
	return out != nullptr;
}

bool resolve_all(void *h, api &a, std::string &why)
{
	return resolve(h, "accfg_new", a.new_ctx, why) && resolve(h, "accfg_unref", a.unref, why) &&
		resolve(h, "accfg_device_get_first", a.device_first, why) &&
		resolve(h, "accfg_device_get_next", a.device_next, why) &&
		resolve(h, "accfg_device_get_type", a.device_type, why) &&
		resolve(h, "accfg_device_get_devname", a.device_name, why) &&
		resolve(h, "accfg_device_get_numa_node", a.device_numa, why) &&
		resolve(h, "accfg_wq_get_first", a.wq_first, why) &&
		resolve(h, "accfg_wq_get_next", a.wq_next, why) &&
		resolve(h, "accfg_wq_get_devname", a.wq_name, why) &&
		resolve(h, "accfg_wq_get_mode", a.wq_mode_of, why) &&
		resolve(h, "accfg_wq_get_type", a.wq_type, why) &&
		resolve(h, "accfg_wq_get_state", a.wq_state, why) &&
		resolve(h, "accfg_wq_get_size", a.wq_size, why) &&
		resolve(h, "accfg_wq_get_max_transfer_size", a.wq_max_transfer, why) &&
		resolve(h, "accfg_wq_get_max_batch_size", a.wq_max_batch, why) &&
		resolve(h, "accfg_wq_get_user_dev_path", a.wq_dev_path, why);
}

const char *state_name(accfg_wq_state s)
{
	switch (s) {
	case ACCFG_WQ_DISABLED: return "disabled";
	case ACCFG_WQ_ENABLED: return "enabled";
	case ACCFG_WQ_QUIESCING: return "quiescing";
	case ACCFG_WQ_LOCKED: return "locked";
	default: return "unknown";
	}
}

const char *type_name(accfg_wq_type t)
{
	switch (t) {
	case ACCFG_WQT_KERNEL: return "kernel";
	case ACCFG_WQT_USER: return "user";
	default: return "none";
	}
}

} // namespace

std::optional<std::vector<work_queue>> accel_config_scan(std::string &why, const char *library)
{
	void *h = dlopen(library, RTLD_NOW | RTLD_LOCAL);
	if (h == nullptr) {
		const char *e = dlerror();
		why = std::string(library) + ": " + (e != nullptr ? e : "cannot be loaded");
		return std::nullopt;
	}
	api a{};
	std::string missing;
	if (!resolve_all(h, a, missing)) {
		why = std::string(library) + " " + missing;
		dlclose(h);
		return std::nullopt;
	}
	accfg_ctx *ctx = nullptr;
	if (a.new_ctx(&ctx) != 0 || ctx == nullptr) {
		why = std::string(library) + ": accfg_new failed";
		dlclose(h);
		return std::nullopt;
	}
	std::vector<work_queue> out;
	for (accfg_device *d = a.device_first(ctx); d != nullptr; d = a.device_next(d)) {
		if (a.device_type(d) != ACCFG_DEVICE_DSA)
			continue;
		const char *dname = a.device_name(d);
		const int numa = a.device_numa(d);
		for (accfg_wq *w = a.wq_first(d); w != nullptr; w = a.wq_next(w)) {
			work_queue q;
			const char *wname = a.wq_name(w);
			q.name = wname != nullptr ? wname : "";
			q.device = dname != nullptr ? dname : "";
			const accfg_wq_mode m = a.wq_mode_of(w);
			q.mode = m == ACCFG_WQ_DEDICATED ? wq_mode::dedicated
				: m == ACCFG_WQ_SHARED  ? wq_mode::shared
							: wq_mode::unknown;
			q.type = type_name(a.wq_type(w));
			q.state = state_name(a.wq_state(w));
			q.size = static_cast<unsigned>(a.wq_size(w));
			q.max_transfer_size = a.wq_max_transfer(w);
			q.max_batch_size = a.wq_max_batch(w);
			q.numa_node = numa;
			char path[4096];
			q.dev_path = a.wq_dev_path(w, path, sizeof(path)) == 0 ? path : "/dev/dsa/" + q.name;
			out.push_back(std::move(q));
		}
	}
	a.unref(ctx);
	dlclose(h);
	std::sort(out.begin(), out.end(),
		[](const work_queue &x, const work_queue &y) { return x.name < y.name; });
	return out;
}

} // namespace pmem2::dsa
