"""Untrusted notebook content made inert (coursekit/inert.py), and every page the kit builds from it.

A hostile notebook (made here, no kernel needed: a kernel can send any of it) goes through
``InertOutputs``; then nbconvert renders it as nbgrader's feedback, formgrader's manual-grading view
and plain nbconvert do, and the grading service's own pages quote its messages. No page may hold
code that a browser would run (``tests.support.attacks.live_code``), and the student's text, tables
and images stay. tests/coursekit/kernel/test_hostile.py does the same through a real autograde.
"""

import base64

import nbformat
import pytest
from nbconvert import HTMLExporter

from coursekit import feedback
from coursekit.course import assignments, source_notebook
from coursekit.inert import as_text, clean_html, inert_notebook, markdown_is_safe
from tests.support import attacks
from tests.support.attacks import live_code

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n...").decode()


def hostile_notebook(invalid=True):
    """Every way a notebook's JSON can carry code for the page that shows it (each marked ATTACK).

    ``invalid``: with execution counts that are not numbers, as a kernel can send them (nbclient keeps
    them; nbconvert then refuses to render the notebook at all, so a student's feedback page is lost).
    """
    count = "<img src=x onerror=ATTACK()>" if invalid else 1
    outputs = [
        nbformat.v4.new_output("display_data", {"text/html": "<table><tr><td>0.5</td></tr></table>"
                                                "<script>ATTACK()</script><img src=x onerror=ATTACK()>"}),
        nbformat.v4.new_output("display_data", {"application/javascript": "ATTACK()"}),
        nbformat.v4.new_output("display_data", {"image/svg+xml": "<svg onload='ATTACK()'></svg>"}),
        nbformat.v4.new_output("display_data", {"text/vnd.mermaid": "<img src=x onerror=ATTACK()>"}),
        nbformat.v4.new_output("display_data", {"application/vnd.jupyter.widget-view+json": {"model_id": "ATTACK"}}),
        nbformat.v4.new_output("display_data", {"text/markdown": "<a href='javascript:ATTACK()'>x</a>"}),
        nbformat.v4.new_output(
            "display_data", {"image/png": PNG},
            metadata={"image/png": {"width": "1 onerror=ATTACK()", "alt": "a plot"},
                      "filenames": {"image/png": "x' onerror='ATTACK()"}},
        ),
        nbformat.from_dict({"output_type": "execute_result", "data": {"text/plain": "1"}, "metadata": {},
                            "execution_count": count}),
        nbformat.v4.new_output("stream", name="stdout", text="<script>ATTACK()</script> printed"),
        nbformat.v4.new_output("error", ename="<script>ATTACK()</script>", evalue="<b onclick=ATTACK()>", traceback=[]),
    ]  # fmt: skip
    code = nbformat.from_dict({"cell_type": "code", "id": "code", "source": "x = 1", "outputs": outputs,
                               "execution_count": count,
                               "metadata": {"tags": ['x" onmouseover="ATTACK()']}})  # fmt: skip
    markdown = nbformat.v4.new_markdown_cell(
        "Answer <img src=x onerror=ATTACK()> and [l](JavaScript&colon;ATTACK())"
    )
    raw = nbformat.v4.new_raw_cell("<script>ATTACK()</script>", metadata={"raw_mimetype": "text/html"})
    widgets = {"application/vnd.jupyter.widget-state+json": {"state": {"ATTACK": {}}}}
    kernel = {"name": "python3", "language": "python", "display_name": "Python 3"}
    # A dict, not nbformat.v4.new_notebook: that would refuse what a kernel can send nonetheless.
    return nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "cells": [markdown, code, raw],
                               "metadata": {"widgets": widgets, "kernelspec": kernel}})  # fmt: skip


@pytest.fixture(scope="module")
def inert():
    return inert_notebook(hostile_notebook())


def render(nb, template):
    if template == "formgrade":
        return attacks.formgrader_page(nb)
    return HTMLExporter(template_name=template).from_notebook_node(nb)[0]


@pytest.mark.parametrize("template", ["lab", "classic", "formgrade"])
def test_no_page_runs_the_notebook_s_code(inert, template):
    assert live_code(render(hostile_notebook(invalid=False), template)), (
        "the hostile notebook shows code when rendered raw"
    )
    assert not live_code(render(inert, template))


def test_the_student_still_sees_text_tables_images_and_errors(inert):
    page = render(inert, "classic")
    for shown in ("<td>0.5</td>", "data:image/png;base64,", 'alt="a plot"', "&lt;script&gt;ATTACK()&lt;/script&gt; printed",
                  "Answer &lt;img"):  # fmt: skip
        assert shown in page, shown


def test_only_inert_kinds_of_output_are_kept(inert):
    kinds = {mime for output in inert.cells[1].outputs for mime in output.get("data", {})}
    assert kinds <= {"text/plain", "text/html", "image/png"}
    assert inert.cells[1].execution_count is None
    assert inert.cells[1].outputs[7].execution_count is None
    assert inert.cells[1].metadata.tags == ['x" onmouseover="ATTACK()']  # a string: templates escape it
    assert inert.cells[2].metadata == {}
    assert "widgets" not in inert.metadata
    nbformat.validate(inert)


def test_html_keeps_formatting_and_tables_and_drops_what_runs_or_loads():
    html = clean_html(
        "<div><style>p{}</style><p><b>x</b></p><table><tr><th>a</th></tr></table><img src='https://t.example/p'>"
        "<img src='data:image/png;base64,AAAA'><a href='https://example.org'>ok</a><iframe src=x></iframe></div>"
    )
    assert "<b>x</b>" in html and "<th>a</th>" in html and 'src="data:image/png;base64,AAAA"' in html
    assert "https://t.example" not in html and "iframe" not in html and "p{}" not in html
    assert 'href="https://example.org"' in html


@pytest.mark.parametrize(
    "source, safe",
    [
        ("$a < b$ and $x<y$, **bold**, [docs](https://numpy.org), ![i](attachment:plot.png)", True),
        ("<img src=x onerror=alert(1)>", False),
        ("</p>", False),
        ("<!-- hidden -->", False),
        ("<javascript:alert(1)>", False),
        ("[x](javascript:alert(1))", False),
        ("[x](JaVaScRiPt\\:alert(1))", False),
        ("[x]: vbscript:alert(1)", False),
        ("[x](&#106;avascript:alert(1))", False),
        ("[x](data:text/html,hi)", False),
    ],
)
def test_markdown_that_could_produce_html_is_shown_as_text(source, safe):
    assert markdown_is_safe(source) is safe
    if not safe:
        assert not live_code(HTMLExporter().from_notebook_node(nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_markdown_cell(as_text(source.replace("alert(1)", "ATTACK()")))]))[0])  # fmt: skip


def test_a_code_block_cannot_be_closed_by_the_text_it_shows():
    text = as_text("```\n<script>ATTACK()</script>\n````")
    page = HTMLExporter().from_notebook_node(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    )[0]
    assert not live_code(page)


@pytest.mark.parametrize("assignment", assignments())
def test_the_course_s_own_notebooks_keep_all_they_show(assignment):
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    shown = inert_notebook(nbformat.from_dict(nb))
    assert [c.source for c in shown.cells] == [c.source for c in nb.cells]
    for before, after in zip(nb.cells, shown.cells):
        for output, kept in zip(before.get("outputs", []), after.get("outputs", [])):
            data = output.get("data", {})
            assert {m: kept.data[m] for m in data if m != "text/html"} == {
                m: v for m, v in data.items() if m != "text/html"
            }
            if "text/html" in data:
                assert kept.data["text/html"] == clean_html(data["text/html"])
                assert (
                    "figure-description" not in data["text/html"]
                    or "figure-description" in kept.data["text/html"]
                )
            assert kept.get("text") == output.get("text")


def test_the_kit_s_own_pages_quote_a_student_s_messages_as_text():
    message = "<script>ATTACK()</script><img src=x onerror=ATTACK()>"
    pages = [
        feedback.explain_page("<b onclick=ATTACK()>.ipynb", [message]),
        feedback.score_page("n", 1, 2),
        feedback.public_page("n", [("test_x", False, message)]),
        feedback.deferred_page("n", message),
    ]
    assert not any(live_code(page) for page in pages)
