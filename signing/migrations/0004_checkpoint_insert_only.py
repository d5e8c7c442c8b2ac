"""On PostgreSQL the checkpoint table refuses UPDATE and DELETE like the ledger (a trigger); SQLite relies on the ORM
guards (models.Checkpoint) and on the copy of every checkpoint outside the database (signing/checkpoint_store.py)."""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION signing_checkpoint_insert_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'signing_checkpoint is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER signing_checkpoint_insert_only
    BEFORE UPDATE OR DELETE ON signing_checkpoint
    FOR EACH ROW EXECUTE FUNCTION signing_checkpoint_insert_only();
"""
DROP = """
DROP TRIGGER IF EXISTS signing_checkpoint_insert_only ON signing_checkpoint;
DROP FUNCTION IF EXISTS signing_checkpoint_insert_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("signing", "0003_letter_pdf_storage_external")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False)]
