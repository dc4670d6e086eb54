# PyInstaller runtime hook of 村医通, in place of PyInstaller's own for PySide6 (pyi_rth_pyside6).
# That one imports PySide6.QtCore before the program starts, to give Qt a qt.conf. The PySide6 wheels
# make their own qt.conf when QtCore loads, and the program's start-up opens the data folder and signs
# the user in on a thread while Qt loads (ui.app.open_session): loading Qt first would undo that.
# Here only what Qt needs to find its plugins (and, on Windows, the DLLs beside the program).
import os
import sys

_qt = os.path.join(sys._MEIPASS, "PySide6") if sys.platform.startswith("win") else os.path.join(sys._MEIPASS, "PySide6", "Qt")
os.environ["QT_PLUGIN_PATH"] = os.path.join(_qt, "plugins")
if sys.platform.startswith("win"):
    os.environ["PATH"] = sys._MEIPASS + os.pathsep + os.environ.get("PATH", "")
del _qt
