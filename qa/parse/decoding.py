"""Bytes -> text for user files: UTF-8 first, then a detected or Windows-1252 fallback, and a clear
refusal for binary data."""

from __future__ import annotations

from dataclasses import dataclass

_SNIFF = 8192
_BOMS = (("utf-8-sig", b"\xef\xbb\xbf"), ("utf-16", b"\xff\xfe"), ("utf-16", b"\xfe\xff"))
# Control bytes that never appear in text (tab, newline, carriage return and form feed are fine).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


@dataclass
class Decoded:
    """Decoded text, or why there is none."""

    text: str | None
    encoding: str | None = None
    warning: str | None = None
    error: str | None = None


def looks_binary(data: bytes) -> bool:
    """NUL bytes, or many control bytes, in the first 8 KB."""
    head = data[:_SNIFF]
    if b"\x00" in head:
        return True
    controls = sum(head.count(bytes([b])) for b in _CONTROL)
    return bool(head) and controls / len(head) > 0.05


def decode_bytes(data: bytes) -> Decoded:
    """Decode a file's bytes; say which encoding was used when it was not UTF-8."""
    if not data.strip():
        return Decoded(None, error="the file is empty")
    for encoding, bom in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding)
            except UnicodeDecodeError:
                break
    if (wide := _utf16_without_bom(data)) is not None:
        return wide
    if looks_binary(data):
        return Decoded(None, error="the file is binary, not text (it holds NUL or control bytes)")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if (mostly := _mostly_utf8(data)) is not None:
        return mostly
    if (western := _western(data)) is not None:
        return Decoded(western, "cp1252", warning="not valid UTF-8; decoded as cp1252 (Western European)")
    encoding = _detect(data)
    if encoding:
        try:
            text = data.decode(encoding)
            return Decoded(text, encoding, warning=f"not valid UTF-8; decoded as {encoding}")
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return Decoded(data.decode("cp1252"), "cp1252", warning="not valid UTF-8; decoded as cp1252")
    except UnicodeDecodeError:
        return Decoded(data.decode("latin-1"), "latin-1", warning="not valid UTF-8; decoded as latin-1")


def _utf16_without_bom(data: bytes) -> Decoded | None:
    """UTF-16 text with no byte-order mark: ASCII-range characters put a NUL in every other byte."""
    head = data[:_SNIFF - _SNIFF % 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2].count(0) / (len(head) / 2), head[1::2].count(0) / (len(head) / 2)
    for encoding, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros > 0.3 and other < 0.02:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            if not looks_binary(text.encode("utf-8", "replace")):
                return Decoded(text, encoding, warning=f"no byte-order mark; decoded as {encoding}")
    return None


def _mostly_utf8(data: bytes) -> Decoded | None:
    """UTF-8 with a few broken bytes (a bad copy, a cut file) stays UTF-8, the bad bytes marked: read
    as a single-byte code page instead, every one of its accented letters would be garbled."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for c in text if ord(c) > 127 and c != "\ufffd")
    if good >= 3 and bad <= max(3, good // 50):
        return Decoded(text, "utf-8", warning=f"{bad} byte(s) are not valid UTF-8 and were replaced with \ufffd")
    return None


# Besides letters, what Western European text written in cp1252 holds above ASCII.
_WESTERN_MARKS = frozenset("«»¿¡°ºª€£§©®’‘“”„–—…·•")


def _western(data: bytes) -> str | None:
    """cp1252 when the text reads as Western European: mostly ASCII, the rest letters (ñ, é, ü) or
    common marks. A guesser often calls short Spanish or French text cp1250 ("seńor"); Cyrillic or
    Central European code pages give runs of high bytes or non-letters, and fail this test."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    high = [c for c in text if ord(c) > 127]
    letters = sum(c.isalpha() for c in text)
    if not high or not letters:
        return None
    if all(c.isalpha() or c in _WESTERN_MARKS for c in high) and len(high) / letters < 0.15:
        return text
    return None


def _detect(data: bytes) -> str | None:
    """charset-normalizer's best guess, if it is confident enough to be useful."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # an optional nicety: cp1252/latin-1 still decode everything
        return None
    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return None
    return best.encoding
