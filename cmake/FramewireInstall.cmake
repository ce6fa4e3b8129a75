# What `cmake --install` puts where, in two components that cmake/FramewirePackage.cmake turns
# into two Debian packages (a plain install, any --prefix, installs both):
#   runtime  the framewire program (bin/), its man page, the receiver's systemd unit and
#            configuration, and whatever is installed without a component (the Python module):
#            CMAKE_INSTALL_DEFAULT_COMPONENT_NAME is `runtime`, set in the top-level CMakeLists.txt
#   dev      the static libraries, public headers, a CMake package config (find_package(framewire)
#            gives framewire::framewire) and a pkg-config file (framewire.pc)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FRAMEWIRE_LIBRARIES framewire framewire_core framewire_protocol framewire_storage
                        framewire_jetstream framewire_source framewire_observe framewire_view framewire_net
                        framewire_capture framewire_live)
install(TARGETS ${FRAMEWIRE_LIBRARIES}
        EXPORT framewireTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# Not in the export set: framewire-dev must not need the program to be installed (an imported
# executable whose file is missing fails find_package).
install(TARGETS framewire_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

install(DIRECTORY include/framewire DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/framewire/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/framewire COMPONENT dev)

# CMake package config
set(framewire_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/framewire)
install(EXPORT framewireTargets NAMESPACE framewire:: DESTINATION ${framewire_cmake_dir}
        COMPONENT dev)
configure_package_config_file(cmake/framewireConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/framewireConfig.cmake
                              INSTALL_DESTINATION ${framewire_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/framewireConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/framewireConfig.cmake
              ${PROJECT_BINARY_DIR}/framewireConfigVersion.cmake
        DESTINATION ${framewire_cmake_dir} COMPONENT dev)

# pkg-config: the static libraries in link order (each before the layers it uses), paths
# relative to the installed .pc file.
set(FRAMEWIRE_PC_LIBS "-lframewire_live -lframewire_net -lframewire_view -lframewire_capture")
string(APPEND FRAMEWIRE_PC_LIBS " -lframewire_source -lframewire_jetstream -lframewire_storage")
string(APPEND FRAMEWIRE_PC_LIBS " -lframewire_observe")
string(APPEND FRAMEWIRE_PC_LIBS " -lframewire_protocol -lframewire_core")
# FFmpeg's shared libraries as pkg-config found them for src/ (not --static: cmake/framewire.pc.in).
list(JOIN FFMPEG_LDFLAGS " " FRAMEWIRE_PC_FFMPEG_LIBS)
file(RELATIVE_PATH FRAMEWIRE_PC_PREFIX_FROM_PCFILEDIR /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig
     /prefix)
configure_file(cmake/framewire.pc.in ${PROJECT_BINARY_DIR}/framewire.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/framewire.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT dev)

# The man page, made from the program's --help (apps/framewire/CMakeLists.txt).
install(FILES ${PROJECT_BINARY_DIR}/apps/framewire/framewire.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)

# The receiver as a service: the unit names the program and its configuration by their installed
# paths, which depend on the prefix given when installing (CPack's /usr, or --prefix), so
# packaging/install-service.cmake writes both files then.
install(CODE "set(FRAMEWIRE_PACKAGING_DIR \"${PROJECT_SOURCE_DIR}/packaging\")
              set(FRAMEWIRE_PACKAGING_BINARY_DIR \"${PROJECT_BINARY_DIR}/packaging\")
              set(FRAMEWIRE_INSTALL_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
              include(\"${PROJECT_SOURCE_DIR}/packaging/install-service.cmake\")"
        COMPONENT runtime)
