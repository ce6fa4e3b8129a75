"""pip install --no-build-isolation . -- builds the framewire Python module with CMake.

The extension (framewire._framewire) is the CMake target framewire_python; this file only asks
CMake to configure and build it and puts it beside python/framewire/*.py. The interpreter pip
runs under is the one the module is built for. FRAMEWIRE_CMAKE_BUILD_DIR names an already
configured CMake build tree to build the target in (scripts/test uses build/, so the module is
not compiled twice); without it, a Release tree under build-python/ is configured.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(framewire VERSION ([0-9.]+)", text).group(1)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("FRAMEWIRE_CMAKE_BUILD_DIR")
        if build_dir:
            build_dir = Path(build_dir).resolve()
        else:
            build_dir = ROOT / "build-python" / "cmake"
            subprocess.run(
                ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                 "-DFRAMEWIRE_BUILD_TESTS=OFF", "-DFRAMEWIRE_BUILD_BENCH=OFF",
                 "-DFRAMEWIRE_BUILD_PYTHON=ON", f"-DPython_EXECUTABLE={sys.executable}"]
                + (["-G", "Ninja"] if shutil.which("ninja") else []),
                check=True)
        jobs = os.environ.get("FRAMEWIRE_JOBS", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "framewire_python",
                        "-j", jobs], check=True)
        built = sorted((build_dir / "python" / "framewire").glob("_framewire*.so"))
        if not built:
            raise RuntimeError(f"CMake built no _framewire*.so under {build_dir}/python/framewire")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], target)


setup(
    name="framewire",
    version=project_version(),
    description="Move image frames from cameras and folders to a receiver, fast and safely",
    packages=["framewire"],
    package_dir={"framewire": "python/framewire"},
    ext_modules=[CMakeExtension("framewire._framewire")],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy"],
    zip_safe=False,
)
