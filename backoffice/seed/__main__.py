"""`python -m backoffice.seed`: load the demo region into BACKOFFICE_DATABASE_URL."""
from common import logging_setup, settings
from common.db import make_engine
from backoffice.seed.load import seed

if __name__ == "__main__":
    config = settings.load()
    logging_setup.configure("seed", config.log_level)
    print(seed(make_engine(config.backoffice_database_url)))
