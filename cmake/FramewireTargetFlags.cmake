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
  endif()
  if(FRAMEWIRE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(FRAMEWIRE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${FRAMEWIRE_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${FRAMEWIRE_SANITIZE})
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
