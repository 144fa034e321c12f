#include "vdm_dml/data_mover_dml.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>

#include "dsa/mmio_portal.hpp"
#include "durable/protocol.hpp"
#include "miniasync/ops.hpp"

namespace pmem2::vdm_dml {
namespace {

std::string sysfs_root;
std::optional<dsa::cpu_features> forced_cpu;
portal_opener opener = dsa::open_mmio_portal;

thread_local char last_error[1024];

void fail(int err, const std::string &why) noexcept
{
	std::snprintf(last_error, sizeof(last_error), "%s", why.c_str());
	errno = err;
}

data_mover_dml *mover_of(vdm *v) noexcept
{
	return reinterpret_cast<data_mover_dml *>(v);	// base is the first member
}

// ---- the CPU path --------------------------------------------------------

void *cpu_op_new(vdm *v, const vdm_operation_type) noexcept
{
	return v;
}

int cpu_op_start(void *, const vdm_operation *op, future_notifier *n) noexcept
{
	if (n != nullptr)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	const std::size_t len = masync::op_length(*op);
	masync::run_plain(*op, 0, len);
	if ((durable::flags_of(*op) & VDM_F_MEM_DURABLE) && op->type != VDM_OPERATION_FLUSH && len != 0)
		masync::write_back(masync::op_dest(*op), len);
	return 0;
}

future_state cpu_op_check(void *, const vdm_operation *) noexcept
{
	return FUTURE_STATE_COMPLETE;
}

// The device's status of a failed operation is kept in the operation's
// padding word, which data_mover_dml_status reads: 0 for success.
void keep_status(const vdm_operation *op, std::uint8_t status) noexcept
{
	const_cast<vdm_operation *>(op)->padding = status;
}

void cpu_op_delete(void *, const vdm_operation *op, vdm_operation_output *out) noexcept
{
	keep_status(op, 0);
	masync::fill_output(*op, VDM_SUCCESS, out);
}

// ---- a work queue ----------------------------------------------------------

// A job's storage, taken at op_new (an allocation failure is the future's
// VDM_ERROR_OUT_OF_MEMORY) and built at op_start, when the operation is
// known.
struct slot {
	alignas(dsa::job) unsigned char storage[sizeof(dsa::job)];
	data_mover_dml *mover;
	bool started = false;	// a job was built (false: nothing, or the CPU ran it)
	dsa::job *get() noexcept { return std::launder(reinterpret_cast<dsa::job *>(storage)); }
};

void *wq_op_new(vdm *v, const vdm_operation_type) noexcept
{
	auto *s = new (std::nothrow) slot;
	if (s != nullptr)
		s->mover = mover_of(v);
	return s;
}

int wq_op_start(void *data, const vdm_operation *op, future_notifier *n) noexcept
{
	if (n != nullptr)
		n->notifier_used = FUTURE_NOTIFIER_NONE;	// polled, no waker
	auto *s = static_cast<slot *>(data);
	if (masync::op_length(*op) < s->mover->cpu_threshold)
		return cpu_op_start(nullptr, op, nullptr);
	new (s->storage) dsa::job(*op, s->mover->link);
	s->started = true;
	s->get()->poll();
	return 0;
}

future_state wq_op_check(void *data, const vdm_operation *) noexcept
{
	auto *s = static_cast<slot *>(data);
	if (!s->started)
		return FUTURE_STATE_COMPLETE;
	return s->get()->poll() == dsa::job_state::running ? FUTURE_STATE_RUNNING
							    : FUTURE_STATE_COMPLETE;
}

void wq_op_delete(void *data, const vdm_operation *op, vdm_operation_output *out) noexcept
{
	auto *s = static_cast<slot *>(data);
	vdm_operation_result r = VDM_SUCCESS;
	std::uint8_t status = 0;
	if (s->started) {
		// A future dropped while its descriptor is in flight: the device
		// still writes the record, so the job must end before its memory
		// goes.
		dsa::job_state st;
		while ((st = s->get()->poll()) == dsa::job_state::running)
			;
		if (st == dsa::job_state::failed) {
			r = VDM_ERROR_JOB_CORRUPTED;
			status = s->get()->failed_status();
		}
		s->get()->~job();
	}
	keep_status(op, status);
	masync::fill_output(*op, r, out);
	delete s;
}

int dml_has_property(void *, future_property property) noexcept
{
	return property == FUTURE_PROPERTY_ASYNC;
}

constexpr unsigned dml_caps = VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT;
constexpr vdm cpu_vdm = {cpu_op_new, cpu_op_delete, cpu_op_start, cpu_op_check, dml_caps,
	dml_has_property};
constexpr vdm wq_vdm = {wq_op_new, wq_op_delete, wq_op_start, wq_op_check, dml_caps,
	dml_has_property};

// The first usable queue whose portal opens, into `d`; false with the
// reasons in `why` otherwise.
bool attach_queue(data_mover_dml &d, std::string &why)
{
	const auto queues = dsa::discover(sysfs_root);
	const auto cpu = forced_cpu.value_or(dsa::this_cpu());
	const dsa::work_queue *q = dsa::first_usable(queues, cpu, why,
		[&d](const dsa::work_queue &wq, std::string &r) {
			d.portal = opener(wq, r);
			return d.portal != nullptr;
		});
	if (q == nullptr)
		return false;
	d.queue = *q;
	d.link.port = d.portal.get();
	d.link.dedicated = q->mode == dsa::wq_mode::dedicated;
	d.link.size = q->size;
	d.link.max_transfer_size = q->max_transfer_size;
	return true;
}

// The AUTO threshold: PMEM2_DSA_CPU_THRESHOLD when it is a number, else
// the default.
std::size_t cpu_threshold() noexcept
{
	const char *e = std::getenv("PMEM2_DSA_CPU_THRESHOLD");
	if (e == nullptr || *e == '\0')
		return default_cpu_threshold;
	char *end = nullptr;
	errno = 0;
	const unsigned long long v = std::strtoull(e, &end, 0);
	if (errno != 0 || *end != '\0')
		return default_cpu_threshold;
	return static_cast<std::size_t>(v);
}

} // namespace

void set_sysfs_root(std::string_view root)
{
	sysfs_root = root;
}

void set_cpu_features(const dsa::cpu_features *features)
{
	if (features != nullptr)
		forced_cpu = *features;
	else
		forced_cpu.reset();
}

void set_portal_opener(portal_opener open)
{
	opener = open != nullptr ? open : dsa::open_mmio_portal;
}

} // namespace pmem2::vdm_dml

using namespace pmem2;

PMEM2_EXPORT struct data_mover_dml *data_mover_dml_new(enum data_mover_dml_type type)
{
	if (type != DATA_MOVER_DML_SOFTWARE && type != DATA_MOVER_DML_HARDWARE &&
	    type != DATA_MOVER_DML_AUTO) {
		vdm_dml::fail(EINVAL, "data_mover_dml_new: " + std::to_string(static_cast<int>(type)) +
			" is not a data_mover_dml_type");
		return nullptr;
	}
	auto *d = new (std::nothrow) data_mover_dml{vdm_dml::cpu_vdm};
	if (d == nullptr) {
		vdm_dml::fail(ENOMEM, "data_mover_dml_new: out of memory");
		return nullptr;
	}
	if (type == DATA_MOVER_DML_SOFTWARE)
		return d;
	std::string why;
	if (vdm_dml::attach_queue(*d, why)) {
		d->base = vdm_dml::wq_vdm;
		d->path = DATA_MOVER_DML_HARDWARE;
		if (type == DATA_MOVER_DML_AUTO)
			d->cpu_threshold = vdm_dml::cpu_threshold();
	} else if (type == DATA_MOVER_DML_HARDWARE) {
		delete d;
		vdm_dml::fail(ENODEV, "data_mover_dml_new(DATA_MOVER_DML_HARDWARE): " + why);
		return nullptr;
	}
	return d;
}

PMEM2_EXPORT struct vdm *data_mover_dml_get_vdm(struct data_mover_dml *dmd)
{
	return dmd != nullptr ? &dmd->base : nullptr;
}

PMEM2_EXPORT void data_mover_dml_delete(struct data_mover_dml *dmd)
{
	delete dmd;
}

PMEM2_EXPORT const char *data_mover_dml_errormsg(void)
{
	return vdm_dml::last_error;
}

PMEM2_EXPORT enum data_mover_dml_type data_mover_dml_get_path(const struct data_mover_dml *dmd)
{
	return dmd != nullptr ? dmd->path : DATA_MOVER_DML_SOFTWARE;
}

PMEM2_EXPORT unsigned data_mover_dml_status(const struct vdm_operation_future *f)
{
	return f != nullptr ? f->data.operation.padding & 0xffu : 0;
}
