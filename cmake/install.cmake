# What `cmake --install` puts where (GNUInstallDirs), for a source install into
# /usr/local and for the Debian package (debian/rules: prefix /usr).
#
# The binary goes to sbin: mailtrail is a system daemon and an administrator's
# tool (its page is mailtrail(8), like Postfix's postqueue and postcat in
# /usr/sbin), and reading the mail log or the store takes group adm or
# mailtrail anyway.
include(GNUInstallDirs)

# Where systemd looks for units, sysusers.d and tmpfiles.d files. The defaults
# suit a source install; the package sets Debian 12's own paths (debian/rules).
set(MAILTRAIL_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING
    "Where the systemd units are installed (relative to the prefix, or absolute)")
set(MAILTRAIL_SYSUSERS_DIR "lib/sysusers.d" CACHE STRING
    "Where the sysusers.d file is installed")
set(MAILTRAIL_TMPFILES_DIR "lib/tmpfiles.d" CACHE STRING
    "Where the tmpfiles.d file is installed")

install(TARGETS mailtrail RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# The units in systemd/ name a /usr/local install; the installed copies name
# where this install puts the binary and the docs, so the source files stay the
# ones tests/run/systemd_unit.sh checks.
foreach(unit mailtrail.service mailtrail-reconcile.service mailtrail-reconcile.timer)
  file(READ ${PROJECT_SOURCE_DIR}/systemd/${unit} text)
  string(REPLACE "/usr/local/bin/mailtrail" "${CMAKE_INSTALL_FULL_SBINDIR}/mailtrail" text "${text}")
  string(REPLACE "/usr/local/share/doc/mailtrail" "${CMAKE_INSTALL_FULL_DOCDIR}" text "${text}")
  file(WRITE ${PROJECT_BINARY_DIR}/systemd/${unit} "${text}")
  install(FILES ${PROJECT_BINARY_DIR}/systemd/${unit} DESTINATION ${MAILTRAIL_SYSTEMD_UNIT_DIR})
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/systemd/mailtrail.service
             ${PROJECT_SOURCE_DIR}/systemd/mailtrail-reconcile.service
             ${PROJECT_SOURCE_DIR}/systemd/mailtrail-reconcile.timer)
install(FILES systemd/mailtrail.sysusers DESTINATION ${MAILTRAIL_SYSUSERS_DIR} RENAME mailtrail.conf)
install(FILES systemd/mailtrail.tmpfiles DESTINATION ${MAILTRAIL_TMPFILES_DIR} RENAME mailtrail.conf)

# The configuration: /etc/mailtrail/mailtrail.toml with prefix /usr (the FULL
# form: GNUInstallDirs maps sysconfdir to /etc only there), a conffile in the
# package.
install(FILES examples/mailtrail.toml DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/mailtrail)

install(FILES contrib/bash-completion/mailtrail
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

install(FILES README.md docs/install.md docs/postfix.md docs/reporting.md docs/detection.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The README's tour runs on these (`mailtrail replay ... sample.log.gz`).
install(FILES examples/mailtrail.toml examples/sample.log.gz examples/backscatter.log.gz
              examples/prometheus/mailtrail-rules.yml docs/grafana/mailtrail.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
