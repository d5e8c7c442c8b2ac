"""Admin for signing: seals, keepers, delegations and sealed decisions are read-mostly; the ledger is read-only.

Keys and certificates are created with the manage.py commands (signing_ca_create, signing_seal_issue/rotate/revoke),
never typed into a form; private key material is not shown.
"""
from django.contrib import admin

from signing.models import Checkpoint, Delegation, LedgerEntry, Seal, SealedDecision, SealKeeper


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SealKeeperInline(admin.TabularInline):
    model = SealKeeper
    fields = ["user", "granted_at", "removed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Seal)
class SealAdmin(ReadOnlyAdmin):
    list_display = ["serial", "unit", "status", "key_backend", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["status", "key_backend", "unit__kind"]
    search_fields = ["serial", "unit__name", "unit__code"]
    fields = ["serial", "unit", "name", "status", "key_backend", "cert_serial", "cert_fingerprint", "sm2_public_key",
              "valid_from", "valid_until", "revoked_at", "revocation_reason", "replaced_by", "record",
              "record_signature"]
    readonly_fields = fields
    inlines = [SealKeeperInline]


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ["serial", "unit", "valid_from", "valid_until", "revoked_at"]
    search_fields = ["serial", "unit__name"]
    readonly_fields = ["serial", "unit", "item_codes", "valid_from", "valid_until", "revoked_at", "record", "signature"]
    fields = readonly_fields


@admin.register(SealedDecision)
class SealedDecisionAdmin(ReadOnlyAdmin):
    list_display = ["case_id", "decision", "seal", "verification_code", "sealed_at"]
    search_fields = ["verification_code", "=case_id"]
    fields = ["case_id", "decision", "seal", "delegation", "sealed_by", "record_hash", "letter_sha256",
              "verification_code", "ledger_entry", "sealed_at"]
    readonly_fields = fields


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "kind", "subject", "created_at", "entry_hash"]
    list_filter = ["kind"]
    search_fields = ["subject", "entry_hash"]
    fields = ["seq", "kind", "subject", "payload", "created_at", "prev_hash", "entry_hash"]
    readonly_fields = fields


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["tree_size", "root_hash", "signed_at"]
    fields = ["tree_size", "root_hash", "head_hash", "signed_at", "signature"]
    readonly_fields = fields
