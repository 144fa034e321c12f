// Environment variables set (or unset) for a scope.
#pragma once

#include <cstdlib>
#include <string>

namespace pmem2::test {

class scoped_env {
public:
	// `value` nullptr: the variable is unset for the scope.
	scoped_env(const char *name, const char *value) : name_(name)
	{
		const char *old = std::getenv(name);
		had_ = old != nullptr;
		if (had_)
			old_ = old;
		if (value)
			::setenv(name, value, 1);
		else
			::unsetenv(name);
	}
	~scoped_env()
	{
		if (had_)
			::setenv(name_.c_str(), old_.c_str(), 1);
		else
			::unsetenv(name_.c_str());
	}
	scoped_env(const scoped_env &) = delete;
	scoped_env &operator=(const scoped_env &) = delete;

private:
	std::string name_, old_;
	bool had_ = false;
};

} // namespace pmem2::test
