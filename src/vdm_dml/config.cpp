// The config setters and the thread's last error message.
#include "vdm_dml/config.hpp"

#include <cerrno>
#include <cstdio>
#include <new>

#include "common/export.hpp"

namespace pmem2::vdm_dml {
namespace {

thread_local char last_error[1024];

// "wqD.Q": what the idxd driver names a work queue.
bool is_queue_name(const std::string &s) noexcept
{
	std::size_t i = 2, digits = 0;
	if (s.compare(0, 2, "wq") != 0)
		return false;
	for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
		++digits;
	if (digits == 0 || i == s.size() || s[i] != '.')
		return false;
	digits = 0;
	for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
		++digits;
	return digits != 0 && i == s.size();
}

int invalid(const std::string &why) noexcept
{
	fail(EINVAL, why);
	return -EINVAL;
}

} // namespace

void fail(int err, const std::string &why) noexcept
{
	std::snprintf(last_error, sizeof(last_error), "%s", why.c_str());
	errno = err;
}

} // namespace pmem2::vdm_dml

using pmem2::vdm_dml::invalid;
using pmem2::vdm_dml::is_queue_name;

PMEM2_EXPORT const char *data_mover_dml_errormsg(void)
{
	return pmem2::vdm_dml::last_error;
}

PMEM2_EXPORT int data_mover_dml_config_new(struct data_mover_dml_config **cfg)
{
	if (cfg == nullptr)
		return invalid("data_mover_dml_config_new: cfg is NULL");
	*cfg = new (std::nothrow) data_mover_dml_config;
	if (*cfg == nullptr) {
		pmem2::vdm_dml::fail(ENOMEM, "data_mover_dml_config_new: out of memory");
		return -ENOMEM;
	}
	return 0;
}

PMEM2_EXPORT void data_mover_dml_config_delete(struct data_mover_dml_config **cfg)
{
	if (cfg == nullptr)
		return;
	delete *cfg;
	*cfg = nullptr;
}

PMEM2_EXPORT int data_mover_dml_config_set_type(struct data_mover_dml_config *cfg,
	enum data_mover_dml_type type)
{
	if (cfg == nullptr)
		return invalid("data_mover_dml_config_set_type: cfg is NULL");
	if (type != DATA_MOVER_DML_SOFTWARE && type != DATA_MOVER_DML_HARDWARE &&
	    type != DATA_MOVER_DML_AUTO)
		return invalid("data_mover_dml_config_set_type: " + std::to_string(static_cast<int>(type)) +
			" is not a data_mover_dml_type");
	cfg->type = type;
	return 0;
}

PMEM2_EXPORT int data_mover_dml_config_set_queues(struct data_mover_dml_config *cfg,
	const char *names)
{
	if (cfg == nullptr)
		return invalid("data_mover_dml_config_set_queues: cfg is NULL");
	std::vector<std::string> list;
	const std::string all = names != nullptr ? names : "";
	for (std::size_t at = 0; at < all.size();) {
		std::size_t end = all.find(',', at);
		if (end == std::string::npos)
			end = all.size();
		std::string name = all.substr(at, end - at);
		const std::size_t b = name.find_first_not_of(" \t");
		const std::size_t e = name.find_last_not_of(" \t");
		name = b == std::string::npos ? "" : name.substr(b, e - b + 1);
		if (!is_queue_name(name))
			return invalid("data_mover_dml_config_set_queues: \"" + name +
				"\" is not a work queue name (wqD.Q)");
		list.push_back(name);
		at = end + 1;
		if (end + 1 == all.size())
			return invalid("data_mover_dml_config_set_queues: the list ends with a comma");
	}
	cfg->queues = std::move(list);
	return 0;
}

PMEM2_EXPORT int data_mover_dml_config_set_numa(struct data_mover_dml_config *cfg, int numa)
{
	if (cfg == nullptr)
		return invalid("data_mover_dml_config_set_numa: cfg is NULL");
	if (numa < DATA_MOVER_DML_NUMA_DESTINATION)
		return invalid("data_mover_dml_config_set_numa: " + std::to_string(numa) +
			" is neither a node nor a DATA_MOVER_DML_NUMA_* policy");
	cfg->numa = numa;
	return 0;
}

PMEM2_EXPORT int data_mover_dml_config_set_threshold(struct data_mover_dml_config *cfg,
	size_t bytes)
{
	if (cfg == nullptr)
		return invalid("data_mover_dml_config_set_threshold: cfg is NULL");
	cfg->threshold = bytes;
	return 0;
}

PMEM2_EXPORT int data_mover_dml_config_set_wait(struct data_mover_dml_config *cfg,
	enum data_mover_dml_wait wait)
{
	if (cfg == nullptr)
		return invalid("data_mover_dml_config_set_wait: cfg is NULL");
	if (wait != DATA_MOVER_DML_WAIT_AUTO && wait != DATA_MOVER_DML_WAIT_UMWAIT &&
	    wait != DATA_MOVER_DML_WAIT_PAUSE && wait != DATA_MOVER_DML_WAIT_YIELD)
		return invalid("data_mover_dml_config_set_wait: " + std::to_string(static_cast<int>(wait)) +
			" is not a data_mover_dml_wait");
	cfg->wait = wait;
	return 0;
}
