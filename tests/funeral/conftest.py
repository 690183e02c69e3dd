from tests.benefits_api import backoffice  # noqa: F401  (the fixture)
