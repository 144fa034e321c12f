# Cross build for riscv64 Linux with Debian's cross toolchain
# (g++-riscv64-linux-gnu); the tests run under qemu-user (qemu-riscv64),
# with the target's libraries from /usr/riscv64-linux-gnu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER riscv64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# ctest and gtest_discover_tests run the test programs through this. The
# CPU model is qemu's generic "rv64" (RV64GC with qemu's default extension
# set, Zihintpause among them), named rather than left to the default so
# the model does not change under the tests. Measured with qemu-user 7.2
# (Debian 12): no rv64 model has Zicbom (the property does not exist),
# cbo.clean raises SIGILL, and riscv_hwprobe is not implemented (ENOSYS).
# So the library takes its no-Zicbom path here, as on a kernel older than
# 6.15: CACHE_LINE maps are PAGE (msync). The Zicbom path is selected and
# run through the hwprobe seam, with each cbo.clean trapped and checked
# (tests/memops/cpu_riscv64_test.cpp).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-riscv64 -cpu rv64 -L /usr/riscv64-linux-gnu)
# The host's pkg-config would find x86-64 libraries (libndctl): none here.
set(PKG_CONFIG_EXECUTABLE "" CACHE FILEPATH "no pkg-config for the target" FORCE)
