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
    if looks_binary(data):
        return Decoded(None, error="the file is binary, not text (it holds NUL or control bytes)")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
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
