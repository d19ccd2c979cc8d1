"""A PEP 517 build backend made of the standard library only, so that ``pip install ./clients/python`` works where
no package index can be reached: pip's isolated build needs nothing to download, and no ``setuptools``/``wheel``
pair has to be present (a fresh Python 3.11 venv has setuptools 65 without ``wheel``; 3.12 has neither).

It builds a pure-Python wheel (PEP 427) and an sdist of the ``exai_store`` package. Name, summary and
requires-python come from ``pyproject.toml``'s ``[project]`` table, the version from ``exai_store/__init__.py``,
the long description from ``README.md``.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

_ROOT = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = "exai_store"


def _project() -> dict[str, str]:
    with open(os.path.join(_ROOT, "pyproject.toml"), encoding="utf-8") as handle:
        text = handle.read()
    table = text.split("[project]", 1)[1].split("\n[", 1)[0]
    fields = dict(re.findall(r'^([\w-]+)\s*=\s*"([^"]*)"', table, re.MULTILINE))
    with open(os.path.join(_ROOT, _PACKAGE, "__init__.py"), encoding="utf-8") as handle:
        fields["version"] = re.search(r'^__version__\s*=\s*"([^"]+)"', handle.read(), re.MULTILINE).group(1)
    return fields


def _metadata(project: dict[str, str]) -> str:
    with open(os.path.join(_ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    return (f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
            f"Summary: {project['description']}\nRequires-Python: {project['requires-python']}\n"
            f"Description-Content-Type: text/markdown\n\n{readme}")


def _package_files() -> list[str]:
    files = []
    for directory, _, names in os.walk(os.path.join(_ROOT, _PACKAGE)):
        files += [os.path.relpath(os.path.join(directory, n), _ROOT) for n in names if not n.endswith(".pyc")]
    return sorted(files)


def _dist_name(project: dict[str, str]) -> str:
    return f"{project['name'].replace('-', '_')}-{project['version']}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    dist = _dist_name(project)
    wheel_name = f"{dist}-py3-none-any.whl"
    records = []

    def add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
        archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        records.append(f"{name},sha256={digest},{len(data)}")

    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _package_files():
            with open(os.path.join(_ROOT, path), "rb") as handle:
                add(archive, path.replace(os.sep, "/"), handle.read())
        add(archive, f"{dist}.dist-info/METADATA", _metadata(project).encode("utf-8"))
        add(archive, f"{dist}.dist-info/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: exai-store _build_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        records.append(f"{dist}.dist-info/RECORD,,")
        archive.writestr(zipfile.ZipInfo(f"{dist}.dist-info/RECORD", date_time=(1980, 1, 1, 0, 0, 0)),
                         "\n".join(records) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    dist = _dist_name(project)
    sdist_name = f"{dist}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, sdist_name), "w:gz") as archive:
        for path in ["pyproject.toml", "README.md", "_build_backend.py"] + _package_files():
            archive.add(os.path.join(_ROOT, path), arcname=f"{dist}/{path}")
        info = tarfile.TarInfo(f"{dist}/PKG-INFO")
        data = _metadata(project).encode("utf-8")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return sdist_name
