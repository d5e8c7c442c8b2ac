"""GB/T 38540-2020 (安全电子签章密码技术规范, version 4) electronic seal `SESeal` and electronic signature
`SES_Signature`: the ASN.1 structures, how they are built and signed, and how they are checked.

No Django here: the offline verifier uses `signature_checks` too. The SM2 signatures are over the DER of
`SES_SealInfo` (the seal maker's) and of `TBS_Sign` (the seal holder's), SM2-with-SM3 with the default signer ID.
"""
import datetime
from dataclasses import dataclass

import gmssl_pyx
from asn1crypto import core

from signing import sm2_certs

SES_ID = "ES"
SES_VERSION = 4
VENDOR_ID = "VCMI"  # 厂商标识 (Vid): this project
SEAL_TYPE_ORGANIZATION = 1  # 单位印章
CERT_LIST_TYPE_CERTS = 1  # the list holds the seal holders' certificates themselves
SEAL_SIZE_MM = 42  # display size of a round official seal


# --- The ASN.1 of GB/T 38540-2020 ---------------------------------------------------------------
class SESHeader(core.Sequence):
    _fields = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class CertInfoList(core.SequenceOf):
    _child_spec = core.OctetString  # each a DER X.509 certificate (certListType 1)


class SESESPropertyInfo(core.Sequence):
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("cert_list_type", core.Integer),
        ("cert_list", CertInfoList),  # SES_CertList, the `certs` alternative (certListType 1)
        ("create_date", core.GeneralizedTime),
        ("valid_start", core.GeneralizedTime),
        ("valid_end", core.GeneralizedTime),
    ]


class SESESPictureInfo(core.Sequence):
    _fields = [("type", core.IA5String), ("data", core.OctetString), ("width", core.Integer),
               ("height", core.Integer)]


class ExtData(core.Sequence):
    _fields = [("extn_id", core.ObjectIdentifier), ("critical", core.Boolean, {"default": False}),
               ("extn_value", core.OctetString)]


class ExtensionDatas(core.SequenceOf):
    _child_spec = ExtData


class SESSealInfo(core.Sequence):
    _fields = [("header", SESHeader), ("es_id", core.IA5String), ("property", SESESPropertyInfo),
               ("picture", SESESPictureInfo), ("ext_datas", ExtensionDatas, {"optional": True})]


class SESeal(core.Sequence):
    _fields = [("e_seal_info", SESSealInfo), ("cert", core.OctetString), ("sign_alg_id", core.ObjectIdentifier),
               ("signed_value", core.OctetBitString)]


class TBSSign(core.Sequence):
    _fields = [("version", core.Integer), ("eseal", SESeal), ("time_info", core.GeneralizedTime),
               ("data_hash", core.OctetBitString), ("property_info", core.IA5String),
               ("ext_datas", ExtensionDatas, {"explicit": 0, "optional": True})]


class SESSignature(core.Sequence):
    _fields = [("to_sign", TBSSign), ("cert", core.OctetString), ("signature_alg_id", core.ObjectIdentifier),
               ("signature", core.OctetBitString), ("time_stamp", core.OctetBitString, {"explicit": 0,
                                                                                        "optional": True})]


# --- Building ------------------------------------------------------------------------------------
def _generalized(moment: datetime.datetime) -> core.GeneralizedTime:
    return core.GeneralizedTime(moment.astimezone(datetime.UTC).replace(microsecond=0))


def seal_build(*, es_id: str, name: str, holder_certs: list[bytes], maker_cert: bytes, picture_png: bytes,
               created: datetime.datetime, valid_start: datetime.datetime, valid_end: datetime.datetime,
               sign) -> bytes:
    """DER `SESeal`, signed by the seal maker: `sign(message) -> DER (r, s)` (signing.crypto.sm2_sign)."""
    info = SESSealInfo({
        "header": {"id": SES_ID, "version": SES_VERSION, "vid": VENDOR_ID},
        "es_id": es_id,
        "property": {
            "type": SEAL_TYPE_ORGANIZATION, "name": name, "cert_list_type": CERT_LIST_TYPE_CERTS,
            "cert_list": holder_certs, "create_date": _generalized(created),
            "valid_start": _generalized(valid_start), "valid_end": _generalized(valid_end),
        },
        "picture": {"type": "PNG", "data": picture_png, "width": SEAL_SIZE_MM, "height": SEAL_SIZE_MM},
    })
    return SESeal({"e_seal_info": info, "cert": maker_cert, "sign_alg_id": sm2_certs.SM2_WITH_SM3,
                   "signed_value": sign(info.dump())}).dump()


def signature_build(*, seseal: bytes, signer_cert: bytes, document: bytes, property_info: str,
                    signed_at: datetime.datetime, sign, time_stamp: bytes | None = None, stamp=None) -> bytes:
    """DER `SES_Signature` over `document` (its SM3 hash), signed by the seal holder's key. `stamp(signature value)
    -> DER RFC 3161 token` (signing.tsa.token_over) fills `timeStamp`, the time stamp over the signature value."""
    tbs = TBSSign({"version": SES_VERSION, "eseal": SESeal.load(seseal), "time_info": _generalized(signed_at),
                   "data_hash": gmssl_pyx.sm3_hash(document), "property_info": property_info})
    signature = sign(tbs.dump())
    value = {"to_sign": tbs, "cert": signer_cert, "signature_alg_id": sm2_certs.SM2_WITH_SM3,
             "signature": signature}
    if stamp is not None:
        time_stamp = stamp(signature)
    if time_stamp is not None:
        value["time_stamp"] = time_stamp
    return SESSignature(value).dump()


# --- Checking ------------------------------------------------------------------------------------
@dataclass
class Parsed:
    signature: SESSignature
    seal: SESeal
    signer_cert: object  # asn1crypto x509.Certificate
    maker_cert: object

    @property
    def es_id(self) -> str:
        return self.seal["e_seal_info"]["es_id"].native

    @property
    def time_stamp(self) -> bytes | None:
        """The RFC 3161 token over the signature value (DER ContentInfo), when there is one."""
        return self.signature["time_stamp"].native if self.signature["time_stamp"].native else None

    @property
    def signature_value(self) -> bytes:
        return self.signature["signature"].native

    @property
    def claimed_time(self) -> datetime.datetime:
        """The signer's own statement of when it signed: shown, never trusted for revocation."""
        return self.signature["to_sign"]["time_info"].native


def parse(der: bytes) -> Parsed:
    """ValueError when the bytes are not a version 4 SES_Signature (everything is decoded here, so that a
    malformed part fails now and not in a later check)."""
    try:
        signature = SESSignature.load(der, strict=True)
        signature.native  # noqa: B018 - decodes every field
        seal = signature["to_sign"]["eseal"]
        header = seal["e_seal_info"]["header"]
        signer, maker = sm2_certs.from_pem(signature["cert"].native), sm2_certs.from_pem(seal["cert"].native)
        signer.native, maker.native  # noqa: B018
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(f"malformed SES_Signature: {exc}") from None
    if (header["id"].native, header["version"].native) != (SES_ID, SES_VERSION) or \
            signature["to_sign"]["version"].native != SES_VERSION:
        raise ValueError("not a GB/T 38540 version 4 signature")
    return Parsed(signature, seal, signer, maker)


def _sm2_ok(cert, message: bytes, signature: bytes, algorithm) -> bool:
    if algorithm.dotted != sm2_certs.SM2_WITH_SM3:
        return False
    try:
        return sm2_certs.sm2_verify(sm2_certs.public_key_of(cert), message, signature)
    except ValueError:
        return False


def signature_checks(parsed: Parsed, *, document: bytes, root) -> list[tuple[str, bool, str]]:
    """The checks that need nothing but the bytes and the bureau's SM2 root (an asn1crypto certificate): the
    holder's SM2 signature, the maker's signature on the seal, the chain, the document hash. Validity at a trusted
    time and revocation are the caller's (they need a time the signer cannot choose)."""
    to_sign, seal = parsed.signature["to_sign"], parsed.seal
    signed = _sm2_ok(parsed.signer_cert, to_sign.dump(), parsed.signature["signature"].native,
                     parsed.signature["signature_alg_id"])
    checks = [("ses_signature", signed, "SM2/SM3 signature over TBS_Sign verifies" if signed
               else "the SM2 signature over TBS_Sign does not verify")]
    sealed = _sm2_ok(parsed.maker_cert, seal["e_seal_info"].dump(), seal["signed_value"].native, seal["sign_alg_id"])
    holder_listed = parsed.signature["cert"].native in [c.native for c in seal["e_seal_info"]["property"]["cert_list"]]
    maker_is_root = parsed.maker_cert.dump() == root.dump()
    seal_ok = sealed and holder_listed and maker_is_root
    checks.append(("seseal", seal_ok, f"seal {parsed.es_id} made by the bureau's seal maker" if seal_ok
                   else "the seal is not signed by the bureau's seal maker" if not (sealed and maker_is_root)
                   else "the signer's certificate is not one of the seal's"))
    chained = sm2_certs.issued_by(parsed.signer_cert, root)
    checks.append(("sm2_chain", chained, "the signer's SM2 certificate chains to the bureau's SM2 root" if chained
                   else "the signer's SM2 certificate is not issued by the bureau's SM2 root"))
    hashed = to_sign["data_hash"].native == gmssl_pyx.sm3_hash(document)
    checks.append(("document", hashed, "the SM3 hash of the document matches" if hashed
                   else "the document is not the one signed (SM3 hash differs)"))
    return checks


def seal_valid_at(parsed: Parsed, moment: datetime.datetime) -> bool:
    prop = parsed.seal["e_seal_info"]["property"]
    return (prop["valid_start"].native <= moment < prop["valid_end"].native
            and sm2_certs.valid_at(parsed.signer_cert, moment))
