"""Turns ESC/POS bytes back into what the paper shows: text lines in the selected code page, and
the QR codes, cuts and drawer kicks, so that tests read a receipt as a person would."""

from __future__ import annotations

from dataclasses import dataclass, field

# ESC t n: the code pages our profiles select (python-escpos's default profile numbering).
CODE_PAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858", 40: "iso8859-15"}


@dataclass
class Line:
    text: str
    bold: bool = False
    large: bool = False


@dataclass
class Paper:
    lines: list[Line] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    images: list[tuple[int, int]] = field(default_factory=list)  # (width in dots, height)
    code_pages: list[str] = field(default_factory=list)
    cuts: int = 0
    drawer_kicks: int = 0

    @property
    def text(self) -> list[str]:
        """The lines as a person reads them: a no-break space is a space."""
        return [line.text.replace("\u00a0", " ") for line in self.lines]


class EscPosError(ValueError):
    pass


def decode(data: bytes) -> Paper:
    paper = Paper()
    codec = "cp437"
    bold = large = False
    pending = bytearray()
    i = 0

    def need(count: int) -> bytes:
        if i + count > len(data):
            raise EscPosError(f"command at {i} is cut short")
        return data[i : i + count]

    while i < len(data):
        byte = data[i]
        if byte == 0x0A:
            paper.lines.append(Line(pending.decode(codec), bold, large))
            pending.clear()
            i += 1
        elif byte == 0x1B:
            command = need(2)[1]
            if command == 0x40:  # ESC @ initialise
                bold = large = False
                i += 2
            elif command == 0x74:  # ESC t n: code page
                number = need(3)[2]
                if number not in CODE_PAGES:
                    raise EscPosError(f"unknown code page {number}")
                codec = CODE_PAGES[number]
                paper.code_pages.append(codec)
                i += 3
            elif command == 0x45:  # ESC E n: bold
                bold = bool(need(3)[2])
                i += 3
            elif command == 0x21:  # ESC ! n: print mode (bit 3 bold, bits 4-5 double)
                mode = need(3)[2]
                bold, large = bool(mode & 0x08), bool(mode & 0x30)
                i += 3
            elif command in (0x7B, 0x2D, 0x4D, 0x61):  # upside down, underline, font, align
                i += 3
            elif command == 0x64:  # ESC d n: feed n lines
                paper.lines.extend(Line("") for _ in range(need(3)[2]))
                i += 3
            elif command == 0x70:  # ESC p m t1 t2: drawer kick
                need(5)
                paper.drawer_kicks += 1
                i += 5
            else:
                raise EscPosError(f"unknown ESC command {command:#x} at {i}")
        elif byte == 0x1D:
            command = need(2)[1]
            if command == 0x21:  # GS ! n: character size
                large = bool(need(3)[2])
                i += 3
            elif command in (0x62, 0x42):  # smoothing, reverse
                i += 3
            elif command == 0x56:  # GS V m: cut
                mode = need(3)[2]
                paper.cuts += 1
                i += 4 if mode in (0x41, 0x42, 65, 66) else 3
            elif command == 0x28 and need(3)[2] == 0x6B:  # GS ( k: QR code functions
                header = need(7)
                size = header[3] + 256 * header[4]
                body = need(5 + size)[5:]
                if body[:2] == b"1P":  # store the data: cn 49, fn 80, m 48, then the data
                    paper.qr_codes.append(body[3:].decode("utf-8"))
                i += 5 + size
            elif command == 0x76 and need(3)[2] == 0x30:  # GS v 0: raster image
                header = need(8)
                width_bytes = header[4] + 256 * header[5]
                height = header[6] + 256 * header[7]
                need(8 + width_bytes * height)
                paper.images.append((width_bytes * 8, height))
                i += 8 + width_bytes * height
            else:
                raise EscPosError(f"unknown GS command {command:#x} at {i}")
        elif byte < 0x20:
            raise EscPosError(f"unexpected control byte {byte:#x} at {i}")
        else:
            pending.append(byte)
            i += 1
    if pending:
        paper.lines.append(Line(pending.decode(codec), bold, large))
    return paper
