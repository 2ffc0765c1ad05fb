"""Records as printed documents: the print model of a record (what the actor may read, laid out) and 大写 amounts."""
