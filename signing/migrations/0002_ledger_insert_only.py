"""On PostgreSQL the ledger table refuses UPDATE and DELETE (a trigger); SQLite relies on the ORM guards."""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION signing_ledger_insert_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'signing_ledgerentry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER signing_ledger_insert_only
    BEFORE UPDATE OR DELETE ON signing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION signing_ledger_insert_only();
"""
DROP = """
DROP TRIGGER IF EXISTS signing_ledger_insert_only ON signing_ledgerentry;
DROP FUNCTION IF EXISTS signing_ledger_insert_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("signing", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False)]
