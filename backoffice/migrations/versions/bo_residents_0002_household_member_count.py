"""residents: each household keeps its number of members (household.member_count), kept by the database

Rules compare income and savings per person (household total ÷ members); counting the members of every
household on each campaign count took seconds at 1,000,000 residents (docs/performance.md, *Campaigns*).
The count is kept on write by triggers on ``resident``, so every writer (the ORM, a bulk COPY, the
bureau's own loaders on a replica's primary) keeps it right without knowing of it. On PostgreSQL the
triggers are per statement with transition tables (a COPY of a million rows updates each household
once) and add or subtract, so concurrent writers never lose a member (the UPDATE takes the row lock).

Revision ID: bo_residents_0002
Revises: bo_residents_events_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_residents_0002"
down_revision = "bo_residents_events_0001"
branch_labels = None
depends_on = None

# Net change of members per household, from the statement's transition tables (``added``, ``removed``).
_PG_FUNCTION = """
CREATE FUNCTION household_member_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE household h SET member_count = h.member_count + d.n
        FROM (SELECT household_id, count(*) AS n FROM added GROUP BY household_id) d WHERE h.id = d.household_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE household h SET member_count = h.member_count - d.n
        FROM (SELECT household_id, count(*) AS n FROM removed GROUP BY household_id) d WHERE h.id = d.household_id;
    ELSE
        UPDATE household h SET member_count = h.member_count + d.n
        FROM (
            SELECT household_id, sum(n) AS n
            FROM (SELECT household_id, 1 AS n FROM added UNION ALL SELECT household_id, -1 FROM removed) moved
            GROUP BY household_id HAVING sum(n) <> 0
        ) d WHERE h.id = d.household_id;
    END IF;
    RETURN NULL;
END $$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER household_member_count_insert AFTER INSERT ON resident REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION household_member_count()",
    "CREATE TRIGGER household_member_count_delete AFTER DELETE ON resident REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION household_member_count()",
    "CREATE TRIGGER household_member_count_update AFTER UPDATE ON resident "
    "REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION household_member_count()",
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER household_member_count_insert AFTER INSERT ON resident BEGIN "
    "UPDATE household SET member_count = member_count + 1 WHERE id = NEW.household_id; END",
    "CREATE TRIGGER household_member_count_delete AFTER DELETE ON resident BEGIN "
    "UPDATE household SET member_count = member_count - 1 WHERE id = OLD.household_id; END",
    "CREATE TRIGGER household_member_count_update AFTER UPDATE OF household_id ON resident "
    "WHEN OLD.household_id IS NOT NEW.household_id BEGIN "
    "UPDATE household SET member_count = member_count - 1 WHERE id = OLD.household_id; "
    "UPDATE household SET member_count = member_count + 1 WHERE id = NEW.household_id; END",
)
_TRIGGERS = ("household_member_count_insert", "household_member_count_delete", "household_member_count_update")


def upgrade() -> None:
    op.add_column("household", sa.Column("member_count", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE household SET member_count = (SELECT count(*) FROM resident WHERE resident.household_id = household.id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON resident" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        op.execute("DROP FUNCTION household_member_count()")
    with op.batch_alter_table("household") as batch:
        batch.drop_column("member_count")
