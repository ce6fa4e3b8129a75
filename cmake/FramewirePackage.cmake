# The Debian packages, made by CPack from the install components of cmake/FramewireInstall.cmake
# (scripts/package runs `cpack -G DEB` in the build folder):
#   framewire_<version>_<arch>.deb      the program, its man page, the framewire-serve service
#                                       and its /etc/framewire/serve.conf (a conffile), the
#                                       Python module when FRAMEWIRE_PYTHON_INSTALL_DIR is set.
#                                       Depends: computed by dpkg-shlibdeps.
#   framewire-dev_<version>_<arch>.deb  static libraries, headers, CMake config, framewire.pc.
#                                       Depends: the -dev packages of what the libraries link,
#                                       which a consumer's link needs and a receiver does not.
# Installed under /usr (DESTDIR staging, so /etc is /etc). The maintainer scripts are in
# packaging/debian/.
set(FRAMEWIRE_PACKAGE_MAINTAINER "framewire developers <framewire@localhost>"
    CACHE STRING "Maintainer field of the Debian packages")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME framewire)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${FRAMEWIRE_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # framewire_0.1.0_amd64.deb
set(CPACK_STRIP_FILES ON)
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Debug information out of the static libraries, man page compressed (what dh_strip and
# dh_compress do); runs on the staging folder, so build/ is untouched.
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/packaging/stage.cmake)

# One package per component, not one for all.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME framewire)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS systemd)
# Each package's first line is its summary (CPACK_PACKAGE_DESCRIPTION_SUMMARY stays unset, or
# CPack would put it before both); CPack indents the rest, an empty line becomes " .".
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "moves image frames from senders to a receiver, fast and safely
framewire sends numbered frame files (or frames captured live from a camera, a video or a
followed folder) over one persistent TCP connection per sender, and stores them on the
receiving machine byte-identical, each acknowledged only once it is stored.

This package holds the framewire program (framewire serve, framewire send), its man page and
the framewire-serve systemd service (run from /etc/framewire/serve.conf as the system user
framewire; not enabled on installation).")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# postinst: useradd (passwd is required-priority, but say so).
set(runtime_depends passwd)
if(FRAMEWIRE_PYTHON_INSTALL_DIR AND TARGET framewire_python)
  # The module is built for one Python minor version; numpy is imported by it.
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  math(EXPR next_minor "${Python3_VERSION_MINOR} + 1")
  list(APPEND runtime_depends
       "python3 (>= ${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}~)"
       "python3 (<< ${Python3_VERSION_MAJOR}.${next_minor})" python3-numpy)
endif()
list(JOIN runtime_depends ", " CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME framewire-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION
    "framewire C++ library: static libraries and headers
The framewire::Sender and framewire::Receiver C++ API, as static libraries with a CMake
package (find_package(framewire CONFIG REQUIRED), target framewire::framewire) and a
pkg-config file (pkg-config --libs framewire).")
# What framewireConfig.cmake and framewire.pc find, Boost for the view's private Beast include.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libfmt-dev, libspdlog-dev, nlohmann-json3-dev, libssl-dev (>= 3), libxxhash-dev, libnats-dev, libpng-dev, \
libturbojpeg0-dev, libavformat-dev, libavcodec-dev, libswscale-dev, libavdevice-dev, \
libavutil-dev, libboost-dev (>= 1.74), pkg-config")

include(CPack)

# What the packages hold, for scripts/package to build in a new build folder (cpack installs,
# it does not build): the program (and with it every library) and its man page.
add_custom_target(framewire_package_inputs)
add_dependencies(framewire_package_inputs framewire_cli framewire_man)
if(TARGET framewire_python)
  add_dependencies(framewire_package_inputs framewire_python)
endif()
