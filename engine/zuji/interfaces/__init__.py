"""What people and systems touch: the command line, the HTTP service, report rendering and the
documentation site generator. The top layer: nothing imports it."""
