"""How the kit's pages are drawn (coursekit/pages.py): code colours, and the offline page of a notebook.

tests/system/test_accessibility.py runs axe-core over every page; these are the quick checks.
"""

import base64
import re
from html.parser import HTMLParser

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from pygments.style import Style
from pygments.styles.default import DefaultStyle

from coursekit.pages import (
    CODE_BACKGROUNDS,
    MIN_CONTRAST,
    NO_ALT,
    CodeStyle,
    FeedbackExporter,
    notebook_page,
    with_alt,
)
from helpers.plotting import NBCONVERT_PLACEHOLDER

#: A 1 x 1 PNG, as an image output's data.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


def luminance(colour):
    """WCAG 2.1's relative luminance of a colour written #rrggbb."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def low_contrast(style):
    """[(token, colour, background, ratio)] of a pygments style's text colours below MIN_CONTRAST."""
    found = []
    for token, spec in style:
        if spec["color"]:
            for background in CODE_BACKGROUNDS:
                ratio = contrast(f"#{spec['color']}", background)
                if ratio < MIN_CONTRAST:
                    found.append((token, spec["color"], background, round(ratio, 2)))
    return found


def test_contrast_is_wcags():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey


def test_every_code_colour_reads_at_4_5_to_1_on_every_code_background():
    assert low_contrast(CodeStyle) == []


def test_pygments_default_style_does_not():
    # Why CodeStyle exists: comments, `in`/`not`, decorators, ... fall short in pygments' default.
    assert len(low_contrast(DefaultStyle)) > 0
    assert issubclass(CodeStyle, Style)


def image_notebook(*alts):
    """A notebook with one image output per entry of ``alts`` (None: no alt in its metadata)."""
    outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": PNG, "text/plain": "<Figure size 100x100 with 1 Axes>"},
            metadata={"image/png": {"alt": alt}} if alt is not None else {},
        )
        for alt in alts
    ]
    cell = nbformat.v4.new_code_cell("for x in [1, 2]: print(x in [1])  # plot", outputs=outputs)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("See [the data](#data)."), cell])
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


@pytest.fixture(scope="module")
def page():
    return notebook_page(image_notebook('Cost "falls" <fast> & stays low', None), "Figures")


class Images(HTMLParser):
    """The alt attribute of every <img> of a page, unescaped."""

    def __init__(self):
        super().__init__()
        self.alts = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.alts.append(dict(attrs).get("alt"))


def test_offline_page_gives_each_image_the_alt_of_its_metadata(page):
    images = Images()
    images.feed(page)
    assert images.alts == ['Cost "falls" <fast> & stays low', NBCONVERT_PLACEHOLDER]
    assert "<fast>" not in page  # escaped


def test_offline_page_has_a_language_code_colours_and_no_script_from_the_network(page):
    assert '<html lang="en">' in page
    assert re.search(r"\.highlight \.ow \{ color: #A311FF", page)  # CodeStyle's, not the theme's
    assert 'src="https://cdnjs.cloudflare.com/ajax/libs/require.js' not in page
    assert "--jp-cell-prompt-not-active-opacity: 1" in page


def graded_notebook():
    """An autograded notebook as the feedback page gets it: a graded test cell, figures with and without
    a description, a student's HTML output (sanitized) with an image that has no alt, an error."""
    nb = image_notebook("Cost falls fast and stays low over the epochs", None)
    test = nbformat.v4.new_code_cell(
        "assert x == 2",
        outputs=[nbformat.v4.new_output("error", ename="AssertionError", evalue="x is 1", traceback=[])],
    )
    test.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "test_x",
        "points": 2,
        "score": 0,
        "solution": False,
        "locked": True,
        "schema_version": 3,
    }
    html = nbformat.v4.new_code_cell(
        "display(HTML(...))",
        outputs=[
            nbformat.v4.new_output(
                "display_data",
                data={"text/html": '<p>mine</p><IMG src="data:,"><img alt="a plot" src="data:,">'},
            )
        ],
    )
    nb.cells += [test, html]
    return nb


#: One notebook for every page compared (cells get random ids).
GRADED = graded_notebook()


def feedback_page(render):
    """The feedback page of ``GRADED`` drawn by ``render(exporter, nb, resources)``, with the exporter
    configured as nbgrader's GenerateFeedback configures it."""
    exporter = FeedbackExporter(config=GenerateFeedback(coursedir=CourseDirectory()).config)
    resources = {"nbgrader": {"notebook": "Figures", "score": 0, "max_score": 2, "late_penalty": 0}}
    return render(exporter, GRADED, resources)[0]


def test_feedback_page_is_the_page_htmlexporter_draws():
    # FeedbackExporter skips HTMLExporter's closing BeautifulSoup pass and caches highlighted code: the same
    # document, up to how it is serialized.
    ours = feedback_page(FeedbackExporter.from_notebook_node)
    theirs = feedback_page(HTMLExporter.from_notebook_node)
    assert str(BeautifulSoup(ours, "html.parser")) == str(BeautifulSoup(theirs, "html.parser"))
    images = Images()
    images.feed(ours)
    assert images.alts == ["Cost falls fast and stays low over the epochs", NO_ALT, NO_ALT, "a plot"]
    assert feedback_page(FeedbackExporter.from_notebook_node) == ours  # from the highlight cache


def test_with_alt_adds_the_placeholder_only_where_an_image_has_no_alt():
    page = '<img src="a.png"><img src="b.png" alt=""><IMG\nsrc="c.png"><img data-x="1" ALT="d">'
    images = Images()
    images.feed(with_alt(page))
    assert images.alts == [NO_ALT, "", NO_ALT, "d"]
