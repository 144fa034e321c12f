#include "vdm_dml/data_mover_dml.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>

#include <libpmem2/base.h>

#include "common/spin.hpp"
#include "dsa/mmio_portal.hpp"
#include "durable/protocol.hpp"
#include "durable/run.hpp"
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

vdm_operation_data *op_data_of(const vdm_operation *op) noexcept
{
	// Our futures hand op_start &fdata->operation (documented in vdm.h).
	return reinterpret_cast<vdm_operation_data *>(
		reinterpret_cast<char *>(const_cast<vdm_operation *>(op)) -
		offsetof(vdm_operation_data, operation));
}

// The slot of a started operation; nullptr while the private pointer is
// still op_new's token (the mover's vdm): a plain operation the CPU ran.
op_slot *slot_of(void *data, const vdm_operation *op) noexcept
{
	return data == static_cast<void *>(op_data_of(op)->vdm) ? nullptr
								: static_cast<op_slot *>(data);
}

// A plain operation on the CPU, in full; a durable one (VDM_F_MEM_DURABLE)
// written back and fenced.
void run_on_cpu(const vdm_operation &op) noexcept
{
	const std::size_t len = masync::op_length(op);
	masync::run_plain(op, 0, len);
	if ((durable::flags_of(op) & VDM_F_MEM_DURABLE) && op.type != VDM_OPERATION_FLUSH && len != 0)
		masync::write_back(masync::op_dest(op), len);
}

// The device's status of a failed plain operation is kept in the
// operation's padding word, which data_mover_dml_status reads: 0 for
// success. (A durable operation's padding holds its protocol status.)
void keep_status(const vdm_operation *op, std::uint8_t status) noexcept
{
	const_cast<vdm_operation *>(op)->padding = status;
}

// ---- durable operations ----------------------------------------------------

// The end of a durable operation: its status, the guard left, then done
// (the poller sees the phase with acquire order).
void finish_request(op_slot &s, std::int32_t status) noexcept
{
	s.status = status;
	s.guard->svc->leave(s.guard);
	s.state.store(phase::done, std::memory_order_release);
}

// Hands the rest of a durable operation on a PAGE map to the completer; if
// its thread cannot start, the work runs here.
void hand_over(data_mover_dml &d, op_slot &s) noexcept
{
	s.state.store(phase::finishing, std::memory_order_relaxed);
	if (!d.finisher.post(s))
		finish_on_completer(s);
}

// The CPU route of a durable operation: libpmem2's kernels, durable when
// they return.
std::int32_t run_durable_on_cpu(const op_slot &s) noexcept
{
	if (masync::op_length(s.op) == 0)
		return durable::status_ok;
	return durable::run_range(s.op, durable::whole_op{}, s.req, *s.guard->svc);
}

void start_request(data_mover_dml &d, op_slot &s) noexcept
{
	const durable::request r = durable::unpack(durable::flags_of(s.op));
	durable::map_guard *g = durable::guard_of(s.op);
	if (g == nullptr || !g->svc->enter(g, r.gen)) {
		s.status = durable::status_refused;	// the map is gone: nothing written
		s.state.store(phase::done, std::memory_order_relaxed);
		return;
	}
	s.guard = g;
	s.req = r;
	const std::size_t len = masync::op_length(s.op);
	if (d.portal == nullptr || len < d.cpu_threshold || len == 0 || dsa::overlapping_move(s.op)) {
		if (r.granularity == PMEM2_GRANULARITY_PAGE)
			hand_over(d, s);
		else
			finish_request(s, run_durable_on_cpu(s));
		return;
	}
	new (s.storage) dsa::job(s.op, d.link);
	s.has_job = true;
	s.job()->poll();
}

// A durable operation's job has ended.
future_state end_request(data_mover_dml &d, op_slot &s) noexcept
{
	if (s.failed) {
		finish_request(s, -EIO);
		return FUTURE_STATE_COMPLETE;
	}
	if (s.req.granularity == PMEM2_GRANULARITY_PAGE) {
		hand_over(d, s);
		return s.state.load(std::memory_order_acquire) == phase::done ? FUTURE_STATE_COMPLETE
									       : FUTURE_STATE_RUNNING;
	}
	finish_request(s, durable::status_ok);
	return FUTURE_STATE_COMPLETE;
}

// ---- the vdm -------------------------------------------------------------

void *dml_op_new(vdm *v, const vdm_operation_type) noexcept
{
	return v;	// a token; a slot is taken at start when one is needed
}

int dml_op_start(void *token, const vdm_operation *op, future_notifier *n) noexcept
{
	if (n != nullptr)
		n->notifier_used = FUTURE_NOTIFIER_NONE;	// polled, no waker
	data_mover_dml &d = *mover_of(static_cast<vdm *>(token));
	const bool request = durable::is_request(durable::flags_of(*op));
	if (!request && (d.portal == nullptr || masync::op_length(*op) < d.cpu_threshold)) {
		run_on_cpu(*op);
		return 0;
	}
	op_slot *s = d.slots.take();
	if (s == nullptr)
		return 1;	// no memory for a slot now: the future stays idle
	s->op = *op;
	op_data_of(op)->data = s;
	if (request) {
		start_request(d, *s);
	} else {
		new (s->storage) dsa::job(s->op, d.link);
		s->has_job = true;
		s->job()->poll();
	}
	return 0;
}

future_state dml_op_check(void *data, const vdm_operation *op) noexcept
{
	op_slot *s = slot_of(data, op);
	if (s == nullptr)
		return FUTURE_STATE_COMPLETE;
	switch (s->state.load(std::memory_order_acquire)) {
	case phase::done: return FUTURE_STATE_COMPLETE;
	case phase::finishing: return FUTURE_STATE_RUNNING;
	case phase::running: break;
	}
	const dsa::job_state js = s->job()->poll();
	if (js == dsa::job_state::running)
		return FUTURE_STATE_RUNNING;
	if (js == dsa::job_state::failed) {
		s->failed = true;
		s->dev_status = s->job()->failed_status();
	}
	if (s->guard != nullptr)
		return end_request(*mover_of(op_data_of(op)->vdm), *s);
	s->state.store(phase::done, std::memory_order_relaxed);
	return FUTURE_STATE_COMPLETE;
}

void dml_op_delete(void *data, const vdm_operation *op, vdm_operation_output *out) noexcept
{
	op_slot *s = slot_of(data, op);
	if (s == nullptr) {
		keep_status(op, 0);
		masync::fill_output(*op, VDM_SUCCESS, out);
		return;
	}
	if (s->has_job)
		s->job()->~job();
	vdm_operation_result r;
	if (durable::is_request(durable::flags_of(*op))) {
		durable::set_status(const_cast<vdm_operation &>(*op), s->status);
		r = s->status == durable::status_ok ? VDM_SUCCESS : VDM_ERROR_JOB_CORRUPTED;
	} else {
		keep_status(op, s->dev_status);
		r = s->failed ? VDM_ERROR_JOB_CORRUPTED : VDM_SUCCESS;
	}
	masync::fill_output(*op, r, out);
	mover_of(op_data_of(op)->vdm)->slots.give(s);
}

int dml_has_property(void *, future_property property) noexcept
{
	return property == FUTURE_PROPERTY_ASYNC;
}

constexpr unsigned dml_caps = VDM_F_MEM_DURABLE | VDM_F_NO_CACHE_HINT;
constexpr vdm dml_vdm = {dml_op_new, dml_op_delete, dml_op_start, dml_op_check, dml_caps,
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

void finish_on_completer(op_slot &s) noexcept
{
	std::int32_t st;
	if (s.has_job)
		st = s.guard->svc->persist(masync::op_dest(s.op), masync::op_length(s.op), s.req);
	else
		st = run_durable_on_cpu(s);
	finish_request(s, st);
}

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
	auto *d = new (std::nothrow) data_mover_dml(vdm_dml::dml_vdm);
	if (d == nullptr) {
		vdm_dml::fail(ENOMEM, "data_mover_dml_new: out of memory");
		return nullptr;
	}
	if (type == DATA_MOVER_DML_SOFTWARE)
		return d;
	std::string why;
	if (vdm_dml::attach_queue(*d, why)) {
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

data_mover_dml::~data_mover_dml()
{
	using namespace pmem2::vdm_dml;
	// Futures dropped while running: their jobs end first (the device still
	// writes their records), then their guards are left, so that a map
	// delete waiting for them returns. Slots with the completer are its to
	// finish: it stops (member destruction, after this body) only once its
	// queue is empty, and the pool outlives it.
	slots.for_each_in_use([](op_slot &s) {
		if (s.state.load(std::memory_order_acquire) != phase::running)
			return;
		std::int32_t st = durable::status_ok;
		if (s.has_job) {
			dsa::job_state js;
			while ((js = s.job()->poll()) == dsa::job_state::running)
				pmem2::cpu_relax();
			if (js == dsa::job_state::failed)
				st = -EIO;
			s.job()->~job();
			s.has_job = false;
		}
		if (s.guard != nullptr)
			finish_request(s, st);
	});
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

PMEM2_EXPORT int miniasync_vdm_dml_private_durable_mover(const struct vdm *v)
{
	// All four functions: a user's mover that copies some of ours is not one.
	return v->op_new == vdm_dml::dml_op_new && v->op_start == vdm_dml::dml_op_start &&
		v->op_check == vdm_dml::dml_op_check && v->op_delete == vdm_dml::dml_op_delete;
}

PMEM2_EXPORT unsigned data_mover_dml_status(const struct vdm_operation_future *f)
{
	return f != nullptr ? f->data.operation.padding & 0xffu : 0;
}
