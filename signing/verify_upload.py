"""The one read behind POST /api/v1/signing/verify/: the verdict on whatever was handed in (the one part that
signing.serializers.VerifyUploadIn kept). It sits beside signing.selectors, not in it: the SES/OFD checks
(signing.ses_verify) build on those selectors."""
from signing import selectors
from signing.ses_verify import ofd_verify, ses_verify


def upload_verify(*, letter: bytes | None = None, ofd: bytes | None = None, ses: bytes | None = None,
                  document: bytes | None = None, signature: dict | None = None, record: dict | None = None,
                  code: str = "") -> dict:
    """Verify exactly one thing: an SES signature with its document, an OFD letter, a letter PDF, a seal-signature
    file with its record, or else the letter registered under a code (NotFound: unknown_code)."""
    if ses is not None:
        return ses_verify(ses=ses, document=document)
    if ofd is not None:
        return ofd_verify(package=ofd)
    if letter is not None:
        return selectors.letter_verify(pdf=letter)
    if signature is not None:
        return selectors.signature_file_verify(document=signature, record=record)
    return selectors.verification_for_code(code=code)
