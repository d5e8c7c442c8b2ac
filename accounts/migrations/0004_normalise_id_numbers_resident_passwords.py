"""Issue 21 §5/§6: ID numbers stored as entered (fullwidth or Arabic-Indic digits, lower-case x) take their
one normalised form, so lookups find the person; residents, who log in by phone code, hold no usable
password. A number whose normalised form another account already holds is left as it is and reported:
merging two accounts is a decision for a person, not for a migration."""
from django.contrib.auth.hashers import make_password
from django.db import migrations


def normalise(apps, schema_editor):
    from accounts.validators import normalize_id_number

    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(id_number__isnull=True).exclude(id_number="").only("pk", "id_number"):
        number = normalize_id_number(user.id_number)
        if number == user.id_number:
            continue
        if User.objects.filter(id_number=number).exclude(pk=user.pk).exists():
            print(f"\n  accounts.User {user.pk}: ID number also held, normalised, by another account; left as is")
            continue
        User.objects.filter(pk=user.pk).update(id_number=number)
    for user in User.objects.filter(role="resident").exclude(password__startswith="!").only("pk"):
        User.objects.filter(pk=user.pk).update(password=make_password(None))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_notification")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
