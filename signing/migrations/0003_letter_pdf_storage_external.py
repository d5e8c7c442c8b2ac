"""On PostgreSQL the letter column is stored out of line without compression (STORAGE EXTERNAL): a signed PDF is
compressed already, so TOAST's attempt to compress each ~110 kB letter on insert only costs time."""
from django.db import migrations

EXTERNAL = "ALTER TABLE signing_sealeddecision ALTER COLUMN letter_pdf SET STORAGE EXTERNAL"
EXTENDED = "ALTER TABLE signing_sealeddecision ALTER COLUMN letter_pdf SET STORAGE EXTENDED"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [("signing", "0002_ledger_insert_only")]

    operations = [migrations.RunPython(_on_postgresql(EXTERNAL), _on_postgresql(EXTENDED), elidable=False)]
