#!/usr/bin/env bash
# One-command set-up for a fresh machine (Debian, Python ≥ 3.11, no virtualenv), then:
#   bash installer/dev.sh demo [DIR]   build the demo township in DIR (default ~/cunyi-demo) and open the app
#   bash installer/dev.sh test         run the whole test suite (what CI runs)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
python="${PYTHON:-python3}"

# System libraries: Qt's xcb/offscreen platform needs, poppler (pdftotext/pdffonts/pdftoppm), Xvfb.
apt_packages=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0
  libxcb-xinerama0 libxcb-xkb1 libxcb-image0 poppler-utils xvfb xauth)
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

# The project and its test tools, editable, into this Python (no virtualenv).
stamp=".cunyi-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$python" -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".[dev]"
  touch "$stamp"
fi

case "${1:-}" in
  demo)
    dir="${2:-$HOME/cunyi-demo}"
    if [ ! -f "$dir/cunyi.db" ]; then
      "$python" -m ui.launcher demo --data "$dir"
    fi
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" = "" ]; then
      echo "没有图形显示：在虚拟屏幕 (Xvfb) 上启动" >&2
      exec xvfb-run -a -s "-screen 0 1366x768x24" "$python" -m ui.launcher gui --data "$dir"
    fi
    exec "$python" -m ui.launcher gui --data "$dir"
    ;;
  test)
    shift
    "$python" -c 'from importlinter.cli import lint_imports_command; lint_imports_command()'
    exec "$python" -m pytest -n 2 "$@"
    ;;
  *)
    echo "用法：bash installer/dev.sh demo [数据文件夹] | test" >&2
    exit 2
    ;;
esac
