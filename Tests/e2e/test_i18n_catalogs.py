"""The i18n layer's catalogs and the UI sources, read without a browser or a server.

Fails when a key is in one catalog and not the other, when a message's parameters or
plural forms differ between languages, when the UI asks for a key no catalog has, and
when a user-visible English string in public/ bypasses the layer (`t(...)`).
"""
import json
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "public")
CATALOGS = {"en": "lib/messages/en.js", "zh-CN": "lib/messages/zh-CN.js"}
PARAM = re.compile(r"\{(\w+)\}")
# Not language: product and Docker names said as they are in every language, units, protocol words.
NOT_LANGUAGE = {
    "Jarvis", "Docker", "Compose", "compose.yaml", "compose.override.yaml", ".env", "Dockerfile", "CPU", "CPUs", "IP", "API",
    "TLS", "TCP", "SSH", "SIGKILL", "TTY", "Shell", "Swarm", "stdout", "stderr", "/bin/sh", "/bin/bash", "KiB", "MiB", "GiB", "TiB", "ms",
    "CSV", "JSON", "ID", "URL", "Git", "English", "简体中文", "KEY=value", "key=value", "label=value", "nginx", "myapp", "myapp:1.0",
    "myapp:latest", "main", "service", "edge", "edge-1", "Edge", "BEGIN", "latest", "bridge", "unless-stopped", "always", "on-failure",
}


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


def catalog(lang):
    """A catalog module is `export default { JSON members };` after two comment lines."""
    text = read(CATALOGS[lang])
    body = text[text.index("export default {") + len("export default "):].rstrip().rstrip(";")
    return json.loads(body)


def forms(value):
    return value if isinstance(value, dict) else {"other": value}


def params(value):
    return {name for text in forms(value).values() for name in PARAM.findall(text)}


def ui_sources():
    for folder, _, files in os.walk(ROOT):
        rel = os.path.relpath(folder, ROOT)
        if rel.startswith(("vendor", os.path.join("lib", "generated"), os.path.join("lib", "messages"))):
            continue
        for name in files:
            if name.endswith(".js"):
                yield os.path.normpath(os.path.join(rel, name))


def test_both_catalogs_have_the_same_keys():
    en, zh = catalog("en"), catalog("zh-CN")
    assert sorted(set(en) - set(zh)) == [], "keys missing from zh-CN"
    assert sorted(set(zh) - set(en)) == [], "keys missing from en"


def test_messages_take_the_same_parameters_in_every_language():
    en, zh = catalog("en"), catalog("zh-CN")
    differing = {key: (sorted(params(en[key])), sorted(params(zh[key]))) for key in en if key in zh and params(en[key]) != params(zh[key])}
    assert differing == {}


def test_plural_messages_are_plural_in_every_language_and_have_an_other_form():
    en, zh = catalog("en"), catalog("zh-CN")
    for key in en:
        assert isinstance(en[key], dict) == isinstance(zh.get(key), dict), f"{key}: plural in one catalog only"
        for lang, value in (("en", en[key]), ("zh-CN", zh.get(key))):
            if isinstance(value, dict):
                assert "other" in value, f"{lang} {key}: no 'other' form"
                assert set(value) <= {"zero", "one", "two", "few", "many", "other"}, f"{lang} {key}: unknown plural category"


def test_the_chinese_catalog_is_chinese():
    """A copied English value is a missing translation (brands and units aside)."""
    en, zh = catalog("en"), catalog("zh-CN")
    untranslated = []
    for key, value in zh.items():
        for form, text in forms(value).items():
            bare = PARAM.sub("", text)
            if re.search(r"[A-Za-z]{3,}", bare) and not re.search(r"[\u4e00-\u9fff]", bare) and forms(en[key]).get(form, "") == text:
                if not all(word in NOT_LANGUAGE for word in re.findall(r"[A-Za-z][\w./:=-]*", bare)):
                    untranslated.append(key)
    assert untranslated == []


def test_every_key_the_ui_asks_for_exists():
    en = catalog("en")
    missing = []
    for path in ui_sources():
        text = read(path)
        for key in re.findall(r"\bt\('([\w.-]+)'", text):
            if key not in en:
                missing.append(f"{path}: {key}")
        # Computed keys: t(`prefix.${x}`) and word('prefix', x) need at least one key under the prefix.
        for prefix in re.findall(r"\bt\(`([\w.]+)\.\$\{", text) + re.findall(r"\bword\('([\w.]+)'", text):
            if not any(k.startswith(prefix + ".") for k in en):
                missing.append(f"{path}: {prefix}.*")
    assert missing == []


def strip_expressions(template):
    """A template literal's text with every ${…} removed (nested braces and templates included)."""
    out, depth, i = [], 0, 0
    while i < len(template):
        if template.startswith("${", i):
            depth += 1
            i += 2
            continue
        if depth:
            if template[i] == "{":
                depth += 1
            elif template[i] == "}":
                depth -= 1
            i += 1
            continue
        out.append(template[i])
        i += 1
    return "".join(out)


def templates(source):
    """The html`…` templates of a module, nested ones included, as raw text."""
    found = []
    for match in re.finditer(r"(?<![`\w])html`", source):
        i, depth = match.end(), 0
        while i < len(source):
            if source.startswith("${", i):
                depth += 1
                i += 2
                continue
            if depth and source[i] == "}":
                depth -= 1
            elif not depth and source[i] == "\\":
                i += 1
            elif not depth and source[i] == "`":
                break
            i += 1
        found.append(source[match.end():i])
    return found


def prose(text):
    """The words of `text` that are language (not names, units, code or placeholders)."""
    text = re.sub(r"&\w+;|\\[nrt]", " ", text)
    words = [w.rstrip(".:-") for w in re.findall(r"\.?[A-Za-z][\w'’./:=-]*", text)]
    return [w for w in words if w not in NOT_LANGUAGE and not re.fullmatch(r"[a-z]+[./:=_-][\w./:=-]*", w)]


VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "label")


def visible_text_of_template(template):
    bare = strip_expressions(template)
    texts = []
    # Text between tags.
    for chunk in re.split(r"<[^>]*>", bare):
        texts.append(chunk)
    # Attributes people read.
    for name, value in re.findall(r"\s(%s)=\"([^\"]*)\"" % "|".join(VISIBLE_ATTRIBUTES), bare):
        texts.append(value)
    return [t.strip() for t in texts if prose(t)]


def bypassing(source):
    """User-visible English in a module: template text and attributes, textContent, dialogs, text tables."""
    hits = []
    for template in templates(source):
        hits += visible_text_of_template(template)
    literal = r"('(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|\"(?:[^\"\\\n]|\\.)*\")"
    for pattern in (r"\.(?:textContent|title|placeholder|innerText)\s*=\s*" + literal,
                    r"\b(?:confirm|prompt|alert)\(\s*" + literal,
                    r"setAttribute\('(?:title|aria-label|placeholder)',\s*" + literal):
        for value in re.findall(pattern, source):
            if prose(strip_expressions(value[1:-1])):
                hits.append(value)
    # Message tables (`const TEXT = { key: 'English' }`) bypass the layer too.
    for table in re.findall(r"const TEXT = \{(.*?)\n\};", source, re.S):
        for value in re.findall(r":\s*" + literal, table):
            if prose(strip_expressions(value[1:-1])):
                hits.append(value)
    return hits


def test_the_scanner_catches_english_that_bypasses_the_layer():
    """The check itself: each way a string can bypass the layer is caught, `t(...)` is not."""
    assert bypassing("mount(this, html`<h2>Containers <span></span></h2>`);")
    assert bypassing("mount(this, html`<input placeholder=\"Filter by name\">`);")
    assert bypassing("banner.textContent = `Could not load: ${error.message}`;")
    assert bypassing("if (!confirm(`Kill ${name}?`)) return;")
    assert bypassing("const TEXT = {\n  add: 'Add host',\n};")
    assert not bypassing("mount(this, html`<h2>${t('nav.containers')} <span class=\"count\"></span></h2>`);")
    assert not bypassing("mount(this, html`<option value=\"/bin/sh\">/bin/sh</option><th>IP</th>`);")
    assert not bypassing("banner.textContent = t('containers.loadFailed', { message });")


@pytest.mark.parametrize("path", sorted(ui_sources()))
def test_no_user_visible_string_bypasses_the_layer(path):
    assert bypassing(read(path)) == []


NATIVE_DIALOG = re.compile(r"(?<![.\w])(?:window\.)?(?:confirm|prompt|alert)\(")


@pytest.mark.parametrize("path", sorted(ui_sources()))
def test_every_question_uses_the_app_dialog(path):
    """Native confirm/prompt/alert cannot be styled, translated on their buttons or tested like the rest."""
    assert NATIVE_DIALOG.findall(read(path)) == [], "use lib/dialog.js"


def test_the_native_dialog_check_catches_them():
    assert NATIVE_DIALOG.search("if (!confirm(t('x'))) return;")
    assert NATIVE_DIALOG.search("const v = window.prompt(t('x'));")
    assert not NATIVE_DIALOG.search("await askYes({}); dialog.confirm(); withConfirmation('DELETE', path)")


def test_index_html_speaks_both_languages_before_the_modules_load():
    page = read("index.html")
    noscript = re.search(r"<noscript>(.*?)</noscript>", page, re.S).group(1)
    assert re.search(r"[\u4e00-\u9fff]", noscript), "the no-JavaScript notice has no Chinese"
