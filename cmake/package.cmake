# `cpack -G DEB` from a build tree: one Debian package, libpgorm-dev, with the headers, the CMake
# package config (find_package(pgorm), pgorm_generate()), pgorm.pc and, when built, the tools
# pgorm-gen and pgorm-migrate. Dependencies are Debian 12's package names, listed by hand so that
# packing needs no dpkg-dev (the tools' shared libraries are libpq5, libssl3 and Boost.JSON, all
# pulled in by the -dev packages below).
set(CPACK_PACKAGE_NAME libpgorm-dev)
set(CPACK_PACKAGE_VENDOR "pgorm")
set(CPACK_PACKAGE_CONTACT "pgorm developers <pgorm@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "header-only C++20 ORM and repository framework for PostgreSQL")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libpq-dev (>= 15), libboost1.81-dev, libboost-json1.81-dev, libssl-dev, cmake (>= 3.25)")
if(PGORM_PACKAGE_EXTRA_DEPENDS)  # e.g. the parser library pgorm-gen links (codegen/CMakeLists.txt)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", ${PGORM_PACKAGE_EXTRA_DEPENDS}")
endif()
# pgorm-gen checks queries against a server: an embedded throwaway cluster unless --database-url.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql-15")
set(CPACK_GENERATOR DEB)
include(CPack)
