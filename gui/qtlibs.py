"""Which system libraries Qt's X11 platform plugin needs and this machine lacks.

Qt ships in the PySide6 wheel, but its xcb plugin links against X11 helper libraries that a
fresh Debian or Ubuntu may not have (libxcb-icccm4, libxcb-keysyms1, libxcb-cursor0...).
Without one, creating the QApplication aborts the process with "could not load the Qt
platform plugin xcb", which says nothing of the missing file. This module finds out first,
without Qt: it reads the libraries the plugin names (its ELF dynamic section, as ldd would)
and asks the dynamic linker for each, so the app can name them and the command that
installs them.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import re
import struct
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

DT_NEEDED, DT_STRTAB = 1, 5
PT_LOAD, PT_DYNAMIC = 1, 2
# Debian packages whose name does not follow from the library's (the rule in package_for).
PACKAGES = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgcc_s.so.1": "libgcc-s1",
}
_NOT_FOUND = re.compile(r"^(\S+?): cannot open shared object file")


def needed_libraries(path: Path) -> list[str]:
    """The sonames an ELF file links against (its DT_NEEDED entries), in order; [] for a
    file that is not ELF."""
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _needed(data) if data[:4] == b"\x7fELF" else []


def _needed(data: mmap.mmap) -> list[str]:
    wide, big = data[4] == 2, data[5] == 2
    end = ">" if big else "<"
    if wide:
        phoff, phentsize, phnum = (
            struct.unpack_from(end + "Q", data, 0x20)[0],
            *struct.unpack_from(end + "HH", data, 0x36),
        )
        ph, dyn = end + "IIQQQQQQ", end + "qQ"  # p_type, p_flags, p_offset, p_vaddr, ...
    else:
        phoff, phentsize, phnum = (
            struct.unpack_from(end + "I", data, 0x1C)[0],
            *struct.unpack_from(end + "HH", data, 0x2A),
        )
        ph, dyn = end + "IIIIIIII", end + "iI"  # p_type, p_offset, p_vaddr, ...
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, file size) of each segment
    dynamic: tuple[int, int] | None = None  # (offset, size)
    for i in range(phnum):
        fields = struct.unpack_from(ph, data, phoff + i * phentsize)
        if wide:
            kind, _, offset, vaddr, _, filesz = fields[:6]
        else:
            kind, offset, vaddr, _, filesz = fields[:5]
        if kind == PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif kind == PT_DYNAMIC:
            dynamic = (offset, filesz)
    if dynamic is None:
        return []
    step = struct.calcsize(dyn)
    names: list[int] = []
    strtab = None
    for at in range(dynamic[0], dynamic[0] + dynamic[1], step):
        tag, value = struct.unpack_from(dyn, data, at)
        if tag == 0:
            break
        if tag == DT_NEEDED:
            names.append(value)
        elif tag == DT_STRTAB:
            strtab = value
    if strtab is None:
        return []
    # DT_STRTAB is an address once loaded; the segment that holds it says where it is here.
    base = next((off + strtab - va for va, off, size in loads if va <= strtab < va + size), None)
    if base is None:
        return []
    return [data[base + n : data.find(b"\0", base + n)].decode() for n in names]


def _dlopen(name: str) -> str | None:
    """None if the dynamic linker finds the library and all it needs, else the name of the
    one it could not find."""
    try:
        ctypes.CDLL(name)
    except OSError as err:
        found = _NOT_FOUND.match(str(err))
        return found.group(1) if found else name
    return None


def missing_libraries(plugin: Path, loader: Callable[[str], str | None] = _dlopen) -> list[str]:
    """The system libraries the plugin (and the Qt libraries beside it) needs and the
    dynamic linker cannot find. `loader`: name -> None, or the library it lacked."""
    qt_lib = plugin.parents[2] / "lib"  # PySide6/Qt/plugins/platforms -> PySide6/Qt/lib
    missing: list[str] = []
    seen: set[str] = set()
    todo = [plugin]
    while todo:
        for name in needed_libraries(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            if (qt_lib / name).is_file():  # Qt's own, found through the plugin's RUNPATH
                todo.append(qt_lib / name)
            elif name.startswith("libQt"):
                continue  # Qt's own where a bundle keeps it elsewhere, not the system's
            elif (lacking := loader(name)) is not None and lacking not in missing:
                missing.append(lacking)
    return missing


def package_for(soname: str) -> str:
    """The Debian/Ubuntu package that installs a library, by the policy's naming rule:
    libxcb-icccm.so.4 -> libxcb-icccm4, libxkbcommon-x11.so.0 -> libxkbcommon-x11-0."""
    if soname in PACKAGES:
        return PACKAGES[soname]
    stem, _, version = soname.partition(".so")
    version = version.lstrip(".")
    name = stem.lower().replace("_", "-")
    if not version:
        return name
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def xcb_plugin() -> Path | None:
    """The xcb platform plugin of the installed PySide6, if there is one."""
    try:
        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def uses_xcb(environ: Mapping[str, str] = os.environ) -> bool:
    """True when Qt will start on X11: asked to, or by default outside a Wayland session
    (where Qt tries Wayland first and needs the X11 plugin only as a fallback)."""
    if not sys.platform.startswith("linux"):
        return False
    asked = environ.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(";")[0].split(":")[0] == "xcb"
    return not (environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland")


def missing_report(missing: list[str]) -> str:
    """What to tell the user, with the command that installs what is missing."""
    packages = " ".join(dict.fromkeys(package_for(m) for m in missing))
    return (
        "Huebrush cannot open its window: Qt's X11 support needs "
        + ", ".join(missing)
        + ", which this system lacks.\n"
        f"On Debian or Ubuntu, install {'it' if len(missing) == 1 else 'them'} with:\n\n"
        f"    sudo apt-get install {packages}\n"
    )


def check_platform() -> str | None:
    """The report of what Qt would fail on when it starts, or None when nothing is missing
    (or Qt will not use X11 here)."""
    plugin = xcb_plugin() if uses_xcb() else None
    if plugin is None:
        return None
    try:
        missing = missing_libraries(plugin)
    except (OSError, struct.error, ValueError):
        return None  # an unreadable plugin: let Qt say what it makes of it
    return missing_report(missing) if missing else None
