def test_seal_and_verify(sealed):
    from signing.selectors import letter_verify

    result = letter_verify(pdf=bytes(sealed.letter_pdf))
    assert result["valid"], result
