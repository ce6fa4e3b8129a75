# Run by `cmake --install` (cmake/FramewireInstall.cmake, component runtime), when the install
# prefix is known: writes the receiver's systemd unit and configuration for that prefix and
# installs them (DESTDIR applies, as to every installed file).
#   PREFIX/lib/systemd/system/framewire-serve.service   /usr/lib/systemd/system in the .deb
#   SYSCONFDIR/framewire/serve.conf                     /etc for the prefix /usr (GNUInstallDirs'
#                                                       rule), else PREFIX/etc
# Inputs: CMAKE_INSTALL_PREFIX, FRAMEWIRE_PACKAGING_DIR (this folder), FRAMEWIRE_PACKAGING_BINARY_DIR
# (where the filled-in files are written), FRAMEWIRE_INSTALL_BINDIR (relative to the prefix).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(framewire_sysconfdir /etc)
else()
  set(framewire_sysconfdir ${CMAKE_INSTALL_PREFIX}/etc)
endif()
set(FRAMEWIRE_PROGRAM ${CMAKE_INSTALL_PREFIX}/${FRAMEWIRE_INSTALL_BINDIR}/framewire)
set(FRAMEWIRE_SERVE_CONF ${framewire_sysconfdir}/framewire/serve.conf)
configure_file(${FRAMEWIRE_PACKAGING_DIR}/framewire-serve.service.in
               ${FRAMEWIRE_PACKAGING_BINARY_DIR}/framewire-serve.service @ONLY)
file(INSTALL ${FRAMEWIRE_PACKAGING_BINARY_DIR}/framewire-serve.service
     DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
file(INSTALL ${FRAMEWIRE_PACKAGING_DIR}/serve.conf DESTINATION ${framewire_sysconfdir}/framewire)
