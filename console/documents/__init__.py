"""Printable documents: a small template engine and two writers (plain text, DOCX).

A template file (``console/templates/<kind>.toml``) plus a context (plain
dicts prepared by ``console.services.notices``) gives a *document model*: a
JSON-able dict with the title, the number line, the blocks and the closing
(seal and date).  The model is what a notice stores; the writers turn a
stored model into the same bytes every time.
"""
