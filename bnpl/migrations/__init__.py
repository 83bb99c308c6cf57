"""Alembic's environment (env.py) and revisions (versions/), run by bnpl/db.py. A package, so that
setuptools finds it and a wheel carries them as modules."""
