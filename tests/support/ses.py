"""A DER reader for GB/T 38540 SES signatures, written from the standard's ASN.1 and independent of
signing/gbt38540.py, so the tests read what the app writes with code of their own."""


def tlv(data: bytes, at: int = 0) -> tuple[int, int, int, int]:
    """(tag, start of content, end of content, end of element) of the element at `at`."""
    tag, length, at = data[at], data[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(data[at:at + count], "big"), at + count
    return tag, at, at + length, at + length


def children(data: bytes, element: tuple) -> list[tuple[int, bytes, bytes]]:
    """(tag, content, whole encoding) of each child of a constructed element."""
    _tag, at, end, _ = element
    found = []
    while at < end:
        child = tlv(data, at)
        found.append((child[0], data[child[1]:child[2]], data[at:child[3]]))
        at = child[3]
    return found


SEQUENCE, INTEGER, IA5, UTF8, OCTETS, OID, BITS, GENERALIZED = 0x30, 0x02, 0x16, 0x0C, 0x04, 0x06, 0x03, 0x18
SM2_WITH_SM3_DER = bytes.fromhex("2a811ccf55018375")


def read_ses(der: bytes) -> dict:
    """SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING, signatureAlgID OBJECT IDENTIFIER,
    signature BIT STRING, timeStamp [0] BIT STRING OPTIONAL } (GB/T 38540-2020, version 4)."""
    top = children(der, tlv(der))
    assert [t for t, _, _ in top[:4]] == [SEQUENCE, OCTETS, OID, BITS]
    to_sign = children(top[0][2], tlv(top[0][2]))
    assert [t for t, _, _ in to_sign[:5]] == [INTEGER, SEQUENCE, GENERALIZED, BITS, IA5] and to_sign[0][1] == b"\x04"
    seal = children(to_sign[1][2], tlv(to_sign[1][2]))
    assert [t for t, _, _ in seal] == [SEQUENCE, OCTETS, OID, BITS] and seal[2][1] == SM2_WITH_SM3_DER
    info = children(seal[0][2], tlv(seal[0][2]))
    assert [t for t, _, _ in info[:4]] == [SEQUENCE, IA5, SEQUENCE, SEQUENCE]
    header = children(info[0][2], tlv(info[0][2]))
    assert [(t, v) for t, v, _ in header[:2]] == [(IA5, b"ES"), (INTEGER, b"\x04")] and header[2][0] == IA5
    prop = children(info[2][2], tlv(info[2][2]))
    assert [t for t, _, _ in prop] == [INTEGER, UTF8, INTEGER, SEQUENCE, GENERALIZED, GENERALIZED, GENERALIZED]
    certs = [v for t, v, _ in children(prop[3][2], tlv(prop[3][2])) if t == OCTETS]
    picture = children(info[3][2], tlv(info[3][2]))
    assert [t for t, _, _ in picture] == [IA5, OCTETS, INTEGER, INTEGER] and picture[0][1] == b"PNG"
    assert top[2][1] == SM2_WITH_SM3_DER
    return {"tbs": top[0][2], "signer_cert": top[1][1], "signature": top[3][1][1:], "seal_info": seal[0][2],
            "maker_cert": seal[1][1], "seal_signature": seal[3][1][1:], "es_id": info[1][1].decode(),
            "name": prop[1][1].decode(), "holder_certs": certs, "png": picture[1][1],
            "size_mm": (int.from_bytes(picture[2][1], "big"), int.from_bytes(picture[3][1], "big")),
            "data_hash": to_sign[3][1][1:]}
