# framewire_target_flags(target): warnings and sanitizers, per target rather
# than through global CMAKE_CXX_FLAGS.
function(framewire_target_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor
                                           -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 at -O3 flags std::string concatenation with a false -Wrestrict
    # (GCC bug 105329).
    target_compile_options(${target} PRIVATE -Wno-restrict)
    # GCC 12 at -O3 (Release: scripts/demo, pip install) reports vectors inside std::variant
    # "may be used uninitialized" (GCC bugs 105562, 107138), in the test programs' message
    # tables. The -O2 builds (scripts/test, CI) keep the warning.
    target_compile_options(${target} PRIVATE $<$<CONFIG:Release>:-Wno-maybe-uninitialized>)
  endif()
  if(FRAMEWIRE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(FRAMEWIRE_LINK_WITH_LLD)
    # cmake/FramewireLinker.cmake: lld links the test programs several times faster than ld.bfd.
    target_link_options(${target} PRIVATE -fuse-ld=lld)
  endif()
  if(FRAMEWIRE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${FRAMEWIRE_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${FRAMEWIRE_SANITIZE})
    # Line tables only (-g1 comes after the build type's -g, so it wins): sanitizer reports
    # keep file:line and inlined frames, while the compiler and the linker no longer produce
    # and copy the type and variable information (measured: a TSan test file 25 % less CPU
    # time, its object 3.6 times smaller).
    target_compile_options(${target} PRIVATE -g1)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12 reports a false mismatched new/delete on coroutine frames when
      # optimising under ASan (Asio's awaitable frame allocator).
      target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
    endif()
    if(FRAMEWIRE_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12 warns that TSan does not model std::atomic_thread_fence, which
      # Asio's headers use. Asio never relies on those fences alone to hand
      # work between threads (its queues are mutex-protected, which TSan
      # sees), so the warning says nothing about our code.
      target_compile_options(${target} PRIVATE -Wno-tsan)
    endif()
  endif()
endfunction()
