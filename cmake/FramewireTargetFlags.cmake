# framewire_target_flags(target): warnings and sanitizers, per target rather
# than through global CMAKE_CXX_FLAGS.
function(framewire_target_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor
                                           -Wno-missing-field-initializers)
  if(FRAMEWIRE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(FRAMEWIRE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${FRAMEWIRE_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${FRAMEWIRE_SANITIZE})
  endif()
endfunction()
