# Run at every build (target mt_git_revision): writes OUT, a header defining
# MAILTRAIL_GIT_REVISION as the checkout's revision, only when it changed, so
# `mailtrail --version` names the commit it was built from, not the one cmake
# last configured (a rebuild after a commit kept the old revision).
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT rev)
  set(rev "unknown")
endif()
set(text "#define MAILTRAIL_GIT_REVISION \"${rev}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()
