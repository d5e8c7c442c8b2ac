"""What the signing services share: the record's constants, the bureau CA in force, time and name formats."""
import datetime

from django.utils.translation import gettext as _

from core.errors import ServiceError
from signing import crypto
from signing.models import CertificateAuthority

RECORD_TYPE = "medical-insurance-decision"


SEAL_SIGNATURE_FORMAT = "vc-seal-signature"


DECISIONS = ("approve", "reject")


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def mask_name(name: str) -> str:
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def ca_active() -> CertificateAuthority:
    ca = CertificateAuthority.objects.filter(active=True).first()
    if ca is None:
        raise ServiceError(_("尚未创建电子印章根证书，请先运行 manage.py signing_ca_create。"), code="no_ca")
    return ca


def ca_private_key(ca: CertificateAuthority):
    return crypto.private_key_from_encrypted_pem(ca.key_pem)
