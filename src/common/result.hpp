// A value or a negative error code (PMEM2_E_* or -errno), for internal APIs.
#pragma once

#include <cassert>
#include <utility>

namespace pmem2 {

template <class T>
class [[nodiscard]] result {
public:
	result(T v) noexcept(noexcept(T(std::move(v)))) : err_(0), val_(std::move(v)) {}
	static result error(int err) noexcept { assert(err < 0); return result(err, tag{}); }

	bool ok() const noexcept { return err_ == 0; }
	explicit operator bool() const noexcept { return ok(); }
	int code() const noexcept { return err_; }
	T &value() & noexcept { assert(ok()); return val_; }
	const T &value() const & noexcept { assert(ok()); return val_; }
	T &&value() && noexcept { assert(ok()); return std::move(val_); }
	T &operator*() noexcept { return value(); }
	T *operator->() noexcept { return &val_; }

private:
	struct tag {};
	result(int err, tag) noexcept : err_(err), val_() {}
	int err_;
	T val_;
};

} // namespace pmem2
