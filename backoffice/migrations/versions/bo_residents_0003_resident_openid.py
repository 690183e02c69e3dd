"""residents: each resident keeps the openid a campaign reaches them at (resident.openid), kept by the database

A campaign pushes to one WeChat per resident: the least openid among their bindings without an end (a web
chat sign-in's binding ends and cannot be pushed to). Grouping the 350,000 bindings of 1,000,000 residents
on every count of the campaign builder took half a second (docs/performance.md, *Campaigns*), so the
registry keeps it on the resident, set by triggers on ``wechat_binding`` whoever writes it (the back-office's
bind and unbind, a bulk COPY, the bureau's own loaders on a replica's primary). The triggers recount the
residents a statement touched rather than adding and subtracting: a binding may move to another resident,
and the least openid cannot be undone by subtraction. On PostgreSQL they run once per statement (transition
tables) and lock the touched residents before recounting, so the recount's fresh snapshot sees a binding a
concurrent writer committed for the same resident.

Revision ID: bo_residents_0003
Revises: bo_residents_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "bo_residents_0003"
down_revision = "bo_residents_0002"
branch_labels = None
depends_on = "bo_identity_0002"  # wechat_binding.expires_at


# The least openid of the resident row being set, among its bindings without an end. The end is a FILTER,
# not a condition: as a condition, PostgreSQL without statistics (a bulk load in one transaction) read it
# from the index on expires_at, which holds every WeChat binding, once per resident (144 s for 35,000).
_OWN = (
    "(SELECT min(b.openid) FILTER (WHERE b.expires_at IS NULL) FROM wechat_binding b WHERE b.resident_id = resident.id)"
)

_PG_FUNCTION = """
CREATE FUNCTION resident_openid() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT resident_id) INTO touched FROM added;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT resident_id) INTO touched FROM removed;
    ELSE
        SELECT array_agg(DISTINCT resident_id) INTO touched
        FROM (SELECT resident_id FROM added UNION SELECT resident_id FROM removed) moved;
    END IF;
    PERFORM 1 FROM resident JOIN unnest(touched) AS t(id) ON resident.id = t.id ORDER BY resident.id
    FOR UPDATE OF resident;
    UPDATE resident SET openid = kept.openid
    FROM (
        SELECT t.id, min(b.openid) FILTER (WHERE b.expires_at IS NULL) AS openid
        FROM unnest(touched) AS t(id) LEFT JOIN wechat_binding b ON b.resident_id = t.id
        GROUP BY t.id
    ) kept
    WHERE resident.id = kept.id AND resident.openid IS DISTINCT FROM kept.openid;
    RETURN NULL;
END $$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER resident_openid_insert AFTER INSERT ON wechat_binding REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION resident_openid()",
    "CREATE TRIGGER resident_openid_delete AFTER DELETE ON wechat_binding REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION resident_openid()",
    "CREATE TRIGGER resident_openid_update AFTER UPDATE ON wechat_binding "
    "REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION resident_openid()",
)
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER resident_openid_insert AFTER INSERT ON wechat_binding BEGIN "
    f"UPDATE resident SET openid = {_OWN} WHERE id = NEW.resident_id; END",
    f"CREATE TRIGGER resident_openid_delete AFTER DELETE ON wechat_binding BEGIN "
    f"UPDATE resident SET openid = {_OWN} WHERE id = OLD.resident_id; END",
    f"CREATE TRIGGER resident_openid_update AFTER UPDATE ON wechat_binding BEGIN "
    f"UPDATE resident SET openid = {_OWN} WHERE id IN (OLD.resident_id, NEW.resident_id); END",
)
_TRIGGERS = ("resident_openid_insert", "resident_openid_delete", "resident_openid_update")


def upgrade() -> None:
    op.add_column("resident", sa.Column("openid", sa.String(64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    op.execute(
        f"UPDATE resident SET openid = {_OWN} "
        "WHERE id IN (SELECT resident_id FROM wechat_binding WHERE expires_at IS NULL)"
    )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON wechat_binding" if postgresql else f"DROP TRIGGER {name}")
    if postgresql:
        op.execute("DROP FUNCTION resident_openid()")
    # not in a batch: SQLite would copy the table and lose its member-count triggers (bo_residents_0002)
    op.drop_column("resident", "openid")
