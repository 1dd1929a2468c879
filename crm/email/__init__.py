"""Client e-mails: Jinja2 templates rendered into the outbox, delivered later over SMTP."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import jinja2
import jinja2.meta

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    # Plain-text mail: no HTML autoescaping, but undefined variables are an error, not blanks.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


@cache
def _subject_template(template: str) -> jinja2.Template:
    # The subject is the template's first-line comment: one file holds the whole message.
    first_line = (TEMPLATES_DIR / f"{template}.txt.j2").read_text().splitlines()[0]
    subject = first_line.removeprefix("{#- subject:").removesuffix("-#}").strip()
    return _environment().from_string(subject)


def render_email(template: str, *, first_name: str, phone: str = "") -> RenderedEmail:
    """The subject and body of ``template`` (welcome, reach_you) for one lead."""
    # A template that does not show the phone renders the same for every number: one
    # rendering per first name (an import of 100,000 leads spent a tenth of its time here).
    hint = mask_phone(phone) if "phone_hint" in _variables(template) else ""
    return _render(template, first_name, hint)


@lru_cache(maxsize=4096)
def _render(template: str, first_name: str, phone_hint: str) -> RenderedEmail:
    values = {"first_name": first_name, "phone_hint": phone_hint}
    body = _environment().get_template(f"{template}.txt.j2").render(values)
    return RenderedEmail(subject=_subject_template(template).render(values), body=body)


@cache
def _variables(template: str) -> frozenset[str]:
    """The variables the template's subject and body use."""
    environment = _environment()
    source = (TEMPLATES_DIR / f"{template}.txt.j2").read_text()
    subject = source.splitlines()[0].removeprefix("{#- subject:").removesuffix("-#}")
    return frozenset(
        name
        for text in (source, subject)  # the subject sits in a comment the body's parse skips
        for name in jinja2.meta.find_undeclared_variables(environment.parse(text))
    )


def mask_phone(phone: str) -> str:
    """The number as a client can recognise it, without repeating it whole in a mail."""
    digits = phone.strip()
    return f"ending in {digits[-3:]}" if len(digits) >= 3 else "on file"
