// Marks the functions that form the C ABI (the version scripts pin them).
#pragma once

#define PMEM2_EXPORT extern "C" __attribute__((visibility("default")))
