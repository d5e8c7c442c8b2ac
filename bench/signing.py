"""Benchmark of the signing module: SM2, full sealed letters, letter verification, and bare pyHanko for reference.

    .venv/bin/python bench/signing.py [--letters 60] [--verifications 200] [--pg postgres://postgres@127.0.0.1:5432]

Uses a throw-away database: PostgreSQL (`bench_signing`, re-created) when --pg is given, else an in-memory SQLite.
Loads the organisation and catalog, creates the CA and a seal, then measures in one process:
  * SM2/SM3 signatures/s and verifications/s over a canonical approval record (gmssl-pyx, C);
  * full sealed letters/s: decision_seal = code check + seal/keeper checks + SM2 + render (reportlab)
    + PAdES with the visible seal (pyHanko) + ledger append, one transaction each;
  * PDF verifications/s: letter_verify = pyHanko validation + certificate/revocation + SM2 + keeper + ledger proof;
  * bare pyHanko: the same visible PAdES signature on the same pre-rendered PDF, nothing else.
Not a test: nothing here asserts; the targets are printed next to the figures.
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=60)
    parser.add_argument("--verifications", type=int, default=200)
    parser.add_argument("--sm2", type=int, default=1000)
    parser.add_argument("--pg", default="", help="PostgreSQL server URL; default: in-memory SQLite")
    return parser.parse_args()


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:8.1f}/s  ({count} in {seconds:.2f} s)"


def main():
    args = parse_args()
    if args.pg:
        import psycopg

        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_signing WITH (FORCE)")
            conn.execute("CREATE DATABASE bench_signing")
        os.environ["DATABASE_URL"] = f"{args.pg}/bench_signing"
    else:
        os.environ["DATABASE_URL"] = "sqlite://:memory:"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    null = open(os.devnull, "w")
    call_command("migrate", verbosity=0, stdout=null)
    call_command("load_organisation", verbosity=0, stdout=null)
    call_command("load_catalog", verbosity=0, stdout=null)

    from accounts.models import User
    from bookings.models import ServiceItem
    from signing import crypto, keys
    from signing.letter import bare_sign, letter_render
    from signing.selectors import letter_verify
    from signing.services import approval_record_build, ca_create, confirmation_issue, decision_seal, seal_issue
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

    print(f"signing benchmark · database {django.db.connection.vendor} · 1 process")

    # SM2 / SM3
    message = crypto.canonical(record(1))
    private, public = keys.seal_sm2_private_key(seal), bytes.fromhex(seal.sm2_public_key[2:])
    start = time.perf_counter()
    signatures = [crypto.sm2_sign(private, public, message) for _ in range(args.sm2)]
    sm2_sign_s = time.perf_counter() - start
    start = time.perf_counter()
    assert all(crypto.sm2_verify(public, message, s) for s in signatures)
    sm2_verify_s = time.perf_counter() - start
    print(f"SM2 signatures            {rate(args.sm2, sm2_sign_s)}")
    print(f"SM2 verifications         {rate(args.sm2, sm2_verify_s)}")

    # Warm-up (font registration, key unlock, imports) outside the timings.
    warm = record(10**6)
    decision_seal(record=warm, unit=unit, user=keeper,
                  confirmation_code=confirmation_issue(user=keeper, case_id=warm["case_id"], record=warm))

    # Full sealed letters: codes issued first (a person types them); decision_seal timed.
    pending = []
    for case_id in range(1, args.letters + 1):
        rec = record(case_id)
        pending.append((rec, confirmation_issue(user=keeper, case_id=case_id, record=rec)))
    start = time.perf_counter()
    letters = [decision_seal(record=rec, unit=unit, user=keeper, confirmation_code=code, resident_name="张秀英")
               for rec, code in pending]
    full_s = time.perf_counter() - start
    print(f"full sealed letters       {rate(len(letters), full_s)}   render + SM2 + PAdES + ledger, 1 txn each")

    # Bare pyHanko on the same pre-rendered letter with the same key and seal picture.
    pdf = letter_render(record=record(1), resident_name="张秀英", verification_code="A" * 16,
                        verification_url="http://127.0.0.1:8000/verify/?code=" + "A" * 16,
                        bureau_name="菏泽市医疗保障局", seal_serial=seal.serial)
    signer = keys.seal_pdf_signer(seal)
    bare_sign(pdf=pdf, signer=signer, seal_png=bytes(seal.picture_png))
    start = time.perf_counter()
    for _ in range(args.letters):
        bare_sign(pdf=pdf, signer=signer, seal_png=bytes(seal.picture_png))
    bare_s = time.perf_counter() - start
    print(f"bare pyHanko signing      {rate(args.letters, bare_s)}   same PDF, same key, same visible seal")

    # Verification of the sealed letters: cold (every check, PAdES validated from scratch) and warm (a registered
    # letter's PAdES result comes from the cache; certificate status, keepers, delegation, SM2 and the ledger are
    # still checked against the database each time).
    blobs = [bytes(sealed.letter_pdf) for sealed in letters]
    letter_verify(pdf=blobs[0], use_cache=False)
    start = time.perf_counter()
    results = [letter_verify(pdf=blobs[i % len(blobs)], use_cache=False) for i in range(args.verifications)]
    cold_s = time.perf_counter() - start
    valid = sum(r["valid"] for r in results)
    print(f"PDF verifications, cold   {rate(args.verifications, cold_s)}   all six checks; {valid} valid")
    for blob in blobs:
        letter_verify(pdf=blob)
    start = time.perf_counter()
    results = [letter_verify(pdf=blobs[i % len(blobs)]) for i in range(args.verifications)]
    verify_s = time.perf_counter() - start
    valid = sum(r["valid"] for r in results)
    print(f"PDF verifications, warm   {rate(args.verifications, verify_s)}   PAdES result cached; {valid} valid")

    full_rate, bare_rate, verify_rate = len(letters) / full_s, args.letters / bare_s, args.verifications / verify_s
    print(f"full / bare               {full_rate / bare_rate:8.2f}      target ≥ 0.50 "
          f"{'met' if full_rate >= bare_rate / 2 else 'NOT met'}")
    cold_rate = args.verifications / cold_s
    print(f"verification cold / warm  {cold_rate:8.1f}/s / {verify_rate:.1f}/s   target ≥ 100/s: cold "
          f"{'met' if cold_rate >= 100 else 'NOT met'}, warm {'met' if verify_rate >= 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
