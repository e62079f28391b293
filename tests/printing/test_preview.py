"""The PNG preview: paper width, line heights, a QR code that scans, what the printer can print."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageOps

from printing.context import NotPrintable
from printing.document import (
    Align,
    Blank,
    Block,
    Columns,
    Document,
    Logo,
    QrCode,
    Rule,
    Text,
)
from printing.preview import DESK, MARGIN, PAPER, render_preview, render_preview_image
from printing.profile import PAPER_58_32, PAPER_80_42, PAPER_80_48, PrinterProfile
from tests.printing.samples import breakfast, issuance, seal

PROFILES = [PAPER_80_48, PAPER_80_42, PAPER_58_32]
PROOF = issuance(seal(breakfast())).proof


@pytest.fixture
def logo(tmp_path: Path) -> Path:
    """A colour logo wider than any paper, with a transparent background."""
    image = Image.new("RGBA", (800, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, 110, 110), fill=(200, 120, 40, 255))
    path = tmp_path / "logo.png"
    image.save(path)
    return path


def receipt(logo: Path) -> Document:
    return Document(
        "receipt",
        (
            Logo(logo),
            Text("Boulangerie-Café des Tilleuls", Align.CENTER, bold=True, large=True),
            Text("12 place des Tilleuls\n69003 Lyon", Align.CENTER),
            Rule("="),
            Columns("2 x Œuf à la coque, pain grillé", "11,60 €"),
            Columns("Croissant", "1,20 €"),
            Rule(),
            Columns("TOTAL TTC", "12,50 €", bold=True, large=True),
            Blank(2),
            Text("Merci de votre visite !", Align.RIGHT),
            QrCode(PROOF, "Preuve du ticket"),
        ),
    )


def render(blocks: tuple[Block, ...], profile: PrinterProfile, cut: bool = False) -> Image.Image:
    """Uncut by default: the cut line spans the paper and would hide where the ink ends."""
    return render_preview_image(Document("test", blocks, cut=cut), profile)


def paper(image: Image.Image) -> Image.Image:
    return image.crop((MARGIN, MARGIN, image.width - MARGIN, image.height - MARGIN))


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Where anything darker than the paper is drawn, in paper coordinates."""
    return ImageOps.invert(paper(image)).getbbox()


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_png_of_every_block_is_paper_of_profile_dots(logo: Path, profile: PrinterProfile) -> None:
    image = Image.open(io.BytesIO(render_preview(receipt(logo), profile)))

    assert image.format == "PNG"
    assert image.width == profile.dots + 2 * MARGIN
    row = [image.getpixel((x, MARGIN)) for x in range(image.width)]
    assert row == [DESK] * MARGIN + [PAPER] * profile.dots + [DESK] * MARGIN


def test_58_mm_paper_is_narrower_than_80_mm(logo: Path) -> None:
    narrow = render_preview_image(receipt(logo), PAPER_58_32)
    wide = render_preview_image(receipt(logo), PAPER_80_48)

    assert narrow.width < wide.width


def test_height_grows_by_one_line_pitch_per_line() -> None:
    heights = [render((Text("ligne"),) * count, PAPER_80_48).height for count in (5, 10, 15)]

    assert heights[0] < heights[1] < heights[2]
    assert heights[2] - heights[1] == heights[1] - heights[0]


def test_blank_lines_are_as_tall_as_text_lines() -> None:
    assert render((Blank(3),), PAPER_80_48).height == render((Text("a\nb\nc"),), PAPER_80_48).height


def test_large_line_is_taller_than_a_normal_one() -> None:
    normal = render((Text("TOTAL"),), PAPER_80_48)
    large = render((Text("TOTAL", large=True),), PAPER_80_48)

    assert large.height > normal.height
    normal_ink, large_ink = ink_box(normal), ink_box(large)
    assert normal_ink is not None and large_ink is not None
    assert large_ink[2] - large_ink[0] > 1.8 * (normal_ink[2] - normal_ink[0])


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
@pytest.mark.parametrize(("bold", "large"), [(False, False), (True, False), (True, True)])
def test_a_full_line_fills_the_paper_without_overflowing(
    profile: PrinterProfile, bold: bool, large: bool
) -> None:
    scale = 2 if large else 1
    characters, cell = profile.columns // scale, scale * (profile.dots // profile.columns)

    def line(text: str) -> Image.Image:
        return render((Text(text, bold=bold, large=large),), profile)

    # The paper clips what overflows, so measure a narrow glyph that sits inside its cell: each
    # character must advance exactly one cell for the last one to land where the printer puts it.
    one, full = ink_box(line("|")), ink_box(line("|" * characters))
    assert one is not None and full is not None
    assert one[2] <= cell
    assert full[2] - one[2] == (characters - 1) * cell
    assert profile.dots - cell < characters * cell <= profile.dots
    assert line("|" * (characters + 1)).height > line("|" * characters).height


def test_columns_put_the_amount_against_the_right_edge() -> None:
    image = render((Columns("Total", "12,50"),), PAPER_80_48)

    box = ink_box(image)
    assert box is not None
    assert box[2] > PAPER_80_48.dots - PAPER_80_48.dots // PAPER_80_48.columns


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_qr_code_scans_back_to_its_data(profile: PrinterProfile) -> None:
    png = render_preview(Document("test", (QrCode(PROOF, "Preuve du ticket"),)), profile)

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))

    assert [code.text for code in found] == [PROOF]
    position = found[0].position
    assert position.top_right.x - position.top_left.x < profile.dots


def test_caption_goes_below_the_qr_code() -> None:
    bare = render((QrCode(PROOF),), PAPER_80_48)
    captioned = render((QrCode(PROOF, "Preuve du ticket"),), PAPER_80_48)

    code, everything = ink_box(bare), ink_box(captioned)
    assert code is not None and everything is not None
    assert paper(captioned).crop(code).tobytes() == paper(bare).crop(code).tobytes()
    assert everything[3] > code[3]


def test_text_is_what_the_code_page_prints() -> None:
    preview = render_preview(Document("test", (Text("Œuf 12,50 €"),)), PAPER_80_48)

    assert preview == render_preview(Document("test", (Text("OEuf 12,50 €"),)), PAPER_80_48)


def test_logo_fits_the_paper_in_black_and_white_dots(logo: Path) -> None:
    image = render((Logo(logo),), PAPER_58_32)

    box = ink_box(image)
    assert box is not None
    assert box[2] <= PAPER_58_32.dots
    assert set(paper(image).get_flattened_data()) == {0, PAPER}


def test_unreadable_logo_is_not_printable(tmp_path: Path) -> None:
    broken = tmp_path / "logo.png"
    broken.write_text("not an image")

    with pytest.raises(NotPrintable, match=r"logo\.png"):
        render((Logo(broken),), PAPER_80_48)
    with pytest.raises(NotPrintable, match=r"missing\.png"):
        render((Logo(tmp_path / "missing.png"),), PAPER_80_48)


def test_cut_is_a_dashed_line_at_the_bottom_of_the_paper() -> None:
    cut = paper(render((Rule(),), PAPER_80_48, cut=True))
    uncut = paper(render((Rule(),), PAPER_80_48))

    bottom = cut.crop((0, cut.height - 1, cut.width, cut.height)).get_flattened_data()
    assert PAPER in bottom and len(set(bottom)) == 2
    assert set(
        uncut.crop((0, uncut.height - 1, uncut.width, uncut.height)).get_flattened_data()
    ) == {PAPER}
