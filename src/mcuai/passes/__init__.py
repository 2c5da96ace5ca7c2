"""Graph passes. Each is a plain function ``run(graph) -> graph``; :mod:`.pipeline` holds THE
ordered list and runs the verifier after every pass."""
