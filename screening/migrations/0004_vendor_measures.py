"""aimswebPlus composites by the names the exports use (issue #15, screening/catalog.py).

The Math composite read "Concepts & Applications" (a subtest) as itself and skipped the rows
named "Math" and "Early Numeracy"; "Reading Composite" moves to the new Reading composite
(aimsweb-reading, added to each district by services.catalog_ensure). Only these names change:
a district's own edits of import_names are kept.
"""

from django.db import migrations

DROP = {"aimsweb-math": ["Concepts & Applications"], "aimsweb-early-literacy": ["Reading Composite"]}
ADD = {"aimsweb-math": ["Math", "Early Numeracy"]}


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def forwards(apps, schema_editor):
    Measure = apps.get_model("screening", "Measure")
    for measure in Measure.objects.filter(key__in=list(DROP), assessment__format="aimsweb"):
        dropped = {_key(n) for n in DROP.get(measure.key, [])}
        names = [n for n in measure.import_names or [] if _key(n) not in dropped]
        taken = {_key(n) for n in names}
        names += [n for n in ADD.get(measure.key, []) if _key(n) not in taken]
        if names != measure.import_names:
            measure.import_names = names
            measure.save(update_fields=["import_names"])


def backwards(apps, schema_editor):
    Measure = apps.get_model("screening", "Measure")
    for measure in Measure.objects.filter(key="aimsweb-math", assessment__format="aimsweb"):
        added = {_key(n) for n in ADD["aimsweb-math"]}
        names = [n for n in measure.import_names or [] if _key(n) not in added]
        measure.import_names = [*names, "Concepts & Applications"]
        measure.save(update_fields=["import_names"])


class Migration(migrations.Migration):
    dependencies = [("screening", "0003_safe_entry")]

    operations = [migrations.RunPython(forwards, backwards)]
