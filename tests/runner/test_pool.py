"""ordered_map: input order when calls finish in time, no stall behind a slow call."""

from __future__ import annotations

import asyncio

from harness.runner.pool import ordered_map


async def _collect(delays: dict[int, float], n: int, *, concurrency: int, window: int | None = None) -> list[int]:
    async def call(i: int) -> int:
        await asyncio.sleep(delays.get(i, 0.001))
        return i

    return [i async for i, _ in ordered_map(call, range(n), concurrency=concurrency, window=window)]


def test_results_come_in_input_order() -> None:
    delays = {i: 0.001 * ((7 * i) % 5) for i in range(40)}  # finishing out of order
    assert asyncio.run(_collect(delays, 40, concurrency=8)) == list(range(40))


def test_a_slow_call_does_not_hold_back_the_others() -> None:
    # item 0 takes 1 s; with window 4C = 16 the others must not wait for it beyond 12 held results
    seen: list[int] = []

    async def run() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        first_other = None

        async def call(i: int) -> int:
            await asyncio.sleep(1.0 if i == 0 else 0.001)
            return i

        async for i, _ in ordered_map(call, range(200), concurrency=4):
            seen.append(i)
            if i != 0 and first_other is None:
                first_other = loop.time() - start
        assert first_other is not None
        return first_other

    first_other = asyncio.run(run())
    assert sorted(seen) == list(range(200))  # every result exactly once
    assert seen.index(0) > 100  # the slow one came out when it finished, the rest did not wait for it
    assert seen[:12] == list(range(1, 13))  # the ones let out ahead keep their own order
    assert first_other < 0.5


def test_an_emitted_prefix_is_never_repeated_after_early_results() -> None:
    delays = {0: 0.05, 20: 0.05}
    out = asyncio.run(_collect(delays, 60, concurrency=2, window=4))
    assert sorted(out) == list(range(60)) and len(out) == 60
