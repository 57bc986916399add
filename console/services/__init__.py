"""Use-cases: every change to the store goes through here, with permissions and audit."""
