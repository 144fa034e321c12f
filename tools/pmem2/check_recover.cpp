// Running the recovery command of pmem2 check --recover (check_recover.hpp).
#include "check_recover.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

namespace pmem2::tool::recover {

std::string substitute(const std::string &cmd, const std::string &path)
{
	std::string quoted = "'";
	for (char c : path) {
		if (c == '\'')
			quoted += "'\\''";
		else
			quoted += c;
	}
	quoted += "'";
	std::string out;
	for (std::size_t i = 0; i < cmd.size(); ++i) {
		if (cmd[i] == '{' && i + 1 < cmd.size() && cmd[i + 1] == '}') {
			out += quoted;
			++i;
		} else {
			out += cmd[i];
		}
	}
	return out;
}

outcome run(const std::string &cmd, const std::string &image, double timeout, bool stdout_to_stderr)
{
	outcome o;
	std::string line = substitute(cmd, image);
	std::fflush(nullptr);
	pid_t pid = ::fork();
	if (pid < 0) {
		o.kind = outcome::error;
		o.message = std::string("fork: ") + std::strerror(errno);
		return o;
	}
	if (pid == 0) {
		::setpgid(0, 0);
		int null = ::open("/dev/null", O_RDONLY);
		if (null >= 0)
			::dup2(null, 0);
		if (stdout_to_stderr)
			::dup2(2, 1);
		::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char *>(nullptr));
		::_exit(127);
	}
	::setpgid(pid, pid);	// either side may win the race
	auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
	auto nap = std::chrono::milliseconds(1);
	int status = 0;
	for (;;) {
		pid_t r = ::waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			o.kind = outcome::error;
			o.message = std::string("waitpid: ") + std::strerror(errno);
			return o;
		}
		if (std::chrono::steady_clock::now() >= deadline) {
			::kill(-pid, SIGKILL);
			::kill(pid, SIGKILL);
			while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
			}
			o.kind = outcome::timed_out;
			return o;
		}
		std::this_thread::sleep_for(nap);
		nap = std::min(nap * 2, std::chrono::milliseconds(20));
	}
	::kill(-pid, SIGKILL);	// what CMD left running in the background
	if (WIFEXITED(status)) {
		o.code = WEXITSTATUS(status);
		o.kind = o.code == 0 ? outcome::passed : outcome::failed;
	} else {
		o.kind = outcome::signaled;
		o.code = WTERMSIG(status);
	}
	return o;
}

std::string describe(const outcome &o, double timeout)
{
	char buf[128];
	switch (o.kind) {
	case outcome::passed:
		return "passed";
	case outcome::failed:
		return "exited with status " + std::to_string(o.code);
	case outcome::signaled: {
		const char *s = ::strsignal(o.code);
		return "was killed by signal " + std::to_string(o.code) + " (" + (s ? s : "?") + ")";
	}
	case outcome::timed_out:
		std::snprintf(buf, sizeof(buf), "timed out after %g s (killed)", timeout);
		return buf;
	default:
		return "could not run: " + o.message;
	}
}

bool keep(const std::string &image, const std::string &dir, std::string &kept, std::string &err)
{
	std::size_t slash = image.rfind('/');
	kept = dir + "/" + (slash == std::string::npos ? image : image.substr(slash + 1));
	if (::rename(image.c_str(), kept.c_str()) == 0)
		return true;
	if (errno != EXDEV) {
		err = std::strerror(errno);
		return false;
	}
	int in = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
	int out = in < 0 ? -1 : ::open(kept.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = in >= 0 && out >= 0;
	char buf[65536];
	ssize_t n = 0;
	while (ok && (n = ::read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0 && ::write(out, buf, static_cast<std::size_t>(n)) == n;
	}
	if (!ok)
		err = std::strerror(errno);
	if (in >= 0)
		::close(in);
	if (out >= 0 && ::close(out) != 0 && ok) {
		ok = false;
		err = std::strerror(errno);
	}
	if (ok)
		::unlink(image.c_str());
	return ok;
}

void remove_dir(const std::string &dir)
{
	if (DIR *d = ::opendir(dir.c_str())) {
		while (dirent *e = ::readdir(d)) {
			if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
				::unlink((dir + "/" + e->d_name).c_str());
		}
		::closedir(d);
	}
	::rmdir(dir.c_str());
}

std::vector<failure> examine(const std::vector<check::crash::state> &states, const options &o, bool progress)
{
	std::vector<failure> out;
	std::size_t i = 0;
	for (const check::crash::state &st : states) {
		if (progress)
			std::fprintf(stderr, "\rcrash state %zu/%zu", ++i, states.size());
		outcome r = run(o.cmd, st.image, o.timeout, o.stdout_to_stderr);
		if (r.kind == outcome::passed)
			continue;
		failure f{st, r, {}};
		if (!o.keep_dir.empty()) {
			std::string err;
			if (!keep(st.image, o.keep_dir, f.kept, err)) {
				std::fprintf(stderr, "pmem2 check: cannot keep %s in %s: %s\n", st.image.c_str(),
					o.keep_dir.c_str(), err.c_str());
				f.kept.clear();
			}
		}
		out.push_back(std::move(f));
	}
	if (progress && !states.empty())
		std::fputs("\r\033[K", stderr);
	return out;
}

} // namespace pmem2::tool::recover
