"""Untrusted notebook content made inert: what a student's notebook or kernel produced, safe to show.

A grading kernel runs the student's code, so every output it sends is the student's: a cell can
display ``<script>`` or ``<img onerror=...>``, an SVG with a script, a widget whose state holds HTML,
an ``execution_count`` that is not a number. nbgrader's feedback page and formgrader's manual-grading
view (which runs in the instructor's Jupyter origin, with the instructor's rights) render the graded
notebook with nbconvert, which passes HTML through; formgrader renders markdown cells without any
sanitizing. So the graded notebook itself is made inert, once, right after it was executed
(``InertOutputs``, the step after ``GuardedExecute`` in nbgrader_config.py): every consumer -- the
feedback pages in every mode of the grading service, formgrader, JupyterLab, the class report --
reads a notebook in which:

- an output keeps only the representations nbconvert renders as text or image: ``text/plain``,
  ``text/latex`` (escaped, typeset by MathJax with its Safe extension), PNG, JPEG and GIF images
  (checked to be base64), ``text/html`` *sanitized* (``clean_html``: tables, lists and formatting
  stay; scripts, styles, event handlers, forms, frames and URLs other than http(s), mailto and inline
  images go), and ``text/markdown`` when it is safe (below), else as text; JavaScript, SVG, widgets
  and any other kind are dropped. Output metadata keeps only an image's numeric size, its ``alt``
  text and its background hint; counts, names and texts are made the types nbconvert expects;
- a markdown cell that could produce HTML -- anything like raw HTML (a tag, a closing tag, a comment,
  a declaration, an autolink), an HTML entity, a link or image whose URL has a scheme other than http(s), mailto or
  attachment -- is shown as text, in a code block, with a line saying why (``markdown_is_safe``);
  the course's own markdown has none of these, a student's rarely does;
- raw cells are never rendered as HTML; the notebook's metadata keeps only its kernel and language
  (a ``widgets`` entry would make nbconvert load a widget renderer that shows HTML unsanitized).

The sanitizer is nh3, the Python binding of the Rust crate ammonia: an allow-list HTML sanitizer built
on a spec-compliant HTML parser, actively maintained, and the replacement recommended when bleach (the
sanitizer nbconvert uses) was deprecated because the html5lib parser under it is no longer developed.
"""

import re

import nh3
from nbformat import from_dict
from nbgrader.preprocessors import NbGraderPreprocessor

#: Output representations kept: (mime type, how) -- nbconvert renders these as text or images.
TEXT_TYPES = ("text/plain", "text/latex")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
#: Per image representation, the metadata nbconvert reads (and of what type).
IMAGE_METADATA = {"width": int, "height": int, "alt": str, "unconfined": bool}
BACKGROUNDS = ("light", "dark")
#: The notebook metadata kept (nbgrader restores the kernel; the language names the highlighting).
NOTEBOOK_METADATA = ("kernelspec", "language_info")

#: HTML allowed in outputs: nh3's default tags (formatting, lists, tables, images) and attributes.
HTML_URL_SCHEMES = {"http", "https", "mailto", "data"}
#: The classes of the kit's own output that its pages style (helpers.plotting.show's figure description).
KIT_CLASSES = {"details": {"figure-description"}}
INLINE_IMAGE = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*", re.IGNORECASE)


def _url_filter(element, attribute, value):
    """Keep a URL attribute only when it cannot run code or load from elsewhere on its own."""
    if element == "img" and attribute == "src":
        # An inline image only: a remote one would tell its server who looked at the page, and when.
        return value if INLINE_IMAGE.fullmatch(value.strip()) else None
    if attribute in ("href", "cite", "src") and value.strip().lower().startswith("data:"):
        return None
    return value


def clean_html(text):
    """``text`` (untrusted HTML) with only formatting, tables, lists, links and inline images left."""
    return nh3.clean(
        text,
        url_schemes=HTML_URL_SCHEMES,
        attribute_filter=_url_filter,
        link_rel="noopener noreferrer nofollow",
        allowed_classes=KIT_CLASSES,
    )


# --- markdown ----------------------------------------------------------------------------------------
#: What lets markdown produce HTML of its own: a tag, comment, declaration or autolink; an entity (which
#: could spell a URL's scheme); a link or image destination, inline or in a definition.
RAW_HTML = re.compile(r"<(?:[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)|[A-Za-z][A-Za-z0-9+.-]*:|[/!?])", re.MULTILINE)
ENTITY = re.compile(r"&(#|[A-Za-z][A-Za-z0-9]*;)")
DESTINATION = re.compile(r"\]\(\s*<?([^\s)>]*)|^ {0,3}\[[^\]]+\]:\s*<?(\S*)", re.MULTILINE)
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
MARKDOWN_SCHEMES = ("http", "https", "mailto", "attachment")
#: The line above a markdown cell shown as text.
SHOWN_AS_TEXT = (
    "*This cell's markdown could produce HTML (a tag, an entity or a link to elsewhere), so it is shown "
    "as text:*"
)


def markdown_is_safe(source):
    """Whether markdown ``source`` renders to HTML that runs nothing and loads nothing by itself."""
    if RAW_HTML.search(source) or ENTITY.search(source):
        return False
    for inline, definition in DESTINATION.findall(source):
        # Backslash escapes ("javascript\\:") are undone by the renderer: judge the URL without them.
        url = (inline or definition).replace("\\", "")
        scheme = SCHEME.match(url)
        if scheme and scheme.group(1).lower() not in MARKDOWN_SCHEMES:
            return False
    return True


def as_text(source):
    """Markdown showing ``source`` verbatim, in a code block that no backtick run in it can close."""
    runs = [len(run) for run in re.findall(r"`+", source)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{SHOWN_AS_TEXT}\n\n{fence}text\n{source}\n{fence}"


# --- notebooks ---------------------------------------------------------------------------------------
def _text(value):
    """A notebook text field as one string (nbformat allows a list of lines)."""
    if isinstance(value, list):
        return "".join(str(line) for line in value)
    return value if isinstance(value, str) else str(value)


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def inert_output(output):
    """One code cell output, made inert (a new dict; see the module's docstring)."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return from_dict({"output_type": "stream", "name": name, "text": _text(output.get("text", ""))})
    if kind == "error":
        return from_dict(
            {
                "output_type": "error",
                "ename": _text(output.get("ename", "")),
                "evalue": _text(output.get("evalue", "")),
                "traceback": [_text(line) for line in output.get("traceback") or []],
            }
        )
    data, metadata = {}, {}
    given = output.get("data") or {}
    for mime in TEXT_TYPES:
        if mime in given:
            data[mime] = _text(given[mime])
    for mime in IMAGE_TYPES:
        if mime in given and BASE64.fullmatch(_text(given[mime])):
            data[mime] = _text(given[mime])
            metadata[mime] = _image_metadata((output.get("metadata") or {}).get(mime))
    if "text/html" in given:
        data["text/html"] = clean_html(_text(given["text/html"]))
    if "text/markdown" in given:
        markdown = _text(given["text/markdown"])
        if markdown_is_safe(markdown):
            data["text/markdown"] = markdown
        else:
            data["text/plain"] = markdown
    if not data:
        dropped = ", ".join(sorted(str(m) for m in given)) or "nothing"
        data["text/plain"] = f"[output not shown: {dropped} can hold code that would run where it is shown]"
    out = {"output_type": "execute_result" if kind == "execute_result" else "display_data", "data": data}
    out["metadata"] = {m: v for m, v in metadata.items() if v}
    if kind == "execute_result":
        out["execution_count"] = _count(output.get("execution_count"))
    return from_dict(out)


def _image_metadata(given):
    if not isinstance(given, dict):
        return {}
    kept = {k: v for k, v in given.items() if k in IMAGE_METADATA and type(v) is IMAGE_METADATA[k]}
    if given.get("needs_background") in BACKGROUNDS:
        kept["needs_background"] = given["needs_background"]
    return kept


def inert_cell(cell):
    """One cell made inert, in place."""
    if cell.get("cell_type") == "code":
        cell["execution_count"] = _count(cell.get("execution_count"))
        cell["outputs"] = [inert_output(o) for o in cell.get("outputs") or []]
    elif cell.get("cell_type") == "markdown":
        source = _text(cell.get("source", ""))
        cell["source"] = source if markdown_is_safe(source) else as_text(source)
        attachments = cell.get("attachments") or {}
        cell["attachments"] = from_dict(
            {
                str(name): {
                    m: _text(v) for m, v in bundle.items() if m in IMAGE_TYPES and BASE64.fullmatch(_text(v))
                }
                for name, bundle in attachments.items()
                if isinstance(bundle, dict)
            }
        )
        if not cell["attachments"]:
            del cell["attachments"]
    elif cell.get("cell_type") == "raw":
        for key in ("raw_mimetype", "format"):
            cell.get("metadata", {}).pop(key, None)
    tags = cell.get("metadata", {}).get("tags")
    if tags is not None:
        cell["metadata"]["tags"] = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    return cell


def inert_notebook(nb):
    """A notebook made inert, in place (and returned): every cell, and its metadata."""
    for key in [k for k in nb.get("metadata", {}) if k not in NOTEBOOK_METADATA]:
        del nb["metadata"][key]
    for cell in nb.get("cells", []):
        inert_cell(cell)
    return nb


class InertOutputs(NbGraderPreprocessor):
    """The autograde step right after execution: the graded notebook made inert (``inert_notebook``)."""

    def preprocess(self, nb, resources):
        return inert_notebook(nb), resources
