"""Benchmark of the signing module: SM2, full sealed letters, letter verification, and bare pyHanko for reference.

    .venv/bin/python bench/signing.py [--letters 60] [--pg postgres://postgres@127.0.0.1:5432[/dbname][?options]]

Uses a throw-away database: PostgreSQL when --pg is given (the URL's database, default `bench_signing`, dropped and
re-created: give it one of your own; options as in DATABASE_URL; prepared statements are on as in production,
DB_PREPARE_THRESHOLD=0 in the environment turns them off, see config/settings.py), else an in-memory SQLite.
Loads the organisation and catalog, creates the CA and a seal, then measures in one process:
  * SM2/SM3 signatures/s and verifications/s over a canonical approval record (gmssl-pyx, C);
  * full sealed letters/s: decision_seal = code check + seal/keeper checks + SM2 + render (reportlab)
    + PAdES with the visible seal (pyHanko) + ledger append, one transaction each;
  * PDF verifications/s: letter_verify = every check (pyHanko's validation of the PAdES signature at its trusted
    (ledger) time: integrity, coverage, chain to the CA, certificate and CRL; the seal register, SM2, keeper/delegation,
    ledger entry and its inclusion proof), twice:
      cold: everything the process keeps for verification is dropped before each letter (CA certificates and
            CRLs, checkpoint leaves, CA signatures over seal records): a process's first letter;
      warm: a running process that has verified some letter before; every letter verified is a different one
            (nothing about a particular letter is kept, so this is the realistic case and the floor's);
  * bare pyHanko: the same visible PAdES signature on the same pre-rendered PDF, nothing else.
Not a test: nothing here asserts; the floors are printed next to the figures.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=60)
    parser.add_argument("--sm2", type=int, default=1000)
    parser.add_argument("--pg", default="", help="PostgreSQL server URL; default: in-memory SQLite")
    return parser.parse_args()


class Timer:
    """Wall time and this process's CPU time: on a shared machine the CPU rate is the steadier figure."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def rate(count: int, timer: "Timer") -> str:
    return f"{count / timer.wall:8.1f}/s wall {count / timer.cpu:8.1f}/s CPU  ({count} in {timer.wall:.2f} s)"


def main():
    args = parse_args()
    if args.pg:
        import psycopg

        url, _sep, query = args.pg.partition("?")
        scheme, _sep, rest = url.rstrip("/").partition("://")
        host, _slash, name = rest.partition("/")
        server, name = f"{scheme}://{host}", name or "bench_signing"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{server}/{name}" + (f"?{query}" if query else "")
    else:
        os.environ["DATABASE_URL"] = "sqlite://:memory:"
    os.environ["DATABASE_REPLICA_URL"] = ""
    # A fresh ledger needs a fresh checkpoint store: verification compares the two, and an earlier run's exported
    # checkpoints would (rightly) make every letter of this one fail.
    os.environ["CHECKPOINT_STORAGE_LOCATION"] = tempfile.mkdtemp(prefix="bench-signing-checkpoints-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    null = open(os.devnull, "w")
    call_command("migrate", verbosity=0, stdout=null)
    call_command("load_organisation", verbosity=0, stdout=null)
    call_command("load_catalog", verbosity=0, stdout=null)

    from accounts.models import User
    from bookings.models import ServiceItem
    from signing import crypto, keys
    from signing.letter import bare_sign, letter_render
    from signing.selectors import letter_verify, verification_caches_clear
    from signing.services import (
        approval_record_build,
        ca_create,
        checkpoint_create,
        confirmation_issue,
        decision_seal,
        seal_issue,
    )
    from stations.models import StaffMembership, Unit

    unit = Unit.objects.get(code="371702000")
    keeper = User.objects.create(username="bench-keeper", role=User.Role.REVIEWER, real_name="审核员")
    StaffMembership.objects.create(user=keeper, unit=unit, is_reviewer=True, is_seal_keeper=True)
    ca_create()
    seal = seal_issue(unit=unit, keepers=[keeper])
    item = ServiceItem.objects.filter(approval_level="county").first()

    def record(case_id):
        return approval_record_build(
            case_id=case_id, item_code=item.code, item_name=item.name, decision="approve", reason="材料齐全，符合规定",
            reviewer=keeper, unit=unit, materials=[{"name": f"材料{i}", "sha256": f"{i:064x}"} for i in range(4)],
            resident_id_number="371702196001010015", resident_name="张秀英", decided_at=timezone.now())

    prepare = django.db.connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold")
    print(f"signing benchmark · database {django.db.connection.vendor} · 1 process"
          + (f" · prepare_threshold {prepare}" if prepare is not None else ""))

    # SM2 / SM3
    message = crypto.canonical(record(1))
    private, public = keys.seal_sm2_private_key(seal), bytes.fromhex(seal.sm2_public_key[2:])
    with Timer() as sm2_sign_s:
        signatures = [crypto.sm2_sign(private, public, message) for _ in range(args.sm2)]
    with Timer() as sm2_verify_s:
        assert all(crypto.sm2_verify(public, message, s) for s in signatures)
    print(f"SM2 signatures            {rate(args.sm2, sm2_sign_s)}")
    print(f"SM2 verifications         {rate(args.sm2, sm2_verify_s)}")

    # Warm-up (font registration, key unlock, imports) outside the timings.
    warm = record(10**6)
    warm_sealed = decision_seal(record=warm, unit=unit, user=keeper,
                                confirmation_code=confirmation_issue(user=keeper, case_id=warm["case_id"], record=warm))

    # Full sealed letters: codes issued first (a person types them); decision_seal timed.
    pending = []
    for case_id in range(1, args.letters + 1):
        rec = record(case_id)
        pending.append((rec, confirmation_issue(user=keeper, case_id=case_id, record=rec)))
    with Timer() as full_s:
        letters = [decision_seal(record=rec, unit=unit, user=keeper, confirmation_code=code, resident_name="张秀英")
                   for rec, code in pending]
    print(f"full sealed letters       {rate(len(letters), full_s)}   render + SM2 + PAdES + ledger, 1 txn each")

    # Bare pyHanko on the same pre-rendered letter with the same key and seal picture.
    rendered = letter_render(record=record(1), resident_name="张秀英", verification_code="A" * 16,
                             verification_url="http://127.0.0.1:8000/verify/?code=" + "A" * 16,
                             bureau_name="菏泽市医疗保障局", seal_serial=seal.serial)
    signer = keys.seal_pdf_signer(seal)
    bare_sign(letter=rendered, signer=signer, seal_png=bytes(seal.picture_png))
    with Timer() as bare_s:
        for _ in range(args.letters):
            bare_sign(letter=rendered, signer=signer, seal_png=bytes(seal.picture_png))
    print(f"bare pyHanko signing      {rate(args.letters, bare_s)}   same PDF, same key, same visible seal")

    # Verification. Beat signs a ledger checkpoint every 10 minutes: the letters are covered by one, as letters
    # older than 10 minutes are (a newer one is checked by walking the chain after it instead).
    checkpoint_create()
    blobs = [bytes(sealed.letter_pdf) for sealed in letters]

    def verify_cold(blob):
        verification_caches_clear()
        return letter_verify(pdf=blob)

    with Timer() as cold_s:
        cold_valid = sum(verify_cold(blob)["valid"] for blob in blobs)
    verification_caches_clear()
    letter_verify(pdf=bytes(warm_sealed.letter_pdf))  # the process has verified a letter before (not these)
    with Timer() as warm_s:
        warm_valid = sum(letter_verify(pdf=blob)["valid"] for blob in blobs)
    with CaptureQueriesContext(connection) as queries:
        letter_verify(pdf=bytes(warm_sealed.letter_pdf))
    per_letter = len(queries.captured_queries)
    print(f"PDF verifications, cold   {rate(len(blobs), cold_s)}   every check, process caches emptied before each; "
          f"{cold_valid} valid")
    print(f"PDF verifications, warm   {rate(len(blobs), warm_s)}   every check, each letter a new one; "
          f"{warm_valid} valid; {per_letter} queries per letter")

    for label, key in (("wall", "wall"), ("CPU", "cpu")):
        full_rate, bare_rate = len(letters) / getattr(full_s, key), args.letters / getattr(bare_s, key)
        cold_rate, warm_rate = len(blobs) / getattr(cold_s, key), len(blobs) / getattr(warm_s, key)
        # The floors of demand (docs/bench): sealing ≥ 5 letters/s, verification ≥ 50/s.
        print(f"[{label:4}] sealed {full_rate:.1f}/s (floor ≥ 5/s: {'met' if full_rate >= 5 else 'NOT met'}; "
              f"{full_rate / bare_rate:.2f} × bare pyHanko); verification warm {warm_rate:.1f}/s "
              f"(floor ≥ 50/s: {'met' if warm_rate >= 50 else 'NOT met'}), cold {cold_rate:.1f}/s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average during the run: {load:.1f} on {os.cpu_count()} CPUs (other processes share the machine)")

if __name__ == "__main__":
    main()
