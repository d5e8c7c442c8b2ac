"""The OFD letter in an OFD reader written by others: ofdkit (GB/T 33190, standard library only; a dev
dependency). It opens the package, finds the page and reads the decision's text."""
import pytest

pytestmark = pytest.mark.django_db
ofdkit = pytest.importorskip("ofdkit")


def test_the_ofd_letter_opens_in_ofdkit_and_its_text_has_the_decision(sealed):
    with ofdkit.open(bytes(sealed.letter_ofd)) as document:
        assert len(document.pages) == 1 and document.warnings == []  # every part it looked for resolved
        text = document.text()
    assert "准予办理决定书" in text and "决定准予办理" in text, text
    assert sealed.verification_code in text and sealed.record["item"]["name"] in text
