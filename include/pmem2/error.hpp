// Errors of the C++ API: pmem2::error (thrown at the API surface) and
// pmem2::result<T> (returned by the try_* functions, which never throw).
#pragma once

#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <libpmem2/base.h>

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

// A short English description of a PMEM2_E_* code or a negative errno value.
inline std::string_view describe(int code) noexcept
{
	switch (code) {
	case 0: return "success";
	case PMEM2_E_UNKNOWN: return "unknown error";
	case PMEM2_E_NOSUPP: return "operation not supported";
	case PMEM2_E_FILE_HANDLE_NOT_SET: return "file handle not set";
	case PMEM2_E_INVALID_FILE_HANDLE: return "invalid file handle";
	case PMEM2_E_INVALID_FILE_TYPE: return "invalid file type";
	case PMEM2_E_MAP_RANGE: return "map range exceeds the source";
	case PMEM2_E_MAPPING_EXISTS: return "mapping already exists";
	case PMEM2_E_GRANULARITY_NOT_SET: return "required store granularity not set";
	case PMEM2_E_GRANULARITY_NOT_SUPPORTED: return "required store granularity not supported";
	case PMEM2_E_OFFSET_OUT_OF_RANGE: return "offset out of range";
	case PMEM2_E_OFFSET_UNALIGNED: return "offset unaligned";
	case PMEM2_E_INVALID_ALIGNMENT_FORMAT: return "invalid alignment format";
	case PMEM2_E_INVALID_ALIGNMENT_VALUE: return "invalid alignment value";
	case PMEM2_E_INVALID_SIZE_FORMAT: return "invalid size format";
	case PMEM2_E_LENGTH_UNALIGNED: return "length unaligned";
	case PMEM2_E_MAPPING_NOT_FOUND: return "mapping not found";
	case PMEM2_E_BUFFER_TOO_SMALL: return "buffer too small";
	case PMEM2_E_SOURCE_EMPTY: return "source is empty";
	case PMEM2_E_INVALID_SHARING_VALUE: return "invalid sharing value";
	case PMEM2_E_SRC_DEVDAX_PRIVATE: return "device DAX cannot be mapped private";
	case PMEM2_E_INVALID_ADDRESS_REQUEST_TYPE: return "invalid address request type";
	case PMEM2_E_ADDRESS_UNALIGNED: return "address unaligned";
	case PMEM2_E_ADDRESS_NULL: return "address is NULL";
	case PMEM2_E_DEEP_FLUSH_RANGE: return "deep flush range outside the map";
	case PMEM2_E_INVALID_REGION_FORMAT: return "invalid region format";
	case PMEM2_E_DAX_REGION_NOT_FOUND: return "DAX region not found";
	case PMEM2_E_INVALID_DEV_FORMAT: return "invalid device format";
	case PMEM2_E_CANNOT_READ_BOUNDS: return "cannot read bounds";
	case PMEM2_E_NO_BAD_BLOCK_FOUND: return "no bad block found";
	case PMEM2_E_LENGTH_OUT_OF_RANGE: return "length out of range";
	case PMEM2_E_INVALID_PROT_FLAG: return "invalid protection flag";
	case PMEM2_E_NO_ACCESS: return "no access";
	case PMEM2_E_VM_RESERVATION_NOT_EMPTY: return "vm reservation not empty";
	case PMEM2_E_MAP_EXISTS: return "map exists";
	case PMEM2_E_FILE_DESCRIPTOR_NOT_SET: return "file descriptor not set";
	case PMEM2_E_SOURCE_TYPE_NOT_SUPPORTED: return "source type not supported";
	case PMEM2_E_IO_FAIL: return "I/O failure";
	default: break;
	}
	if (code < 0 && code > PMEM2_E_UNKNOWN)
		return std::strerror(-code);	// glibc: static strings for known errno values
	return "unrecognised error code";
}

// What went wrong: a PMEM2_E_* code or a negative errno value, and a message.
struct error_info {
	int code = PMEM2_E_UNKNOWN;
	std::string message;
};

// The exception the C++ API throws.
class error : public std::runtime_error {
public:
	error(int code, const std::string &message) : std::runtime_error(message), code_(code) {}
	explicit error(const error_info &e) : error(e.code, e.message) {}

	// PMEM2_E_* or negative errno.
	int code() const noexcept { return code_; }
	// The positive errno value the code corresponds to.
	int errno_value() const noexcept
	{
		if (code_ == PMEM2_E_NOSUPP)
			return ENOTSUP;
		if (code_ <= PMEM2_E_UNKNOWN || code_ >= 0)
			return EINVAL;
		return -code_;
	}

private:
	int code_;
};

namespace detail {

// "what: <library message or description>"; never throws (an allocation
// failure leaves the message empty).
inline error_info make_error(int code, std::string_view what, const char *detail = nullptr) noexcept
{
	error_info e;
	e.code = code;
	try {
		e.message.assign(what);
		e.message += ": ";
		if (detail != nullptr && *detail != '\0')
			e.message += detail;
		else
			e.message += describe(code);
	} catch (...) {
		e.message.clear();
	}
	return e;
}

// For a failed C call: includes pmem2_errormsg(), which that call just set.
inline error_info last_error(int code, std::string_view what) noexcept
{
	return make_error(code, what, pmem2_errormsg());
}

// a + b, or an empty string when memory runs out.
inline std::string concat(std::string_view a, std::string_view b) noexcept
{
	try {
		std::string s(a);
		s += b;
		return s;
	} catch (...) {
		return {};
	}
}

[[noreturn]] inline void throw_error(error_info e)
{
	throw error(e);
}

// Throws when a C call returned non-zero.
inline void check(int rc, std::string_view what)
{
	if (rc != 0)
		throw_error(last_error(rc, what));
}

} // namespace detail

// Either a T or an error_info; value() throws pmem2::error when empty.
template <class T>
class [[nodiscard]] result {
public:
	result(T v) noexcept(std::is_nothrow_move_constructible_v<T>)
		: v_(std::in_place_index<0>, std::move(v)) {}
	result(error_info e) noexcept : v_(std::in_place_index<1>, std::move(e)) {}

	bool has_value() const noexcept { return v_.index() == 0; }
	explicit operator bool() const noexcept { return has_value(); }

	T &value() &
	{
		rethrow();
		return *std::get_if<0>(&v_);
	}
	const T &value() const &
	{
		rethrow();
		return *std::get_if<0>(&v_);
	}
	T &&value() &&
	{
		rethrow();
		return std::move(*std::get_if<0>(&v_));
	}
	template <class U>
	T value_or(U &&other) const &
	{
		return has_value() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(other));
	}
	T &operator*() & noexcept { return *std::get_if<0>(&v_); }
	T &&operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
	T *operator->() noexcept { return std::get_if<0>(&v_); }
	const T *operator->() const noexcept { return std::get_if<0>(&v_); }

	// Only when !has_value().
	const error_info &error() const noexcept { return *std::get_if<1>(&v_); }
	// 0 when a value is held.
	int code() const noexcept { return has_value() ? 0 : error().code; }

private:
	void rethrow() const
	{
		if (!has_value())
			throw pmem2::error(error());
	}

	std::variant<T, error_info> v_;
};

template <>
class [[nodiscard]] result<void> {
public:
	result() noexcept = default;
	result(error_info e) noexcept : err_(std::move(e)), failed_(true) {}

	bool has_value() const noexcept { return !failed_; }
	explicit operator bool() const noexcept { return has_value(); }
	void value() const
	{
		if (failed_)
			throw pmem2::error(err_);
	}
	const error_info &error() const noexcept { return err_; }
	int code() const noexcept { return failed_ ? err_.code : 0; }

private:
	error_info err_;
	bool failed_ = false;
};

} // namespace v1
} // namespace pmem2
