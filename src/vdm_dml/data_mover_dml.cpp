#include "vdm_dml/data_mover_dml.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <new>
#include <optional>
#include <vector>

#include <libpmem2/base.h>

#include "dsa/mmio_portal.hpp"
#include "durable/batch.hpp"
#include "durable/protocol.hpp"
#include "durable/run.hpp"
#include "miniasync/ops.hpp"
#include "vdm_dml/calibrate.hpp"
#include "vdm_dml/config.hpp"
#include "vdm_dml/device_batch.hpp"

namespace pmem2::vdm_dml {
namespace {

std::string sysfs_root;
std::optional<dsa::cpu_features> forced_cpu;
portal_opener opener = dsa::open_mmio_portal;

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

// The slot's operation as a job on the queue the choice picks, sent now;
// the poller is told how to wait for it (the wait policy).
void start_job(data_mover_dml &d, op_slot &s, future_notifier *n) noexcept
{
	new (s.storage) dsa::job(s.op, d.choice.pick(masync::op_dest(s.op)));
	s.has_job = true;
	s.job()->poll();
	if (n != nullptr && d.wait != dsa::wait_policy::yield) {
		// The record's first word is non-zero once the device wrote it.
		n->notifier_used = FUTURE_NOTIFIER_POLLER;
		n->poller.ptr_to_monitor = reinterpret_cast<std::uint64_t *>(
			const_cast<dsa::completion *>(&s.job()->record()));
	}
}

void start_request(data_mover_dml &d, op_slot &s, future_notifier *n) noexcept
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
	if (durable::is_batch(s.op)) {
		const durable::batch_op b = durable::batch_of(s.op);
		if (!d.queues.empty() && b.bytes >= d.cpu_threshold && b.count != 0 &&
		    start_device_batch(s, d.choice.pick(batch_place(b)), b))
			return;
	} else if (!d.queues.empty() && len >= d.cpu_threshold && len != 0 &&
		   !dsa::overlapping_move(s.op)) {
		start_job(d, s, n);
		return;
	}
	{
		if (r.granularity == PMEM2_GRANULARITY_PAGE)
			hand_over(d, s);
		else
			finish_request(s, run_durable_on_cpu(s));
	}
}

// What the device wrote (or flushed) with readback, told to libpmem2 for
// its persistence checker: every range a durable job or batch covered.
void tell_device_writes(const op_slot &s) noexcept
{
	auto tell = s.guard->svc->device_wrote;
	if (tell == nullptr)
		return;
	if (!s.has_batch) {
		tell(masync::op_dest(s.op), masync::op_length(s.op));
		return;
	}
	const durable::batch_op b = durable::batch_of(s.op);
	for (std::size_t i = 0; i < b.count; ++i) {
		const durable::batch_entry &e = b.entries[i];
		if (!durable::writes_map(e.kind) && e.kind != durable::entry_kind::persist)
			continue;
		tell(e.dest, e.n);
		if (e.kind == durable::entry_kind::dualcast)
			tell(e.dest2, e.n);
	}
}

// A durable operation's job has ended.
future_state end_request(data_mover_dml &d, op_slot &s) noexcept
{
	if (s.failed) {
		finish_request(s, -EIO);
		return FUTURE_STATE_COMPLETE;
	}
	tell_device_writes(s);
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
	if (!request && (d.queues.empty() || masync::op_length(*op) < d.cpu_threshold)) {
		run_on_cpu(*op);
		return 0;
	}
	op_slot *s = d.slots.take();
	if (s == nullptr)
		return 1;	// no memory for a slot now: the future stays idle
	s->op = *op;
	op_data_of(op)->data = s;
	if (request) {
		start_request(d, *s, n);
	} else {
		start_job(d, *s, n);
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
	if (s->has_batch) {
		if (poll_device_batch(*s) == dsa::job_state::running)
			return FUTURE_STATE_RUNNING;
		return end_request(*mover_of(op_data_of(op)->vdm), *s);
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

// The queues `cfg` selects, as discover() lists them; in `why` what was
// passed over (a name not found, a queue on another node).
std::vector<dsa::work_queue> selected(const data_mover_dml_config &cfg, std::string &why)
{
	std::vector<dsa::work_queue> all = dsa::discover(sysfs_root), out;
	auto add_reason = [&why](const std::string &r) { why += (why.empty() ? "" : "; ") + r; };
	for (const std::string &name : cfg.queues)
		if (std::none_of(all.begin(), all.end(), [&](const auto &q) { return q.name == name; }))
			add_reason(name + ": no such DSA work queue");
	for (dsa::work_queue &q : all) {
		if (!cfg.queues.empty() &&
		    std::find(cfg.queues.begin(), cfg.queues.end(), q.name) == cfg.queues.end())
			continue;
		if (cfg.numa >= 0 && q.numa_node != cfg.numa) {
			add_reason(q.name + ": on NUMA node " + std::to_string(q.numa_node) + ", not " +
				std::to_string(cfg.numa));
			continue;
		}
		out.push_back(std::move(q));
	}
	return out;
}

// Every usable selected queue whose portal opens, into `d`; false with the
// reasons in `why` when there is none.
bool attach_queues(data_mover_dml &d, const data_mover_dml_config &cfg,
	const dsa::cpu_features &cpu, std::string &why)
{
	std::string passed_over;
	const std::vector<dsa::work_queue> queues = selected(cfg, passed_over);
	std::vector<std::unique_ptr<dsa::portal>> portals;
	const auto taken = dsa::take_usable(queues, cpu, why,
		[&portals](const dsa::work_queue &wq, std::string &r) {
			auto p = opener(wq, r);
			if (p == nullptr)
				return false;
			portals.push_back(std::move(p));
			return true;
		});
	if (!passed_over.empty())
		why = passed_over + (why.empty() || queues.empty() ? "" : "; " + why);
	if (taken.empty())
		return false;
	for (std::size_t i = 0; i < taken.size(); ++i) {
		auto a = std::make_unique<attached_queue>();
		a->queue = *taken[i];
		a->portal = std::move(portals[i]);
		a->link.port = a->portal.get();
		a->link.dedicated = a->queue.mode == dsa::wq_mode::dedicated;
		a->link.size = a->queue.size;
		a->link.max_transfer_size = a->queue.max_transfer_size;
		a->link.max_batch_size = a->queue.max_batch_size;
		d.names += (d.names.empty() ? "" : ",") + a->queue.name;
		d.queues.push_back(std::move(a));
	}
	d.choice.set(cfg.numa, d.queues);
	return true;
}

// The AUTO type's default threshold: PMEM2_DSA_CPU_THRESHOLD when it is a
// number, else the published crossover.
std::size_t default_threshold() noexcept
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

// The wait policy cfg asks for on this CPU; false (UMWAIT without WAITPKG)
// when it cannot be had.
bool wait_policy_of(const data_mover_dml_config &cfg, const dsa::cpu_features &cpu,
	dsa::wait_policy &p) noexcept
{
	switch (cfg.wait) {
	case DATA_MOVER_DML_WAIT_UMWAIT:
		p = dsa::wait_policy::umwait;
		return cpu.waitpkg;
	case DATA_MOVER_DML_WAIT_PAUSE: p = dsa::wait_policy::pause; return true;
	case DATA_MOVER_DML_WAIT_YIELD: p = dsa::wait_policy::yield; return true;
	case DATA_MOVER_DML_WAIT_AUTO: break;
	}
	p = cpu.waitpkg ? dsa::wait_policy::umwait : dsa::wait_policy::pause;
	return true;
}

const char *type_name(data_mover_dml_type t) noexcept
{
	switch (t) {
	case DATA_MOVER_DML_SOFTWARE: return "DATA_MOVER_DML_SOFTWARE";
	case DATA_MOVER_DML_HARDWARE: return "DATA_MOVER_DML_HARDWARE";
	case DATA_MOVER_DML_AUTO: return "DATA_MOVER_DML_AUTO";
	}
	return "?";
}

} // namespace

void finish_on_completer(op_slot &s) noexcept
{
	std::int32_t st;
	if (s.has_batch)	// before has_job: a batch of one entry is a job
		st = sync_batch_entries(s);
	else if (s.has_job)
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

namespace pmem2::vdm_dml {
namespace {

// A mover as cfg says; `fn` names the API function in messages.
data_mover_dml *make_mover(const data_mover_dml_config &c, const char *fn)
{
	const data_mover_dml_config *cfg = &c;
	const std::string who = std::string(fn) + "(" + type_name(cfg->type) + "): ";
	const dsa::cpu_features cpu = forced_cpu.value_or(dsa::this_cpu());
	dsa::wait_policy wait;
	if (!wait_policy_of(*cfg, cpu, wait)) {
		fail(ENOTSUP, who + "DATA_MOVER_DML_WAIT_UMWAIT: this CPU has no WAITPKG (UMONITOR/UMWAIT)");
		return nullptr;
	}
	auto *d = new (std::nothrow) data_mover_dml(dml_vdm);
	if (d == nullptr) {
		fail(ENOMEM, who + "out of memory");
		return nullptr;
	}
	d->wait = wait;
	d->cpu_threshold = SIZE_MAX;
	if (cfg->type == DATA_MOVER_DML_SOFTWARE)
		return d;
	std::string why;
	bool attached;
	try {
		attached = attach_queues(*d, *cfg, cpu, why);
	} catch (const std::bad_alloc &) {
		delete d;
		fail(ENOMEM, who + "out of memory");
		return nullptr;
	}
	if (!attached) {
		if (cfg->type == DATA_MOVER_DML_AUTO)
			return d;
		delete d;
		fail(ENODEV, who + why);
		return nullptr;
	}
	d->path = DATA_MOVER_DML_HARDWARE;
	if (!cfg->threshold)
		d->cpu_threshold = cfg->type == DATA_MOVER_DML_AUTO ? default_threshold() : 0;
	else if (*cfg->threshold == DATA_MOVER_DML_THRESHOLD_AUTO)
		d->cpu_threshold = measure_crossover(d->queues.front()->link, wait);
	else
		d->cpu_threshold = *cfg->threshold;
	return d;
}

} // namespace
} // namespace pmem2::vdm_dml

PMEM2_EXPORT struct data_mover_dml *data_mover_dml_new_config(const struct data_mover_dml_config *cfg)
{
	if (cfg == nullptr) {
		vdm_dml::fail(EINVAL, "data_mover_dml_new_config: cfg is NULL");
		return nullptr;
	}
	return vdm_dml::make_mover(*cfg, "data_mover_dml_new_config");
}

PMEM2_EXPORT struct data_mover_dml *data_mover_dml_new(enum data_mover_dml_type type)
{
	data_mover_dml_config cfg;
	if (data_mover_dml_config_set_type(&cfg, type) != 0) {
		vdm_dml::fail(EINVAL, "data_mover_dml_new: " + std::to_string(static_cast<int>(type)) +
			" is not a data_mover_dml_type");
		return nullptr;
	}
	return vdm_dml::make_mover(cfg, "data_mover_dml_new");
}

PMEM2_EXPORT size_t data_mover_dml_get_threshold(const struct data_mover_dml *dmd)
{
	return dmd != nullptr ? dmd->cpu_threshold : SIZE_MAX;
}

PMEM2_EXPORT const char *data_mover_dml_get_queues(const struct data_mover_dml *dmd)
{
	return dmd != nullptr ? dmd->names.c_str() : "";
}

data_mover_dml::~data_mover_dml()
{
	using namespace pmem2::vdm_dml;
	// Futures dropped while running: their jobs end first (the device still
	// writes their records), then their guards are left, so that a map
	// delete waiting for them returns. Slots with the completer are its to
	// finish: it stops (member destruction, after this body) only once its
	// queue is empty, and the pool outlives it.
	slots.for_each_in_use([this](op_slot &s) {
		if (s.state.load(std::memory_order_acquire) != phase::running)
			return;
		std::int32_t st = durable::status_ok;
		if (s.has_batch) {	// its job too, for a batch of one entry
			while (poll_device_batch(s) == dsa::job_state::running)
				dsa::wait_a_little(wait, nullptr);
			if (s.failed)
				st = -EIO;
			s.has_batch = false;
		}
		if (s.has_job) {
			const dsa::job_state js = s.job()->wait(wait);
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
