# Sourced by the deploy/local scripts, which define log and die.

# Checks of numeric settings from the environment.
is_posint() { [[ "$1" =~ ^[1-9][0-9]{0,8}$ ]]; }
is_port() { is_posint "$1" && (("$1" < 65536)); }

# apt_install PACKAGE... installs Debian packages with apt-get (through sudo
# when not root).
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "cannot install $* (no apt-get); install it by hand"
  local sudo=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "cannot install $* (not root, no sudo); install it by hand"
    sudo="sudo"
  fi
  log "installing $* with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
