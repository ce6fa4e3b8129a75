# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS, cmake/FramewirePackage.cmake): runs on the
# staging folder after CPack installed into it and before it makes the packages, doing what
# Debian's dh_strip and dh_compress would: debug information out of the static libraries (the
# program is stripped by CPACK_STRIP_FILES), man pages gzipped with no timestamp.
file(GLOB_RECURSE archives ${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.a)
foreach(archive IN LISTS archives)
  execute_process(COMMAND strip --strip-debug --enable-deterministic-archives ${archive}
                  COMMAND_ERROR_IS_FATAL ANY)
endforeach()
file(GLOB_RECURSE pages ${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.1)
list(FILTER pages INCLUDE REGEX "/share/man/man1/[^/]+\\.1$")
foreach(page IN LISTS pages)
  execute_process(COMMAND gzip -9nf ${page} COMMAND_ERROR_IS_FATAL ANY)
endforeach()
