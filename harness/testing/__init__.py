"""Test tools that ship with the package, so the test suite, the benchmarks and plugin authors share them.

Nothing here is imported by ``python -m harness``; import the modules you need directly, e.g.
``from harness.testing.openai_stub import OpenAIStub``.
"""
