"""The pages: a Norwegian (bokmål) web interface for every role, served by the pipeline itself.

Server-rendered (Jinja2, autoescaped), plain forms, every asset local. Pages call the very
functions the API's routes call, with the API's own role checks: no business rule lives here.
"""
