"""The corpus partner app on Flask (Werkzeug): see ../README.md for the contract it keeps.

`create_app(case)` is the app factory, one fresh app per case; `CorpusDispatcher` is the WSGI
app the server runs, switching cases on `POST /__corpus/case`. `python -m
tests.partners.flask_app` serves it over TLS with the settings from the environment.
"""

from tests.partners.flask_app.app import CASES, CorpusDispatcher, Settings, create_app

__all__ = ["CASES", "CorpusDispatcher", "Settings", "create_app"]
