"""`java.util.Properties.load`, for reading rendered Pinot configs back without a JVM.

The reference the fuzz tests check rendered files with: it follows the JDK's `Properties.load`
(logical lines with `\\` continuation, `#`/`!` comments, the key ending at the first unescaped
`=`, `:` or blank, `\\uXXXX` and the other escapes), not the control plane's own encoder. Pinot's
loader (Commons Configuration, then `PinotConfiguration`) does more (splitting on `,`, `${}`
substitution); tests/pinot/test_config_roundtrip.py checks files with Pinot itself.
"""

from __future__ import annotations

BLANKS = " \t\f"
ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def logical_lines(text: str) -> list[str]:
    """The lines `load` reads entries from: comments and blank lines dropped, continued lines joined."""
    found: list[str] = []
    pending: str | None = None
    for natural in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = natural.lstrip(BLANKS)
        if pending is None and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        continued = trailing % 2 == 1
        if continued:
            line = line[:-1]
        pending = line if pending is None else pending + line
        if not continued:
            found.append(pending)
            pending = None
    if pending is not None:
        found.append(pending)
    return found


def split_entry(line: str) -> tuple[str, str]:
    escaped = False
    end = len(line)
    separator = False
    for index, char in enumerate(line):
        if not escaped and char in "=:":
            end, separator = index, True
            break
        if not escaped and char in BLANKS:
            end = index
            break
        escaped = char == "\\" and not escaped
    start = end + 1 if end < len(line) else end
    while start < len(line) and (line[start] in BLANKS or (not separator and line[start] in "=:")):
        separator = separator or line[start] in "=:"
        start += 1
    return unescape(line[:end]), unescape(line[start:])


def unescape(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        index += 1
        if char != "\\" or index == len(text):
            out.append(char)
            continue
        char = text[index]
        index += 1
        if char == "u":
            digits = text[index : index + 4]
            if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError(f"malformed \\uxxxx escape in {text!r}")
            out.append(chr(int(digits, 16)))
            index += 4
        else:
            out.append(ESCAPES.get(char, char))
    # Escapes are UTF-16 code units: join surrogate pairs into the characters they encode.
    return "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def load(text: str) -> list[tuple[str, str]]:
    """The entries of a properties file in order, duplicates kept (`Properties` keeps the last)."""
    return [split_entry(line) for line in logical_lines(text)]
