# shellcheck shell=bash
# Package files on an .rpm system (Amazon Linux, RHEL): rpm, which waits for its own lock.
# pkg-deb.sh is the same for .deb systems; a script has one.

PKG=rpm

# Installs a package file, printing rpm's output (on failure its last line says why).
pkg_install_file() {
  rpm -U --replacepkgs "$1" 2>&1
}
