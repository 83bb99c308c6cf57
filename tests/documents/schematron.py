"""A small ISO Schematron runner for the CEN EN 16931 rules (tests/documents/en16931), without
Saxon: XPath 2.0 by elementpath on lxml trees.

What it does of Schematron: the namespaces (<ns>), every pattern, each pattern's rules in order
(a node matched by one rule of a pattern is not matched by a later rule of it, as the standard
says), and each assert (its test must be true). The preprocessed CEN files use nothing else:
no <let>, no functions, no includes."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from elementpath import XPath2Parser, XPathContext
from lxml import etree

HERE = Path(__file__).parent / "en16931"
SCH = "{http://purl.oclc.org/dsdl/schematron}"
FILES = {"cii": "EN16931-CII-validation-preprocessed.sch", "ubl": "EN16931-UBL-validation-preprocessed.sch"}


@lru_cache(maxsize=2)
def _rules(syntax: str):
    """[(pattern id, [(context, [(assert id, flag, test)])])], each XPath parsed once."""
    schema = etree.parse(str(HERE / FILES[syntax])).getroot()
    namespaces = {ns.get("prefix"): ns.get("uri") for ns in schema.iter(f"{SCH}ns")}
    parser = XPath2Parser(namespaces=namespaces)
    return [(pattern.get("id"),
             [(parser.parse(_anywhere(rule.get("context"))),
               [(a.get("id"), a.get("flag"), parser.parse(f"boolean({a.get('test')})"))
                for a in rule.iter(f"{SCH}assert")])
              for rule in pattern.iter(f"{SCH}rule")])
            for pattern in schema.iter(f"{SCH}pattern")]


def _anywhere(pattern: str) -> str:
    """A rule's context is an XSLT match pattern: `cac:Party` matches such an element anywhere.
    As an XPath expression from the document that is `//cac:Party`; each branch of a union too."""
    branches, depth, start = [], 0, 0
    for i, char in enumerate(pattern):
        depth += char in "[(" and 1 or char in "])" and -1 or 0
        if char == "|" and depth == 0:
            branches.append(pattern[start:i])
            start = i + 1
    branches.append(pattern[start:])
    return " | ".join(b.strip() if b.strip().startswith("/") else "//" + b.strip() for b in branches)


def failed_asserts(syntax: str, xml: bytes, flags=("fatal",)) -> set[str]:
    """The ids of the asserts (of these flags) that the document fails."""
    document = etree.ElementTree(etree.fromstring(xml))
    failed = set()
    for _, rules in _rules(syntax):
        fired = set()
        for context, asserts in rules:
            nodes = [node for node in context.get_results(XPathContext(document))
                     if not isinstance(node, (str, int, float, bool)) and id(node) not in fired]
            for node in nodes:
                fired.add(id(node))
                for assert_id, flag, test in asserts:
                    if flag in flags and not test.evaluate(XPathContext(document, item=node)):
                        failed.add(assert_id)
    return failed
