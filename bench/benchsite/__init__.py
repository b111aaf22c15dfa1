"""A bench-only Django site: the product's settings and URLs plus what only benchmarks need.

Never installed by the product. `bench/run.py` points DJANGO_SETTINGS_MODULE at
`benchsite.settings` (with bench/ on PYTHONPATH) for its database, its workers and its
gunicorn, so the product's code runs unchanged beside a no-op job kind and a ceiling
endpoint.
"""
