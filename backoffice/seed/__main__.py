"""`python -m backoffice.seed`: load the demo region into BACKOFFICE_DATABASE_URL."""

from backoffice.seed.load import seed
from common import logging_setup, settings
from common.db import make_engine

if __name__ == "__main__":
    config = settings.load()
    logging_setup.configure("seed", config.log_level)
    print(seed(make_engine(config.backoffice_database_url)))
