"""The run's event loop: before Python 3.12, aiohttp's request-body writer starts at once (as
aiohttp makes it do on 3.12+), and the task it becomes behaves as the task it would have been."""

from __future__ import annotations

import asyncio
import contextvars
import inspect

import pytest

from harness.eventloop import EAGER_CORO, NEEDS_EAGER_WRITES, new_event_loop, run, start_body_writes_eagerly

needs_eager = pytest.mark.skipif(
    not NEEDS_EAGER_WRITES, reason="Python 3.12+: aiohttp starts its writer eagerly itself"
)
VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def _writer(body):
    """A coroutine function that the factory takes for aiohttp's body writer."""
    body.__qualname__ = EAGER_CORO
    return body


def _on_eager_loop(main):
    loop = asyncio.new_event_loop()
    loop.set_task_factory(start_body_writes_eagerly)
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def test_the_writer_runs_to_its_first_wait_before_its_task_exists():
    steps: list[str] = []

    @_writer
    async def write(gate: asyncio.Future) -> str:
        steps.append("written")
        await gate
        steps.append("after the wait")
        return "done"

    async def main():
        gate = asyncio.get_running_loop().create_future()
        task = asyncio.get_running_loop().create_task(write(gate))
        assert steps == ["written"] and not task.done()
        gate.set_result(None)
        assert await task == "done"
        assert steps == ["written", "after the wait"]

        async def other() -> None:
            steps.append("other")

        late = asyncio.get_running_loop().create_task(other())
        assert steps[-1] == "after the wait"  # any other task starts on the loop's next turn, as usual
        await late

    _on_eager_loop(main)


def test_a_writer_that_finishes_or_fails_at_once():
    @_writer
    async def quick() -> int:
        return 7

    @_writer
    async def broken() -> None:
        raise OSError("socket closed")

    async def main():
        finished = asyncio.get_running_loop().create_task(quick())
        assert finished.done() and finished.result() == 7
        failed = asyncio.get_running_loop().create_task(broken())
        with pytest.raises(OSError, match="socket closed"):
            await failed

    _on_eager_loop(main)


def test_cancelling_the_task_reaches_the_writer():
    seen: list[str] = []

    @_writer
    async def write() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append("cancelled inside")
            raise

    async def main():
        task = asyncio.get_running_loop().create_task(write())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert seen == ["cancelled inside"] and task.cancelled()

    _on_eager_loop(main)


def test_the_writer_runs_in_a_copy_of_its_creators_context():
    @_writer
    async def write() -> str:
        seen = VAR.get()
        VAR.set("inside")
        await asyncio.sleep(0)
        return seen + "/" + VAR.get()

    async def main():
        VAR.set("outside")
        assert await asyncio.get_running_loop().create_task(write()) == "outside/inside"
        assert VAR.get() == "outside"

    _on_eager_loop(main)


@needs_eager
def test_aiohttp_request_bodies_leave_within_the_call():
    """Through the real ``openai_compat`` backend against the stub: every body writer aiohttp
    creates has already started (written its body) when its task is made, and every answer arrives."""
    from harness.models.base import Request
    from harness.models.config import ModelConfig
    from harness.plugins.models.openai_compat import OpenAICompatModel
    from harness.testing.openai_stub import OpenAIStub, echo

    states: list[str] = []

    def recording(loop, coro, **kwargs):
        task = start_body_writes_eagerly(loop, coro, **kwargs)
        if getattr(coro, "__qualname__", None) == EAGER_CORO:
            states.append(inspect.getcoroutinestate(coro))
        return task

    async def main(url: str) -> list[str]:
        asyncio.get_running_loop().set_task_factory(recording)
        model = OpenAICompatModel(ModelConfig(name="stub", backend="openai_compat", model="m", base_url=url))
        try:
            answers = await asyncio.gather(
                *(model.generate(Request(str(i), [{"role": "user", "content": f"q{i}"}], {})) for i in range(20))
            )
        finally:
            await model.aclose()
        return [a.text for a in answers]

    with OpenAIStub(echo()) as stub:
        texts = run(main(stub.base_url))
    assert texts == [f"q{i}" for i in range(20)]
    assert len(states) == 20 and set(states) <= {inspect.CORO_SUSPENDED, inspect.CORO_CLOSED}


@needs_eager
def test_the_run_loop_has_the_factory():
    loop = new_event_loop()
    try:
        assert loop.get_task_factory() is start_body_writes_eagerly
    finally:
        loop.close()
