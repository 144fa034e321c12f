# Cross build for aarch64 Linux with Debian's cross toolchain
# (g++-aarch64-linux-gnu); the tests run under qemu-user (qemu-aarch64),
# with the target's libraries from /usr/aarch64-linux-gnu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# ctest and gtest_discover_tests run the test programs through this. The
# CPU model is an ARMv8.0 one: qemu-user 7.2's default ("max") reports
# HWCAP_DCPOP/HWCAP2_DCPODP but raises SIGILL on DC CVAP/CVADP, so the
# library would pick an instruction the emulator cannot run. The DC CVAP
# and CVADP paths are still selected and checked through the hwcap seam
# (tests/memops/cpu_aarch64_test.cpp).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -cpu cortex-a72 -L /usr/aarch64-linux-gnu)
# The host's pkg-config would find x86-64 libraries (libndctl): none here.
set(PKG_CONFIG_EXECUTABLE "" CACHE FILEPATH "no pkg-config for the target" FORCE)
