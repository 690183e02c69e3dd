"""Alembic environment for the platform database."""

from alembic import context

from common import settings
from common.db import make_engine
from web.models import Base

config = context.config
url = config.attributes.get("url") or settings.load().database_url
engine = make_engine(url)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
