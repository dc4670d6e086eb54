#!/usr/bin/env bash
# One-command set-up for a fresh machine (Debian 12 or later, Python ≥ 3.11), then:
#   bash installer/dev.sh setup        only the set-up (e.g. before installer/build.py)
#   bash installer/dev.sh demo [DIR]   build the demo township in DIR (default ~/cunyi-demo) and open the app
#   bash installer/dev.sh test         run the whole test suite (what CI runs)
# The project and its tools live in a virtual environment of the project's own (.venv), so a system
# Python that refuses pip installs (PEP 668, "externally-managed-environment") is fine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
python="${PYTHON:-python3}"
venv="${CUNYI_VENV:-$here/.venv}"

# System libraries: Qt's xcb/offscreen platform needs, poppler (pdftotext/pdffonts/pdftoppm), Xvfb,
# python3-venv for the project's virtual environment, and the shared libpython that PyInstaller puts
# in the bundle (installer/build.py); libpq5, which the bundle's hub uses for PostgreSQL (a dependency
# of its .deb, so that `dpkg -i` of the .deb works here); libusb-1.0-0, which the bundle carries for
# USB thermal printers.
apt_packages=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0
  libxcb-xinerama0 libxcb-xkb1 libxcb-image0 libcups2 libpq5 libusb-1.0-0 poppler-utils xvfb xauth)
if [ "$("$python" -c 'import sys; print(sys.prefix)')" = "/usr" ]; then
  ver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
  apt_packages+=(python3-venv "python${ver}-venv" "libpython${ver}")
fi
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "安装系统依赖：${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The project's virtual environment (made once; remade if it is broken or its Python is gone).
if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  echo "创建虚拟环境：$venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  rm -f "$venv/.cunyi-installed"
fi
py="$venv/bin/python"

# The project and its test tools, editable, into the virtual environment.
stamp="$venv/.cunyi-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "安装村医通及其依赖到 $venv（首次需要几分钟）" >&2
  "$py" -m pip install -q --disable-pip-version-check --upgrade pip
  "$py" -m pip install -q --disable-pip-version-check -e ".[dev]"
  touch "$stamp"
fi
export PATH="$venv/bin:$PATH"

case "${1:-}" in
  setup)
    echo "已就绪：$venv" >&2
    ;;
  demo)
    dir="${2:-$HOME/cunyi-demo}"
    if [ ! -f "$dir/cunyi.db" ]; then
      "$py" -m ui.launcher demo --data "$dir"
    fi
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" = "" ]; then
      echo "没有图形显示：在虚拟屏幕 (Xvfb) 上启动" >&2
      exec xvfb-run -a -s "-screen 0 1366x768x24" "$py" -m ui.launcher gui --data "$dir"
    fi
    exec "$py" -m ui.launcher gui --data "$dir"
    ;;
  test)
    shift
    "$py" -c 'from importlinter.cli import lint_imports_command; lint_imports_command()'
    exec "$py" -m pytest -n 2 "$@"
    ;;
  *)
    echo "用法：bash installer/dev.sh setup | demo [数据文件夹] | test" >&2
    exit 2
    ;;
esac
