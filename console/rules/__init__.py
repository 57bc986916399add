"""Pure policy and computations: no I/O, no SQL, no Textual."""
