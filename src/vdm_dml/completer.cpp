#include "vdm_dml/completer.hpp"

#include <system_error>

namespace pmem2::vdm_dml {

completer::~completer()
{
	{
		std::lock_guard<std::mutex> g(m_);
		stop_ = true;
	}
	cv_.notify_one();
	if (thread_.joinable())
		thread_.join();
}

bool completer::post(op_slot &s) noexcept
{
	std::unique_lock<std::mutex> g(m_);
	if (!started_) {
		try {
			thread_ = std::thread([this] { run(); });
		} catch (const std::system_error &) {
			return false;
		}
		started_ = true;
	}
	s.next_work = nullptr;
	if (tail_ != nullptr)
		tail_->next_work = &s;
	else
		head_ = &s;
	tail_ = &s;
	g.unlock();
	cv_.notify_one();
	return true;
}

void completer::run() noexcept
{
	std::unique_lock<std::mutex> g(m_);
	for (;;) {
		cv_.wait(g, [this] { return head_ != nullptr || stop_; });
		if (head_ == nullptr)
			return;	// stopped, nothing left
		op_slot *s = head_;
		head_ = s->next_work;
		if (head_ == nullptr)
			tail_ = nullptr;
		g.unlock();
		work_(*s);
		g.lock();
	}
}

} // namespace pmem2::vdm_dml
