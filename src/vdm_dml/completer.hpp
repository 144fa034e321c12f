// The DSA mover's completer: one thread per mover, started when first
// needed, that finishes the operations whose last step must not run on the
// polling thread: a pmem2 future's page sync (msync) on a PAGE map, after
// the device completed the copy or on the CPU path. A slot handed over is
// in phase::finishing until the completer's work sets phase::done.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "vdm_dml/op_slot.hpp"

namespace pmem2::vdm_dml {

class completer {
public:
	using work_fn = void (*)(op_slot &) noexcept;

	explicit completer(work_fn work) noexcept : work_(work) {}
	completer(const completer &) = delete;
	completer &operator=(const completer &) = delete;
	// Finishes every slot handed over, then stops the thread.
	~completer();

	// Hands `s` over (its phase must be finishing). false when the thread
	// cannot be started: the caller then runs the work itself.
	bool post(op_slot &s) noexcept;

private:
	void run() noexcept;

	work_fn work_;
	std::mutex m_;
	std::condition_variable cv_;
	op_slot *head_ = nullptr, *tail_ = nullptr;
	bool stop_ = false;
	bool started_ = false;
	std::thread thread_;
};

} // namespace pmem2::vdm_dml
