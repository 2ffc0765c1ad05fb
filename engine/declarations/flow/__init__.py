"""Compilers of the declarations through which documents flow (gathering, guards, contributions ...)."""
