# Cross build for ppc64le Linux with Debian's cross toolchain
# (g++-powerpc64le-linux-gnu); the tests run under qemu-user (qemu-ppc64le),
# with the target's libraries from /usr/powerpc64le-linux-gnu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ppc64le)
set(CMAKE_C_COMPILER powerpc64le-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER powerpc64le-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/powerpc64le-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# ctest and gtest_discover_tests run the test programs through this. The
# CPU model is POWER9 (ISA 3.0), not POWER10: qemu-user 7.2's power10
# model reports PPC_FEATURE2_ARCH_3_1 in AT_HWCAP2 but raises SIGILL on
# dcbstps (dcbf L=6) and phwsync (sync L=4), as on every model (it treats
# those L values as reserved bits), so the library would pick instructions
# the emulator cannot run. On POWER9 the dcbst + hwsync path runs; the
# dcbstps + phwsync path is still selected and checked through the hwcap
# seam (tests/memops/cpu_ppc64le_test.cpp).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-ppc64le -cpu power9 -L /usr/powerpc64le-linux-gnu)
# The host's pkg-config would find x86-64 libraries (libndctl): none here.
set(PKG_CONFIG_EXECUTABLE "" CACHE FILEPATH "no pkg-config for the target" FORCE)
