"""The edge: what raw input must look like before any view sees it. Refused here, once, for every endpoint:
NUL bytes (PostgreSQL cannot store them in text), lone surrogates (not encodable as UTF-8), JSON nested
deeper than any of our shapes, and bodies the parsers cannot read. Each answers a JSON {code, detail} 4xx."""
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Our deepest request shape is case form data (object → list → object); 32 leaves room and stops
# documents built to exhaust the parser's or a serializer's recursion.
MAX_JSON_DEPTH = 32


class BadInput(ParseError):
    default_code = "bad_input"


def text_problem(text: str) -> str | None:
    """Why a piece of text cannot enter the service, or None when it can."""
    if "\x00" in text:
        return _("输入中含有不允许的空字符（NUL）。")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("输入中含有无效的 Unicode 字符。")
    return None


def structure_problem(data, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Walk parsed input without recursion: every key and string clean, nesting within max_depth."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > max_depth:
            return _("JSON 嵌套层数过多（最多 %(depth)d 层）。") % {"depth": max_depth}
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return problem
        elif isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend((item, depth + 1) for item in value)
    return None


def _refuse_unless_clean(data) -> None:
    problem = structure_problem(data)
    if problem:
        raise BadInput(problem)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus the edge checks. Deep nesting is refused before it can recurse elsewhere;
    the C decoder's own RecursionError on absurd depths is a parse error too."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise BadInput(_("JSON 嵌套层数过多（最多 %(depth)d 层）。") % {"depth": MAX_JSON_DEPTH}) from None
        _refuse_unless_clean(data)
        return data


def _refuse_unclean_form(form) -> None:
    for key, values in form.lists():
        _refuse_unless_clean([key, *[v for v in values if isinstance(v, str)]])


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        form = super().parse(stream, media_type, parser_context)
        _refuse_unclean_form(form)
        return form


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_unclean_form(parsed.data)
        for key, uploads in parsed.files.lists():
            _refuse_unless_clean([key, *(upload.name or "" for upload in uploads)])
        return parsed


def json_only_parsers() -> list:
    """For endpoints a cross-site form must not reach (logins): a browser form cannot send JSON."""
    return [JSONParser]


def _query_problem(request) -> str | None:
    problem = text_problem(request.path)
    if problem:
        return problem
    # Headers reach the database too (Idempotency-Key, django-axes' User-Agent on a failed login).
    if any("\x00" in value for name, value in request.META.items() if name.startswith("HTTP_")
           and isinstance(value, str)):
        return text_problem("\x00")
    for key, values in request.GET.lists():
        for text in (key, *values):
            problem = text_problem(text)
            if problem:
                return problem
    return None


class QueryInputMiddleware:
    """Path, query parameters and headers are read by many views, filters and paginators: checked once here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _query_problem(request)
        if problem is None:
            return self.get_response(request)
        from core.errors import json_error  # errors imports DRF, whose settings import this module

        return json_error(400, "bad_input", problem)
