"""Build hook for the optional native core (estreamer/records/_native/_core.c).

Everything else is in pyproject.toml. The extension uses the limited API
(abi3, CPython >= 3.9), so one binary serves Splunk's Python 3.9 and 3.13.
It is optional: without a C compiler, or with ESTREAMER_PURE_PYTHON=1 set at
build time, the install is pure Python and a single notice line says so.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PURE = os.environ.get("ESTREAMER_PURE_PYTHON", "") not in ("", "0")
NOTICE = "estreamer: native core not built ({}); the pure-Python decoder is used"


class OptionalBuildExt(build_ext):
    """build_ext that turns a failed compile into one notice line."""

    def run(self):
        try:
            super().run()
        except Exception as err:  # no compiler at all (distutils' own error types)
            print(NOTICE.format(str(err).splitlines()[0] if str(err) else type(err).__name__),
                  file=sys.stderr)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as err:  # the compiler failed on this machine
            print(NOTICE.format(str(err).splitlines()[0] if str(err) else type(err).__name__),
                  file=sys.stderr)


CORE = Extension(
    "estreamer.records._native._core",
    sources=["src/estreamer/records/_native/_core.c"],
    define_macros=[("Py_LIMITED_API", "0x03090000")],
    py_limited_api=True,
    extra_compile_args=["-O2", "-std=c99", "-Wall", "-Wextra", "-Wno-unused-parameter",
                        "-Wno-missing-field-initializers", "-Wno-cast-function-type",
                        # a function the limited API of the oldest Python (3.9) lacks
                        # would be declared implicitly, returning a truncated int
                        "-Werror=implicit-function-declaration"],
)

setup(
    ext_modules=[] if PURE else [CORE],
    cmdclass={"build_ext": OptionalBuildExt},
    options={} if PURE else {"bdist_wheel": {"py_limited_api": "cp39"}},
)
