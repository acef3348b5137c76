"""CRLF line ends for CSV that PostgreSQL's COPY wrote with LF, in a stream of any chunking."""

from __future__ import annotations

QUOTE, LF, CRLF = b'"', b"\n", b"\r\n"


class CrlfLineEnds:
    """Turns the LF that ends each record into CRLF (RFC 4180) and leaves an LF inside a quoted
    cell as it is. A cell is quoted whenever it holds a quote, and quotes inside are doubled, so
    an LF is inside a cell exactly when an odd number of quotes came before it."""

    def __init__(self) -> None:
        self.in_cell = False  # whether the text so far leaves a quoted cell open

    def feed(self, data: bytes) -> bytes:
        if not self.in_cell and QUOTE not in data:
            return data.replace(LF, CRLF)
        parts = data.split(QUOTE)
        first_outside = 1 if self.in_cell else 0
        parts[first_outside::2] = [part.replace(LF, CRLF) for part in parts[first_outside::2]]
        if len(parts) % 2 == 0:  # an odd number of quotes
            self.in_cell = not self.in_cell
        return QUOTE.join(parts)
