# Links framewire's programs with lld (Debian package lld) when the compiler can use it: the
# test executables carry a lot of debug information, and ld.bfd spends many seconds per link
# copying it, three builds over in CI. Falls back to the default linker when lld is missing.
# framewire_target_flags() adds the switch to each target; sets FRAMEWIRE_LINK_WITH_LLD.
include(CheckLinkerFlag)
option(FRAMEWIRE_USE_LLD "Link with lld when it is installed" ON)
set(FRAMEWIRE_LINK_WITH_LLD OFF)
if(FRAMEWIRE_USE_LLD)
  check_linker_flag(CXX "-fuse-ld=lld" FRAMEWIRE_HAVE_LLD)
  if(FRAMEWIRE_HAVE_LLD)
    set(FRAMEWIRE_LINK_WITH_LLD ON)
  endif()
endif()
