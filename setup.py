"""The one thing setup.cfg cannot say: the wheel's packages are bnpl's own plus bnpl.templates.

templates/ stays at the top of the repository; setup.cfg maps the package bnpl.templates to
it (package_dir) and takes every file in it as that package's data, so a wheel (`pip install .`,
a Docker image) carries it as bnpl/templates, where bnpl/resources.py looks first. A `find:` in
setup.cfg only sees folders under bnpl/, hence this list. An editable install (`make run`,
`make test`) copies nothing and reads templates/ in the checkout.
"""
from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["bnpl", "bnpl.*"]), "bnpl.templates"])
