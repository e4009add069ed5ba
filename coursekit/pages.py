"""How the kit's HTML pages are drawn, so that they pass WCAG 2.1 A and AA (axe-core's rules; issue 28).

- ``CodeStyle``: the colours of highlighted code: pygments' default style, with every colour that reads
  below 4.5:1 on a code background (``CODE_BACKGROUNDS``) darkened until it passes;
- ``FeedbackExporter``: nbgrader's feedback page (nbgrader_config.py gives it to GenerateFeedback),
  drawn with templates/coursekit-feedback.html.j2: a language, that contrast, underlined links;
- ``notebook_page(nb, title)``: a notebook as the learners' offline page (``make html``), drawn with
  templates/offline/: nbconvert's JupyterLab template with the same fixes, and each figure's
  description (``helpers.plotting.show``) as its image's ``alt``.

The content of the pages is nbgrader's and nbconvert's; only markup and styles change here.
"""

import functools
import json
import re
from pathlib import Path
from typing import ClassVar

from jinja2 import FileSystemLoader
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from pygments.style import Style
from pygments.styles.default import DefaultStyle
from pygments.token import Comment, Generic, Name, String, Text, Token
from traitlets.config import Config

#: coursekit/templates/: the kit's nbconvert templates.
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The kit's template of nbgrader's feedback page, in TEMPLATES.
FEEDBACK_TEMPLATE = "coursekit-feedback.html.j2"
#: The backgrounds highlighted code is drawn on: nbgrader's cells, nbconvert's classic and lab cells.
CODE_BACKGROUNDS = ("#ffffff", "#f7f7f7", "#f5f5f5")
#: WCAG 2.1 AA's least contrast ratio for text of normal size (success criterion 1.4.3).
MIN_CONTRAST = 4.5


class CodeStyle(Style):
    """pygments' default style, with 4.5:1 contrast or more on every background of ``CODE_BACKGROUNDS``.

    The colours that fall short (comments at 4.46:1, ``in``/``not`` at 4.4:1, decorators, escapes, ...)
    keep their hue and are darkened just enough (to about 4.7:1 on #f5f5f5).
    """

    name = "coursekit"
    background_color = DefaultStyle.background_color
    highlight_color = DefaultStyle.highlight_color
    styles: ClassVar[dict] = {
        **DefaultStyle.styles,
        Text.Whitespace: "#6D6D6D",
        Comment: "italic #3B7777",
        Token.Operator.Word: "bold #A311FF",
        Name.Exception: "bold #C63B34",
        Name.Label: "#717100",
        Name.Entity: "bold #6D6D6D",
        Name.Attribute: "#657421",
        Name.Decorator: "#A311FF",
        String.Interpol: "bold #9F5774",
        String.Escape: "bold #A55A1E",
        String.Regex: "#9F5774",
        Generic.Inserted: "#008000",
        Generic.Error: "#DD0000",
        Generic.Output: "#6D6D6D",
    }


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback page, drawn with the kit's templates/coursekit-feedback.html.j2.

    That template extends nbgrader's own (the "feedback" template, which nbgrader's API chooses for
    every feedback run) and changes only markup and styles.

    Made once per submission, so two things HTMLExporter does are done more cheaply here (they were half
    of a feedback page's time, and feedback half of a submission's grading): code cells are highlighted
    through a cache (``highlight``: a class's notebooks share most of their cells), and the page is not
    parsed and written out again by BeautifulSoup, which HTMLExporter does to add what the page lacks:
    an ``alt`` to images that have none (``with_alt``, here), and a tabindex to JupyterLab's cells (the
    feedback template draws classic cells, which have none).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Looked up in TEMPLATES first; the index.html.j2 it extends is then found where nbconvert
        # finds it for the "feedback" template (nbgrader's own folder).
        self.extra_loaders = [FileSystemLoader(str(TEMPLATES)), *self.extra_loaders]
        self.template_file = FEEDBACK_TEMPLATE

    def from_notebook_node(self, nb, resources=None, **kw):
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        options = json.dumps(Highlight2HTML(pygments_lexer=lexer, parent=self).extra_formatter_options)
        resources = self._init_resources(resources)

        def highlight_code(source, language=None, metadata=None):
            # Of a cell's metadata only magics_language changes its highlighting (nbconvert's
            # _pygments_highlight); its execution timings would make every cell new to the cache.
            magics = (metadata or {}).get("magics_language")
            return highlight(source, language or lexer or "ipython3", magics, options)

        self.register_filter("highlight_code", highlight_code)
        self.register_filter(
            "filter_data_type",
            WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
        )
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return with_alt(page), resources


#: What nbconvert gives as the ``alt`` of an image that has none (its own words, in exporters/html.py).
NO_ALT = "No description has been provided for this image"
#: An <img> tag that has no alt attribute (the tags of these pages: nbconvert's, and the sanitized HTML of
#: outputs; an alt= in another attribute's value hides the tag's missing one, which only costs the placeholder).
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt\s*=)", re.IGNORECASE)


def with_alt(page):
    """``page`` with NO_ALT as the ``alt`` of each image that has none, as HTMLExporter gives it."""
    return _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT}"', page)


@functools.lru_cache(maxsize=4096)
def highlight(source, language, magics_language, options_json):
    """A code cell as highlighted HTML, as nbconvert's Highlight2HTML draws it, remembered per process."""
    highlighter = Highlight2HTML(pygments_lexer=language, extra_formatter_options=json.loads(options_json))
    return highlighter(source, language, {"magics_language": magics_language} if magics_language else None)


def notebook_page(nb, title):
    """A notebook (a NotebookNode) as one accessible, self-contained HTML page called ``title``.

    Images carry the ``alt`` of their output's metadata (what ``helpers.plotting.show`` writes);
    nbconvert gives an image without one the placeholder "No description has been provided for this
    image". Formulas are typeset by MathJax when the page can reach it, else shown as TeX.
    """
    exporter = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(TEMPLATES)],
        config=Config({"CSSHTMLHeaderPreprocessor": {"style": CodeStyle}}),
    )
    page, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return page
