"""Source addresses: which http(s) links a table may hold, and the host a link really goes to.

A link's text must not say one host while the browser goes to another (issue #17), so an address
is accepted only when its host is a plain ASCII domain name: no user information before an ``@``
(``https://interpol.int@evil.example/`` goes to evil.example), no port, no IP address, no
percent-escapes or backslashes in the host, and a non-ASCII (internationalised) name only in its
ASCII form (punycode, ``xn--...``), which is what it is shown as. :data:`URL_PATTERN` says yes or
no; :func:`link_problem` says why not; :func:`link_host` gives the real host of any address.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from geo.offices.problems import show
from geo.offices.schema import GEOCODER_SOURCE_PREFIX

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TOP_LABEL = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"  # never all digits: an IP address is not a domain
# Characters a path, query or fragment may not hold: whitespace, quotes, angle brackets, backslash
# (a browser reads it as "/"), control characters, and invisible or bidirectional marks (they can
# make the text of a link read differently from the address).
_INVISIBLE = "\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
_PATH_FORBIDDEN = f"\\s<>\"'`\\\\\x00-\x1f\x7f-\x9f{_INVISIBLE}"
URL_PATTERN = re.compile(
    rf"^https?://(?:{_LABEL}\.)+{_TOP_LABEL}\.?(?:[/?#][^{_PATH_FORBIDDEN}]*)?\Z", re.IGNORECASE
)
# "geocoder:nominatim", "geocoder:geonames": a point computed by a named geocoding service.
GEOCODER_SOURCE_PATTERN = re.compile(re.escape(GEOCODER_SOURCE_PREFIX) + r"[a-z0-9][a-z0-9_.-]{0,63}")
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
# How a browser reads the start of an address: "https:/x", "https:\\\\x" and "https:x" all go to host x.
_BROWSER_SCHEME = re.compile(r"^https?:[/\\]*", re.IGNORECASE)
_BROWSER_DROPPED = re.compile("[\t\n\r]")  # a browser removes tabs and line ends anywhere in an address
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))  # and control characters and spaces at either end


def _as_browser_reads(url: str) -> str:
    return _BROWSER_DROPPED.sub("", url.strip(_C0_AND_SPACE))
_AUTHORITY_END = re.compile(r"[/?#\\]")
_ASCII_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?", re.IGNORECASE)
_ODD_CHARACTERS = {" ": "a space", "\\": "a backslash", '"': 'a "', "'": "a '", "`": "a `", "<": "a <", ">": "a >"}


def coordinate_source_ok(value: str) -> bool:
    """True for an http(s) address or ``geocoder:<service>`` (lowercase service name)."""
    return bool(URL_PATTERN.fullmatch(value) or GEOCODER_SOURCE_PATTERN.fullmatch(value))


def _authority(url: str) -> str:
    """What a browser reads as ``user@host:port`` in an address that starts with http(s):."""
    rest = _BROWSER_SCHEME.sub("", _as_browser_reads(url), count=1)
    return _AUTHORITY_END.split(rest, maxsplit=1)[0]


def _host_and_port(authority: str) -> tuple[str, str]:
    """The host (after any user information, percent-escapes decoded) and the port text of an authority."""
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):  # an IPv6 literal such as [::1]:8080
        host, _, after = hostport.partition("]")
        return host + "]", after[1:] if after.startswith(":") else ""
    host, _, port = hostport.partition(":")
    return unquote(host), port


def _ascii_host(host: str) -> str:
    """``host`` as the lower-case ASCII name a browser resolves (punycode), or "" when it has none.

    Python's codec is IDNA 2003; browsers follow UTS #46, which differs only for the deviation
    characters (ß, ς, zero-width joiners): for those no answer is better than a wrong one.
    """
    if _IDNA_DEVIATIONS.intersection(host):
        return ""
    try:
        return host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return ""


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 address as a browser reads it: decimal, 0x hexadecimal or 0 octal."""
    base, digits = (16, part[2:]) if part[:2].lower() == "0x" else (8, part[1:]) if part[:1] == "0" else (10, part)
    if not digits:
        return 0 if base != 10 else None
    try:
        return int(digits, base) if digits.isascii() and digits.isalnum() else None
    except ValueError:
        return None


def _ipv4(host: str) -> str | None:
    """The dotted address a browser makes of a host whose last label is a number ("0x7f.1" -> 127.0.0.1):
    None when the host is a name, "" when it ends in a number but is no address (the browser refuses it)."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    if not (last.isascii() and last.isdigit()) and not re.fullmatch(r"0x[0-9a-f]*", last, re.IGNORECASE):
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if len(numbers) > 4 or None in numbers or any(n > 255 for n in numbers[:-1]):
        return ""
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        return ""
    value = sum(n << (8 * (3 - i)) for i, n in enumerate(numbers[:-1])) + numbers[-1]
    return ".".join(str((value >> shift) & 255) for shift in (24, 16, 8, 0))


def link_host(url: str) -> str:
    """The host a link to ``url`` really goes to: lower-case ASCII, punycode for a non-ASCII name.

    ``link_host("https://interpol.int@evil.example/")`` is ``"evil.example"``;
    ``link_host("https://іnterpol.int/")`` (Cyrillic і) is ``"xn--nterpol-qog.int"``. For an address
    :data:`URL_PATTERN` accepts it is the host as written, lower-cased, and exactly where a browser
    goes; for others it follows a browser's reading of the usual tricks (user information, percent
    escapes, numeric IPv4 forms, backslashes, missing slashes). Empty when ``url`` is not an http(s)
    address or its host cannot be written in ASCII.
    """
    if not _BROWSER_SCHEME.match(_as_browser_reads(url)):
        return ""
    host, _ = _host_and_port(_authority(url))
    if host.startswith("["):
        return host.lower()
    ascii_host = _ascii_host(host)
    address = _ipv4(ascii_host) if ascii_host else ""
    return ascii_host if address is None else address


def link_problem(url: str) -> str | None:
    """Why ``url`` is not an acceptable source address (value quoted), or None when it is one.

    None exactly when :data:`URL_PATTERN` matches ``url``.
    """
    if URL_PATTERN.fullmatch(url):
        return None
    generic = f"{show(url)} is not an http(s) address"
    if not _SCHEME.match(url):
        return generic
    authority = _authority(url)
    host, port = _host_and_port(authority)
    real = link_host(url)
    if "@" in authority:
        shown_user = authority.rpartition("@")[0]
        return (
            f"{show(url)} hides its real host: a link to it goes to {show(real or host)}, not to "
            f"{show(shown_user, 40)}; remove the part before '@'"
        )
    if port or authority.endswith(":"):
        return f"{show(url)} names a port ({show(':' + port, 20)}); give the page's usual address, without one"
    if not host.isascii():
        ascii_form = f"its ASCII form is {show(real)}" if real else "it has no valid ASCII form"
        return (
            f"{show(url)} has a non-ASCII host {show(host, 40)} ({ascii_form}): it may imitate another "
            "name; write the host in its ASCII form (xn--...) if that is the site meant"
        )
    if not _ASCII_HOST.fullmatch(host) or "%" in authority:
        return f"{show(url)} has the host {show(host, 40)}, which is not a domain name (letters, digits, - and .)"
    top = host.rstrip(".").rpartition(".")[2]
    if not re.fullmatch(_TOP_LABEL, top, re.IGNORECASE):
        return f"{show(url)} has the host {show(host, 40)}, which is not a domain name (an IP address?)"
    invisible = re.search(f"[{_INVISIBLE}]", url)
    if invisible:
        return f"{generic} (it contains the invisible character U+{ord(invisible.group(0)):04X})"
    odd = next((name for char, name in _ODD_CHARACTERS.items() if char in url), None)
    return f"{generic} (it contains {odd})" if odd else generic
