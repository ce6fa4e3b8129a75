# Installs the library, its public headers and a package config so that
# find_package(framewire) gives framewire::framewire.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS framewire framewire_core framewire_protocol framewire_storage framewire_source framewire_observe framewire_view framewire_net framewire_capture framewire_live framewire_cli
        EXPORT framewireTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/framewire DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT framewireTargets NAMESPACE framewire::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/framewire)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/framewireConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/framewireConfig.cmake
     "include(CMakeFindDependencyMacro)\n"
     "find_dependency(Threads)\nfind_dependency(fmt)\nfind_dependency(spdlog)\n"
     "find_dependency(nlohmann_json)\nfind_dependency(OpenSSL 3)\n"
     # imported targets from pkg-config and of framewire_capture, recreated the way the
     # top-level and src/ CMakeLists.txt make them
     "find_dependency(Boost 1.74)\nfind_dependency(PNG)\nfind_dependency(PkgConfig)\n"
     "pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)\n"
     "pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)\n"
     "pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libswscale "
     "libavdevice libavutil)\n"
     "include(\${CMAKE_CURRENT_LIST_DIR}/framewireTargets.cmake)\n")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/framewireConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/framewireConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/framewire)
