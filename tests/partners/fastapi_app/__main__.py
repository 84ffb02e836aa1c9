"""python -m tests.partners.fastapi_app: serve the corpus app as the README's contract says."""

from tests.partners.fastapi_app.server import serve

if __name__ == "__main__":
    serve()
