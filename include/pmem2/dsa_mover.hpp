// The DSA mover in C++: an RAII owner of a libminiasync-vdm-dml mover made
// from dsa_options (which queues, NUMA policy, CPU threshold, wait policy;
// docs/MOVERS.md). Link with -lminiasync-vdm-dml (pkg-config
// libminiasync-vdm-dml). pmem2 futures on a map with this mover are
// durable when they complete, on the device and on the CPU path alike.
#pragma once

#include <cerrno>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <libminiasync-vdm-dml.h>

#include "error.hpp"
#include "mover.hpp"

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

// Where operations run: the CPU, a work queue (failing when none is
// usable), or a work queue when one is usable and the CPU otherwise.
enum class dsa_path {
	software = DATA_MOVER_DML_SOFTWARE,
	hardware = DATA_MOVER_DML_HARDWARE,
	automatic = DATA_MOVER_DML_AUTO,
};

// How the mover waits for the device between checks of a record.
enum class dsa_wait {
	automatic = DATA_MOVER_DML_WAIT_AUTO,	// UMWAIT where the CPU has it, else pause
	umwait = DATA_MOVER_DML_WAIT_UMWAIT,
	pause = DATA_MOVER_DML_WAIT_PAUSE,
	yield = DATA_MOVER_DML_WAIT_YIELD,
};

// NUMA policies (a node number >= 0 takes that node's queues only).
inline constexpr int dsa_numa_any = DATA_MOVER_DML_NUMA_ANY;
inline constexpr int dsa_numa_caller = DATA_MOVER_DML_NUMA_CALLER;
inline constexpr int dsa_numa_destination = DATA_MOVER_DML_NUMA_DESTINATION;
// The threshold measured when the mover is made.
inline constexpr std::size_t dsa_threshold_auto = DATA_MOVER_DML_THRESHOLD_AUTO;

struct dsa_options {
	dsa_path path = dsa_path::automatic;
	std::string queues;			// "wq0.0,wq1.0"; empty: every usable queue
	int numa = dsa_numa_any;
	std::optional<std::size_t> threshold;	// unset: the path's default
	dsa_wait wait = dsa_wait::automatic;
};

class dsa_mover {
public:
	static result<dsa_mover> try_create(const dsa_options &o = {}) noexcept
	{
		data_mover_dml_config *raw = nullptr;
		int rc = data_mover_dml_config_new(&raw);
		if (rc != 0)
			return failed(rc, "data_mover_dml_config_new");
		struct cfg_owner {
			data_mover_dml_config *c;
			~cfg_owner() { data_mover_dml_config_delete(&c); }
		} cfg{raw};
		if ((rc = data_mover_dml_config_set_type(raw, static_cast<data_mover_dml_type>(o.path))) != 0)
			return failed(rc, "data_mover_dml_config_set_type");
		if ((rc = data_mover_dml_config_set_queues(raw, o.queues.c_str())) != 0)
			return failed(rc, "data_mover_dml_config_set_queues");
		if ((rc = data_mover_dml_config_set_numa(raw, o.numa)) != 0)
			return failed(rc, "data_mover_dml_config_set_numa");
		if (o.threshold && (rc = data_mover_dml_config_set_threshold(raw, *o.threshold)) != 0)
			return failed(rc, "data_mover_dml_config_set_threshold");
		if ((rc = data_mover_dml_config_set_wait(raw, static_cast<data_mover_dml_wait>(o.wait))) != 0)
			return failed(rc, "data_mover_dml_config_set_wait");
		data_mover_dml *d = data_mover_dml_new_config(raw);
		if (d == nullptr)
			return failed(-errno, "data_mover_dml_new_config");
		return dsa_mover(d, adopt_tag{});
	}
	explicit dsa_mover(const dsa_options &o = {}) : dsa_mover(try_create(o).value()) {}

	dsa_mover(dsa_mover &&o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
	dsa_mover &operator=(dsa_mover &&o) noexcept
	{
		if (this != &o) {
			data_mover_dml_delete(d_);
			d_ = std::exchange(o.d_, nullptr);
		}
		return *this;
	}
	dsa_mover(const dsa_mover &) = delete;
	dsa_mover &operator=(const dsa_mover &) = delete;
	// Every future made on the mover must have completed.
	~dsa_mover() { data_mover_dml_delete(d_); }

	data_mover_dml *native() const noexcept { return d_; }
	struct vdm *vdm() const noexcept { return data_mover_dml_get_vdm(d_); }
	mover_ref ref() const noexcept { return vdm(); }
	operator mover_ref() const noexcept { return ref(); }

	// True when operations go to work queues (an automatic mover that
	// found none runs on the CPU).
	bool on_device() const noexcept { return data_mover_dml_get_path(d_) == DATA_MOVER_DML_HARDWARE; }
	// Operations shorter than this run on the CPU (SIZE_MAX: all).
	std::size_t threshold() const noexcept { return data_mover_dml_get_threshold(d_); }
	// The work queues used, "wq0.0,wq1.0"; empty on the CPU.
	std::string_view queues() const noexcept { return data_mover_dml_get_queues(d_); }

private:
	struct adopt_tag {};
	dsa_mover(data_mover_dml *d, adopt_tag) noexcept : d_(d) {}
	// The library's message, which names the function ("what: ..." or
	// "what(TYPE): ..."); "what: message" for one that does not.
	static error_info failed(int rc, std::string_view what) noexcept
	{
		const std::string_view msg = data_mover_dml_errormsg();
		if (msg.substr(0, what.size()) != what)
			return detail::make_error(rc, what, data_mover_dml_errormsg());
		error_info e;
		e.code = rc;
		try {
			e.message.assign(msg);
		} catch (...) {
			e.message.clear();
		}
		return e;
	}
	data_mover_dml *d_ = nullptr;
};

} // namespace v1
} // namespace pmem2
