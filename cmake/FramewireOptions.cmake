# Every build switch of the project, in one place.
option(FRAMEWIRE_BUILD_TESTS "Build the GoogleTest suites and register them with ctest" ON)
option(FRAMEWIRE_BUILD_BENCH "Build the micro-benchmarks under bench/" ON)
option(FRAMEWIRE_BUILD_PYTHON "Build the Python module (pybind11) under python/" ON)
option(FRAMEWIRE_BUILD_FUZZ "Build libFuzzer targets (clang only)" OFF)
option(FRAMEWIRE_WERROR "Treat compiler warnings as errors" OFF)
set(FRAMEWIRE_SANITIZE "" CACHE STRING
    "Sanitizers to build with, e.g. address,undefined (scripts/build --sanitize) or thread (--tsan)")
