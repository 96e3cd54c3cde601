"""Read a rendered HTML form back into POST data, as a browser would submit it unchanged."""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.data = []
        self._textarea = None
        self._select = None
        self._select_has_value = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (self.form_id is None or attrs.get("id") == self.form_id):
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.data.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = name
            self._select_multiple = "multiple" in attrs
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            # Browsers drop one newline right after <textarea>.
            name, value = self._textarea
            self.data.append((name, value[1:] if value.startswith("\n") else value))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.in_form = False


def form_data(html, form_id=None):
    """The name/value pairs a browser would submit for the form, as a dict of lists."""
    parser = _FormParser(form_id)
    parser.feed(html if isinstance(html, str) else html.decode())
    result = {}
    for name, value in parser.data:
        result.setdefault(name, []).append(value)
    return result


def admin_form(client, url, **changes):
    """GET an admin change form and return its POST data with `changes` applied."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data = form_data(response.content)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return data
