"""Bulk import of rosters and records, one module per concern.

``run.run_import`` is the entry point (``template.write_template`` the
empty file); what a kind's file holds is ``columns``, how its header is read
``headers``, how its rows are checked and written ``base`` and
``kinds/<kind>``, the persons it names ``references``, its cells ``values``,
``codes`` and ``identifiers``, its bad rows ``errors`` and ``rejects``, the
file formats ``readers``.

Deliberately empty of imports: a caller that needs only a reader's helper
(``readers.json_depth``) must not load the importer.
"""
