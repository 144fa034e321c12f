// Marks the functions that form the C ABI (the version scripts pin them).
#pragma once

#define PMEM2_EXPORT extern "C" __attribute__((visibility("default")))

// Marks a test seam: an internal C++ function (or object) the project's
// tests reach in the shared libraries. Default visibility only makes it
// exportable; a library's version script decides whether it is exported,
// under its private node (PMEM2_PRIVATE_1, LIBMINIASYNC_PRIVATE_1), never
// under the public one. Not API: declared in no public header.
#define PMEM2_TEST_SEAM __attribute__((visibility("default")))
