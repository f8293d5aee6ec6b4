"""A district leaves (issue 18, item 5): export everything it owns, then purge it, deliberately and provably.

The README says the product never deletes students *silently*. Offboarding is the one way a district's
records all go, and it is built so nobody can do it by accident or without proof:

1. `export_district` writes one zip of CSVs, one per district table (mtss.rls.district_models(), plus
   the many-to-many tables that hang off them without a district column of their own), and a manifest
   with each file's row count and sha256. The manifest also sits beside the zip, with the zip's sha256.
2. `purge_district` refuses unless the confirmation text is the district's slug and every count in the
   manifest equals what the database holds now (nothing was added or removed since the export: the
   export is then a complete copy of what goes). It deletes every row of the district in every district
   table, children before parents, in ONE transaction, as the owner: the access log is append-only for
   the application role (mtss.rls, mtss.access_log_partitions), so only the owner may delete it whole.
   It recounts inside the transaction (every table must hold zero rows of the district) before commit.
3. The proof survives the purge outside the district's data: a report file (JSON) beside the manifest,
   with the manifest's and the zip's sha256, the per-table counts deleted, the zero recount and the time.
   It is written before the commit and renamed to its final name only after it, so a final report
   exists exactly when the purge committed. The District row itself (name, slug) is kept, so the slug
   is not reused and the report's district id stays meaningful.

What is not a district's to delete stays: user accounts are global (their memberships in the district
go), and so does everything of other districts (every statement names the district id).

It lives in reports, the top layer, because a district's tables span every app.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from mtss import rls, tenancy
from mtss.models import District

MANIFEST = "manifest.json"


class OffboardRefused(Exception):
    """The purge will not run: wrong confirmation, a manifest of another district, or data changed."""


@dataclass(frozen=True)
class Table:
    """One table of the district: its model and the SQL condition that selects the district's rows."""

    model: type[Model]
    # SQL selecting the district's rows, with one %s for the district id.
    where: str

    @property
    def name(self) -> str:
        return self.model._meta.db_table


def _dependents(owned: set[type[Model]]) -> list[tuple[type[Model], str, type[Model]]]:
    """Tables without a district column whose rows belong to a district row (today: the auto-created
    many-to-many tables of PdsaCycle). (model, fk column, district model it points at)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model in owned or model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in owned:
                found.append((model, field.column, field.related_model))
                break  # one owning parent is enough to scope the row
    return found


def district_tables() -> list[Table]:
    """Every table holding a district's rows, children before the parents they point at (the delete
    order; the foreign keys are deferred, but a plain order keeps the purge readable and checkable)."""
    owned = set(rls.district_models())
    quote = connection.ops.quote_name
    tables = {
        model: Table(model, f"{quote('district_id')} = %s") for model in sorted(owned, key=lambda m: m._meta.db_table)
    }
    for model, column, parent in _dependents(owned):
        tables[model] = Table(
            model,
            f"{quote(column)} IN (SELECT {quote(parent._meta.pk.column)} FROM {quote(parent._meta.db_table)} "
            f"WHERE {quote('district_id')} = %s)",
        )
    # Topological order: a table comes before every table it points at (Kahn's algorithm, by name).
    points_at = {
        model: {
            f.related_model
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model in tables and f.related_model is not model
        }
        for model in tables
    }
    ordered: list[Table] = []
    remaining = dict(points_at)
    while remaining:
        # A table nobody remaining points at can go now.
        free = sorted(
            (m for m in remaining if not any(m in deps for other, deps in remaining.items() if other is not m)),
            key=lambda m: m._meta.db_table,
        )
        if not free:  # a cycle (deferred foreign keys make any order valid): the rest by name
            free = sorted(remaining, key=lambda m: m._meta.db_table)
        for model in free:
            ordered.append(tables[model])
            remaining.pop(model)
    return ordered


def _counts(cursor, district: District, tables: list[Table]) -> dict[str, int]:
    quote = connection.ops.quote_name
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {quote(table.name)} WHERE {table.where}", [district.pk])
        counts[table.name] = cursor.fetchone()[0]
    return counts


def _cell(value) -> str:
    # CSV has no null: an empty cell is None (or an empty string); JSON columns are written as JSON.
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _write_csv(archive: zipfile.ZipFile, district: District, table: Table) -> tuple[str, int]:
    """Stream the district's rows of `table` into the zip (a server-side cursor, a block at a time: the
    access log alone can hold millions of rows); return the file's sha256 and its row count."""
    quote = connection.ops.quote_name
    columns = [f.column for f in table.model._meta.concrete_fields]
    digest = hashlib.sha256()
    rows = 0
    with archive.open(f"{table.name}.csv", "w") as raw, connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)} WHERE {table.where} "
            f"ORDER BY {quote(table.model._meta.pk.column)}",
            [district.pk],
        )
        block = [columns]
        while True:
            out = io.StringIO()
            csv.writer(out).writerows(block)
            data = out.getvalue().encode("utf-8")
            raw.write(data)
            digest.update(data)
            block = [[_cell(v) for v in row] for row in cursor.fetchmany(2000)]
            if not block:
                break
            rows += len(block)
    return digest.hexdigest(), rows


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Export:
    zip_path: Path
    manifest_path: Path
    manifest: dict


def export_district(*, district: District, directory: Path) -> Export:
    """Write `<slug>-<UTC time>.zip` (a CSV per district table and manifest.json) and, beside it,
    `<slug>-<UTC time>.manifest.json` (the same manifest plus the zip's sha256). One transaction, as
    the owner, so every count is of the rows actually written to its file."""
    directory.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    stem = f"{district.slug}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    zip_path, manifest_path = directory / f"{stem}.zip", directory / f"{stem}.manifest.json"
    tables = district_tables()
    files = {}
    with tenancy.owner_mode(), tenancy.tenant_context(district), transaction.atomic():
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in tables:
                digest, rows = _write_csv(archive, district, table)
                files[table.name] = {"file": f"{table.name}.csv", "rows": rows, "sha256": digest}
            manifest = {
                "district": {"id": district.pk, "slug": district.slug, "name": district.name},
                "exported_at": now.isoformat(),
                "tables": files,
                "total_rows": sum(f["rows"] for f in files.values()),
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    outside = {**manifest, "zip": {"file": zip_path.name, "sha256": sha256_file(zip_path)}}
    manifest_path.write_text(json.dumps(outside, indent=2, sort_keys=True), encoding="utf-8")
    return Export(zip_path=zip_path, manifest_path=manifest_path, manifest=outside)


def _read_manifest(path: Path, district: District) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        tables = {name: int(entry["rows"]) for name, entry in manifest["tables"].items()}
        slug = manifest["district"]["slug"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise OffboardRefused(f"--export-manifest: cannot read {path}: {error}") from error
    if slug != district.slug or manifest["district"].get("id") != district.pk:
        raise OffboardRefused(f"--export-manifest: {path} is the export of {slug!r}, not of {district.slug!r}")
    # No purge without its copy: the zip must be beside the manifest, byte for byte what was exported.
    archive = path.with_name(str(manifest.get("zip", {}).get("file", "")))
    if not archive.is_file() or sha256_file(archive) != manifest["zip"].get("sha256"):
        raise OffboardRefused(f"--export-manifest: the export's zip {archive.name!r} is missing or altered")
    return {**manifest, "rows": tables}


def changes_since(exported: dict[str, int], now: dict[str, int]) -> dict[str, tuple[int, int]]:
    """{table: (rows in the export, rows now)} for every table that differs."""
    return {
        name: (exported.get(name, 0), now.get(name, 0))
        for name in sorted(set(exported) | set(now))
        if exported.get(name, 0) != now.get(name, 0)
    }


def purge_district(*, district: District, confirm: str | None, manifest_path: Path) -> dict:
    """Delete every row of `district` in every district table, all or nothing; return the final report
    (also written as `<manifest stem>.purge-report.json` beside the manifest). Raises OffboardRefused,
    deleting nothing, on a wrong confirmation or when the database no longer matches the export."""
    if confirm != district.slug:
        raise OffboardRefused(f"--confirm: type the district's slug ({district.slug}) to purge it")
    manifest = _read_manifest(manifest_path, district)
    tables = district_tables()
    quote = connection.ops.quote_name
    stem = manifest_path.name.removesuffix(".manifest.json")
    report_path = manifest_path.with_name(f"{stem}.purge-report.json")
    pending = report_path.with_name(report_path.name + ".pending")
    started = timezone.now()
    try:
        with tenancy.owner_mode(), tenancy.tenant_context(district):
            with transaction.atomic(), connection.cursor() as cursor:
                # One offboarding of a district at a time. (It does not stop a request of the district
                # writing meanwhile: sign its users out first, README "Offboarding a district".)
                cursor.execute(f"SELECT 1 FROM {quote('mtss_district')} WHERE id = %s FOR UPDATE", [district.pk])
                changed = changes_since(manifest["rows"], _counts(cursor, district, tables))
                if changed:
                    raise OffboardRefused(
                        "The district's data changed since the export; export again, then purge. "
                        + "; ".join(f"{name}: exported {was}, now {now}" for name, (was, now) in changed.items())
                    )
                deleted = {}
                for table in tables:
                    cursor.execute(f"DELETE FROM {quote(table.name)} WHERE {table.where}", [district.pk])
                    deleted[table.name] = cursor.rowcount
                left = {name: n for name, n in _counts(cursor, district, tables).items() if n}
                if left or changes_since(manifest["rows"], deleted):
                    raise RuntimeError(f"Offboard purge: rows left or miscounted, rolled back: {left or deleted}")
                cursor.execute("SELECT current_user")
                role = cursor.fetchone()[0]
                report = {
                    "district": manifest["district"],
                    "purged_at": timezone.now().isoformat(),
                    "started_at": started.isoformat(),
                    "database_role": role,
                    "export": {
                        "manifest": manifest_path.name,
                        "manifest_sha256": sha256_file(manifest_path),
                        "zip": manifest.get("zip"),
                        "exported_at": manifest.get("exported_at"),
                    },
                    "deleted": deleted,
                    "total_deleted": sum(deleted.values()),
                    "rows_left": dict.fromkeys(deleted, 0),
                }
                # Written before the commit; it takes its final name only once the commit succeeded.
                pending.write_text(json.dumps(report, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(pending, report_path)
    finally:
        pending.unlink(missing_ok=True)
    report["report"] = {"file": str(report_path), "sha256": sha256_file(report_path)}
    return report
