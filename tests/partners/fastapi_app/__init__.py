"""The corpus partner app on FastAPI / Starlette, served by uvicorn (see ../README.md).

`create_app(case)` builds one case's app; `python -m tests.partners.fastapi_app` serves the
case-switching dispatcher over TLS as the README's contract describes.
"""

from tests.partners.fastapi_app.app import Settings, create_app, known_cases

__all__ = ["Settings", "create_app", "known_cases"]
