from Cython.Build import cythonize
from setuptools import setup

setup(
    ext_modules=cythonize(
        ["src/docket_speedups/_kernels.pyx"],
        compiler_directives={"language_level": "3", "boundscheck": False, "wraparound": False},
    ),
)
