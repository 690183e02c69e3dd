from tests.assistance.conftest import backoffice_db, backoffice_process, platform_db, verified  # noqa: F401
from tests.benefits_api import actions_backoffice, backoffice  # noqa: F401
