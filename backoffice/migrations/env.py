"""Alembic environment for the back-office database."""

from alembic import context

from backoffice.models import Base
from common import settings
from common.db import make_engine

config = context.config
url = config.attributes.get("url") or settings.load().backoffice_database_url
engine = make_engine(url)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
